"""Markdown rules outside the token walk: bounds checked before the full parse, reference definitions."""
from __future__ import annotations

import re

from .errors import Problem
from .markdown import BLOCKS

MAX_DELIMITER_RUN = 16  # `*`, `_` or `~` in a row (bold is 2, bold italic 3)
MAX_BRACKETS = 128  # unescaped `[` in one paragraph, heading or table cell
_RUN = re.compile(r"(?<!\\)(?:\*{%d,}|_{%d,}|~{%d,})" % ((MAX_DELIMITER_RUN + 1,) * 3))
_BRACKET = re.compile(r"(?<!\\)\[")


def bound_problems(markdown: str, path: str, field: str, first_line: int) -> list[Problem]:
    """Runs of emphasis delimiters and piles of `[` that make Markdown parsers slow (each is
    work in proportion to the rest of its paragraph), each with its line; code blocks are not
    inline-parsed, so they are not counted. The scan is linear in the text."""
    problems = []
    for token in BLOCKS.parse(markdown):
        if token.type != "inline" or not token.map:
            continue
        text = token.content
        line = first_line + token.map[0]
        if run := _RUN.search(text):
            where = line + text.count("\n", 0, run.start())
            char = run.group()[0]
            problems.append(Problem(path, where, field, f"a run of {len(run.group())} {char!r} characters (at most "
                                    f"{MAX_DELIMITER_RUN}); write them in a code block or escape each as \\{char}"))
        brackets = len(_BRACKET.findall(text))
        if brackets > MAX_BRACKETS:
            problems.append(Problem(path, line, field, f"{brackets} '[' in one paragraph (at most {MAX_BRACKETS}); "
                                    "split the paragraph, or write the text in a code block"))
    return problems


def definition_problems(env: dict, path: str, field: str, first_line: int) -> list[Problem]:
    """Link reference definitions (`[label]: target`) found by a parse with `env`: refused,
    because the README joins every answer into one document, where a definition in one
    answer would give a link or image to text in any other (a `javascript:` link, a remote
    image) that no check of either file saw."""
    return [Problem(path, first_line + (ref.get("map") or [0])[0], field,
                    f"reference definitions are not allowed ([{label.lower()}]: ...); write the link or image "
                    "inline, as [text](https://...) or ![alt text](../media/NAME.png)")
            for label, ref in env.get("references", {}).items()]
