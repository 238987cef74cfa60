"""Typographic quotes in Markdown source: the quotes the renderer curls, curled in the text itself."""
from __future__ import annotations

import re

from .markdown import TYPESET, _renderer, make_parser

_PLAIN = make_parser()  # the same parse without quotes, escapes kept as their own tokens
_PLAIN.core.ruler.disable("text_join")
_CURLED = make_parser(quotes=True)
_CURLED.core.ruler.disable("text_join")
# Source that is not prose: fenced code, display math, code spans, escapes, inline math,
# images, link destinations and titles, autolinks. (Anything this misses is caught below.)
_NOT_PROSE = re.compile(
    r"^[ \t]*(`{3,}|~{3,})[^\n]*\n.*?^[ \t]*\1[`~]*[ \t]*$"
    r"|^[ \t]*\$\$[ \t]*\n.*?^[ \t]*\$\$[ \t]*$"
    r"|(`+).*?(?<!`)\2(?!`)"
    r"|\\."
    r"|\$(?=\S)(?:[^$\\]|\\.)*?\$"
    r"|!\[[^\]]*\]\([^)]*\)"
    r"|\]\([^)]*\)"
    r"|<[a-zA-Z][a-zA-Z0-9+.-]*:[^<>\s]*>",
    re.MULTILINE | re.DOTALL,
)


def _outcomes(markdown: str) -> list[str]:
    """What each straight quote in the prose becomes, in order (a quote may stay straight)."""
    out: list[str] = []
    for plain, curled in zip(_PLAIN.parse(markdown), _CURLED.parse(markdown), strict=True):
        for a, b in zip(plain.children or [], curled.children or [], strict=True):
            if a.type == b.type == "text":  # (an autolink's text is not prose)
                out += [new for old, new in zip(a.content, b.content, strict=True) if old in "'\""]
    return out


def _render(markdown: str) -> str:
    return _renderer(lambda tex, display: tex).render(TYPESET.parse(markdown), TYPESET.options, {})


def curl_quotes(markdown: str) -> str:
    """The Markdown with each straight quote of its prose replaced by the typographic one the
    renderer shows, and everything else byte for byte: code, math, URLs and escaped quotes
    keep theirs. Verified: the result renders exactly as the original; if it would not (a
    construct the scan above does not know), the text is returned unchanged."""
    if "'" not in markdown and '"' not in markdown:
        return markdown
    protected = [False] * len(markdown)
    for match in _NOT_PROSE.finditer(markdown):
        protected[match.start():match.end()] = [True] * (match.end() - match.start())
    places = [i for i, c in enumerate(markdown) if c in "'\"" and not protected[i]]
    outcomes = _outcomes(markdown)
    if len(places) != len(outcomes):
        return markdown
    chars = list(markdown)
    for place, new in zip(places, outcomes):
        chars[place] = new
    curled = "".join(chars)
    return curled if _render(curled) == _render(markdown) else markdown
