"""Characters no text field may hold: controls, bidi overrides and isolates, invisible ones."""
from __future__ import annotations

import unicodedata

ZWNJ, ZWJ, VS16 = "\u200c", "\u200d", "\ufe0f"
BLACK_FLAG, CANCEL_TAG = "\U0001f3f4", "\U000e007f"
# Invisible characters that are not in category Cf (format): fillers and joiners that show nothing.
INVISIBLE = {"\u034f", "\u115f", "\u1160", "\u17b4", "\u17b5", "\u3164", "\uffa0", "\u2800"}
BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _emoji(char: str) -> bool:
    """A pictograph (symbol, other) or an emoji modifier or selector that may precede a ZWJ."""
    return unicodedata.category(char) == "So" or char == VS16 or "\U0001f3fb" <= char <= "\U0001f3ff"


def _joined_letter(char: str) -> bool:
    """A letter or mark of a script that uses ZWJ/ZWNJ for its shaping (Arabic, Indic, ...):
    not Latin, Greek or Cyrillic, where a joiner only hides a difference between words."""
    return ord(char) >= 0x0590 and unicodedata.category(char)[0] in "LM"


def allowed(line: str, index: int) -> bool:
    """Whether the format character at `index` is legitimate where it stands: ZWJ inside an
    emoji sequence (👨‍👩‍👧), ZWJ/ZWNJ between letters of a script that needs them, and tag
    characters inside a subdivision flag (🏴 + tags + cancel tag)."""
    char = line[index]
    before, after = line[index - 1: index], line[index + 1: index + 2]
    if char == ZWJ and before and after and _emoji(before) and _emoji(after):
        return True
    if char in (ZWJ, ZWNJ) and before and after and _joined_letter(before) and _joined_letter(after):
        return True
    if "\U000e0020" <= char <= CANCEL_TAG:
        start = index
        while start > 0 and "\U000e0020" <= line[start - 1] <= "\U000e007e":
            start -= 1
        end = line.find(CANCEL_TAG, index)
        return start > 0 and line[start - 1] == BLACK_FLAG and end >= 0 and \
            all("\U000e0020" <= c <= "\U000e007e" for c in line[index:end])
    return False


def forbidden(line: str, index: int) -> bool:
    """Whether the character at `index` is one no text field may hold (see hidden_characters)."""
    char = line[index]
    category = unicodedata.category(char)
    if char == "\t":
        return False
    return category == "Cc" or char in BIDI or (category in ("Cf", "Zl", "Zp") or char in INVISIBLE) and not allowed(line, index)


def without_hidden(text: str) -> str:
    """The text with every forbidden character removed (for importers: `check` refuses them)."""
    if text.isascii() and text.replace("\t", " ").replace("\n", " ").isprintable():
        return text
    return "\n".join("".join(c for i, c in enumerate(line) if not forbidden(line, i)) for line in text.split("\n"))


def hidden_characters(line: str) -> list[str]:
    """One message per distinct forbidden character of a line, naming its code point and
    column: C0/C1 controls (tab allowed), bidi embeddings, overrides, isolates and marks, and
    invisible characters (zero-width space and joiners out of place, word joiner, BOM, soft
    hyphen, tags, fillers): they can reorder what a reader sees or hide differences."""
    if line.isascii() and line.replace("\t", " ").isprintable():
        return []
    messages, seen = [], set()
    for index, char in enumerate(line):
        category = unicodedata.category(char)
        if char in seen or char == "\t":
            continue
        if category == "Cc":
            kind = "a control character"
        elif char in BIDI:
            kind = "a bidirectional control character (it can reorder the text a reader sees)"
        elif (category in ("Cf", "Zl", "Zp") or char in INVISIBLE) and not allowed(line, index):
            kind = "an invisible character"
        else:
            continue
        seen.add(char)
        name = unicodedata.name(char, "")
        messages.append(f"contains {kind}: U+{ord(char):04X}{f' {name}' if name else ''} at column {index + 1}; remove it")
    return messages
