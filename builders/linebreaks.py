"""Print-only HTML rewrite: the space before an inline element moves inside it (WeasyPrint line breaks).

WeasyPrint (70.0) strands a line's first word when the text before an inline element ends in a
space that fits only as trailing white space and the element itself does not fit: it breaks at
the line's first opportunity instead of before the element ("It" / "keeps the attention...",
docs/weasyprint-stranded-word.md). With the space at the start of the element instead, the text
before it has no trailing space, and the line breaks before the element as it should. The break
opportunity stays where it was, and so does the space's width, except around code, whose
monospace space would be wider: code gets a plain <span> around it to hold the space.
"""
from __future__ import annotations

import re

# White space (a space, or a soft line break's newline) between a non-space character and the
# start tag of an inline element. Every `<` in the document starts a tag (text and attribute
# values are escaped), so a tag is `<...>`; <pre> blocks, where white space is kept, are left alone.
# (The non-space before it is checked in Python: a pattern opening with a look-behind is tried at
# every position of the document, megabytes of formula images, three times slower.)
_MOVE = re.compile(r"([ \n]+)<(a|abbr|b|del|em|i|mark|s|span|strong|sub|sup|u)(\s[^>]*)?>")
_WRAP = re.compile(r"([ \n]+)(<(code|kbd)(?:\s[^>]*)?>[^<]*</\3>)")
_PRE = re.compile(r"(<pre\b.*?</pre>)", re.DOTALL)


_DATA = re.compile(r'src="data:[^"]*"')  # an image's bytes: no tag, no space in them, and most of a document's length
_HOLE = "\x00"  # where a data: URI was taken out while the rest is rewritten (no document holds one)


def keep_spaces(document: str) -> str:
    """`document` with each such space moved into the inline element that follows it. The data:
    URIs are taken out first and put back after (nothing to rewrite in them; four times faster)."""
    if _HOLE in document:
        return _keep_spaces(document)
    sources = _DATA.findall(document)
    kept = _keep_spaces(_DATA.sub(_HOLE, document)).split(_HOLE)
    return "".join(piece for pair in zip(kept, [*sources, ""]) for piece in pair)


def _keep_spaces(document: str) -> str:
    def after_text(replace):  # noqa: ANN001, ANN202
        def sub(match: re.Match[str]) -> str:
            start = match.start()
            return replace(match) if start and not match.string[start - 1].isspace() else match.group(0)
        return sub

    parts = _PRE.split(document)
    for i in range(0, len(parts), 2):  # the odd parts are the <pre> blocks
        text = _WRAP.sub(after_text(lambda m: f'<span class="space">{m.group(1)}{m.group(2)}</span>'), parts[i])
        parts[i] = _MOVE.sub(after_text(lambda m: f"<{m.group(2)}{m.group(3) or ''}>{m.group(1)}"), text)
    return "".join(parts)
