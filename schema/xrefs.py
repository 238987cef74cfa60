"""Cross-references between questions: a Markdown link `[text](#question-id)`, found and rewritten."""
from __future__ import annotations

import re
from collections.abc import Callable

from .markdown import VALIDATOR, walk_lines

XREF_TARGET = re.compile(r"^#([a-z0-9]+(?:-[a-z0-9]+)*)$")  # '#' and a question id (models.Slug)
# The whole link as written: `[text](#id)`, its text on one or more lines, one level of inner brackets.
_XREF = re.compile(r"(?<![!\\])\[((?:[^\[\]\\]|\\.|\[[^\[\]]*\])*)\]\([ \t]*\n?[ \t]*#([^\s()<>\"']+)[ \t]*\)")


def cross_references(markdown: str) -> list[tuple[str, int]]:
    """(target, 0-based line) of every link to `#...` in a Markdown text, in order (target
    without the '#'; whether it is a valid id is for the caller)."""
    return [(str(t.attrs.get("href", ""))[1:], line) for t, _, line in walk_lines(VALIDATOR.parse(markdown))
            if t.type == "link_open" and str(t.attrs.get("href", "")).startswith("#")]


def rewrite_xrefs(markdown: str, target: Callable[[str], str | None]) -> str:
    """The Markdown with each `[text](#x)` pointing at `#target(x)` instead, or reduced to its
    text when `target(x)` is None; everything else is left byte for byte. (`check` verifies,
    per field, that this touches exactly the cross-references.)"""
    def one(match: re.Match[str]) -> str:
        new = target(match.group(2))
        return f"[{match.group(1)}](#{new})" if new is not None else match.group(1)

    return _XREF.sub(one, markdown)


def rewrite_is_exact(markdown: str) -> bool:
    """True when `rewrite_xrefs` changes the cross-references' targets and nothing else."""
    def shape(text: str, change: Callable[[str], str]) -> list[tuple[str, str]]:
        return [(t.type, change(str(t.attrs.get("href", "")))) if t.type == "link_open"
                else (t.type, t.content if t.type != "inline" else "") for t, _, _ in walk_lines(VALIDATOR.parse(text))]

    moved = lambda href: "#moved-" + href[1:] if href.startswith("#") else href  # noqa: E731
    return shape(rewrite_xrefs(markdown, lambda x: "moved-" + x), lambda href: href) == shape(markdown, moved)
