"""Bounds checked before any rendering: formula size, nesting and commands; Markdown nesting (content/ read limits: schema/limits.py)."""
from __future__ import annotations

import re

from markdown_it.token import Token

MAX_FORMULA_CHARS = 4000  # one formula's TeX source
MAX_GROUP_DEPTH = 12  # braces, \left...\right and \begin...\end inside each other (the guide uses 4)
MAX_DELIMITER_DEPTH = 4  # \left...\right and environments inside each other: ziamath's time doubles per level (the guide uses 2)
MAX_RENDERED_CHARS = 1_000_000  # KaTeX's markup for one formula (the guide's largest: about 26,000)
MAX_MARKDOWN_DEPTH = 16  # emphasis, links, lists and quotes inside each other (the guide uses 4)

MACROS = frozenset({
    "def", "gdef", "edef", "xdef", "let", "futurelet", "global", "long", "expandafter", "noexpand",
    "newcommand", "renewcommand", "providecommand", "newenvironment", "renewenvironment",
    "DeclareMathOperator", "DeclareRobustCommand", "csname", "endcsname",
})
# Links, images and HTML: KaTeX's (off without `trust`) and MathJax's (Anki draws math with MathJax).
LIVE = frozenset({
    "href", "url", "includegraphics", "htmlClass", "htmlId", "htmlStyle", "htmlData",
    "class", "cssId", "style", "require", "unicode", "mmlToken",
})
_TOKEN = re.compile(r"\\([A-Za-z]+|.)|([{}])", re.DOTALL)
OPENERS = {"left": "right", "begin": "end"}


def formula_problem(tex: str) -> str:
    """Why a formula is refused before KaTeX or ziamath sees it, or '' (one linear scan).

    Every message starts with "formula ", so callers can tell it from a KaTeX parse error."""
    if len(tex) > MAX_FORMULA_CHARS:
        return f"formula is {len(tex)} characters long (limit {MAX_FORMULA_CHARS})"
    depth = delimiters = 0
    for match in _TOKEN.finditer(tex):
        name, brace = match.groups()
        if name in MACROS:
            return f"formula defines or expands macros (\\{name}); macros are not allowed in content"
        if name in LIVE:
            return f"formula uses \\{name}: links, images and HTML are not allowed in formulas"
        if brace == "{" or name in OPENERS:
            depth += 1
            delimiters += name in OPENERS
        elif brace == "}" or name in OPENERS.values():
            depth -= 1
            delimiters -= name in OPENERS.values()
        if depth > MAX_GROUP_DEPTH:
            return f"formula nests groups more than {MAX_GROUP_DEPTH} deep (braces, \\left...\\right and environments together); split it"
        if delimiters > MAX_DELIMITER_DEPTH:
            return f"formula nests \\left...\\right and environments more than {MAX_DELIMITER_DEPTH} deep; split it or use \\big( \\Big( ..."
    return ""


def markdown_depth(tokens: list[Token]) -> tuple[int, int]:
    """(deepest nesting of Markdown elements, 0-based line of the block where it is)."""
    deepest, where = 0, 0
    for token in tokens:
        inner = max((child.level + (child.nesting > 0) for child in token.children or []), default=0)
        depth = token.level + (token.nesting > 0) + inner
        if depth > deepest:
            deepest, where = depth, token.map[0] if token.map else where
    return deepest, where
