"""YAML documents and front matter with line numbers for every key and list item."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from .errors import Problem, cut

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when the wheel has it: same results, ~10x faster


@dataclass
class Located:
    """A parsed YAML mapping plus the 1-based line of each key and of each list item."""

    data: dict[str, Any]
    key_lines: dict[str, int] = field(default_factory=dict)
    item_lines: dict[tuple[str, int], int] = field(default_factory=dict)
    first_line: int = 1

    def line(self, loc: tuple[Any, ...]) -> int:
        """Best line for a pydantic error location such as ('sources', 2)."""
        if not loc:
            return self.first_line
        key = str(loc[0])
        if len(loc) > 1 and isinstance(loc[1], int) and (key, loc[1]) in self.item_lines:
            return self.item_lines[(key, loc[1])]
        return self.key_lines.get(key, self.first_line)


def expansion_problem(text: str, path: str, line_offset: int = 0) -> Problem | None:
    """The first anchor (`&a`), alias (`*a`) or merge key (`<<`) in a YAML text, found in its
    event stream before anything is composed or expanded: content never needs them, and
    aliases nested in each other expand exponentially (a few hundred bytes, billions of items)."""
    for event in yaml.parse(text, Loader=LOADER):
        line = event.start_mark.line + 1 + line_offset
        if isinstance(event, yaml.AliasEvent):
            return Problem(path, line, "", f"YAML aliases (*{cut(event.anchor)}) are not allowed: write the value out")
        if getattr(event, "anchor", None) is not None:
            return Problem(path, line, "", f"YAML anchors (&{cut(event.anchor)}) are not allowed: write the value out")
        if isinstance(event, yaml.ScalarEvent) and event.value == "<<" and event.implicit[0]:
            return Problem(path, line, "", "YAML merge keys (<<) are not allowed: write the keys out")
    return None


def parse_yaml_mapping(text: str, path: str, line_offset: int = 0) -> tuple[Located | None, list[Problem]]:
    """Parse a YAML mapping; report syntax errors, anchors and aliases, duplicate keys and
    non-mapping documents."""
    try:
        refused = expansion_problem(text, path, line_offset)
        if refused:
            return None, [refused]
        node = yaml.compose(text, Loader=LOADER)
        data = yaml.load(text, Loader=LOADER)  # noqa: S506 - a safe loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 1 + line_offset) if mark else line_offset + 1
        return None, [Problem(path, line, "", f"invalid YAML: {cut(str(exc.problem or exc), 200)}")]
    except yaml.YAMLError as exc:  # pragma: no cover - other PyYAML failures
        return None, [Problem(path, line_offset + 1, "", f"invalid YAML: {cut(str(exc), 200)}")]
    except (ValueError, OverflowError) as exc:  # a value PyYAML cannot construct: a 5000-digit int, 2024-13-45
        return None, [Problem(path, line_offset + 1, "", f"invalid YAML value: {cut(str(exc), 200)}")]
    except RecursionError:
        return None, [Problem(path, line_offset + 1, "", "invalid YAML: nested too deeply")]
    if node is None:
        return None, [Problem(path, line_offset + 1, "", "empty document: expected key: value pairs")]
    if not isinstance(node, yaml.MappingNode) or not isinstance(data, dict):
        line = node.start_mark.line + 1 + line_offset
        return None, [Problem(path, line, "", "expected a mapping of key: value pairs")]
    located = Located(data=data, first_line=node.start_mark.line + 1 + line_offset)
    problems: list[Problem] = []
    for key_node, value_node in node.value:
        key = str(key_node.value)
        line = key_node.start_mark.line + 1 + line_offset
        if key in located.key_lines:
            problems.append(Problem(path, line, key, f"duplicate key (first set on line {located.key_lines[key]})"))
            continue
        located.key_lines[key] = line
        if isinstance(value_node, yaml.SequenceNode):
            for index, item in enumerate(value_node.value):
                located.item_lines[(key, index)] = item.start_mark.line + 1 + line_offset
        elif isinstance(value_node, yaml.MappingNode):
            for sub_key, _ in value_node.value:
                located.item_lines[(key, str(sub_key.value))] = sub_key.start_mark.line + 1 + line_offset  # type: ignore[index]
    non_string = [k for k in data if not isinstance(k, str)]
    for key in non_string:
        problems.append(Problem(path, located.first_line, str(key), "keys must be strings"))
    return located, problems


def split_front_matter(text: str, path: str) -> tuple[str, str, int, list[Problem]]:
    """Split `---` front matter from the body; return (yaml, body, body's first line, problems)."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return "", text, 1, [Problem(path, 1, "", "a question file must start with '---' front matter")]
    for index in range(1, len(lines)):
        if lines[index].rstrip() == "---":
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1 :]), index + 2, []
    return "", "", 1, [Problem(path, 1, "", "front matter is not closed by a '---' line")]
