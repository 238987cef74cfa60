"""Content problems: one located message each, raised together as ContentErrors."""
from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path

MAX_SHOWN = 60  # characters of a user value quoted in a message
MAX_LINE = 2000  # characters of one printed message line (file names and values are already short)


def clip(value: object, limit: int = MAX_SHOWN) -> str:
    """A user value for a message: repr of at most `limit` characters, never of a whole
    container (a YAML or JSON value can be huge); only a prefix of a long string is looked at."""
    if isinstance(value, str):
        return repr(value[:limit]) + ("…" if len(value) > limit else "")
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        return str(value) if value.bit_length() <= 200 else f"a {value.bit_length()}-bit integer"
    if isinstance(value, (dict, list, tuple, set)):
        return f"a {type(value).__name__} of {len(value)} items"
    return f"a {type(value).__name__}"


def cut(text: str, limit: int = MAX_SHOWN) -> str:
    """A message part from user input (a library's error text, an anchor name) cut to `limit`."""
    return text if len(text) <= limit else text[:limit] + "…"


def _unsafe(char: str) -> bool:
    """Characters that may not reach a terminal or log as they are: controls (C0, DEL, C1),
    format characters (bidi overrides and isolates, zero-width and invisible ones) and line
    or paragraph separators."""
    return unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn") and char != "\t"




def printable(text: str) -> str:
    """`text` with every control, bidi and invisible character written as an escape (`\\x1b`,
    `\\u202e`), and cut to MAX_LINE characters: what the CLI prints cannot move the cursor,
    erase or recolour earlier lines, reorder text or fake output."""
    text = text if len(text) <= MAX_LINE else text[:MAX_LINE] + "… (cut)"
    if text.isascii() and text.isprintable():
        return text
    return "".join((f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}" if ord(c) < 0x10000 else f"\\U{ord(c):08x}")
                   if _unsafe(c) else c for c in text)


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in the content, located by file, line (0 = unknown) and field."""

    path: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        field = f"{cut(self.field, 100)}: " if self.field else ""  # a YAML key can be long
        return f"{where}: {field}{self.message}"


class ContentErrors(Exception):
    """Every problem found in a corpus; raised once after loading everything."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))


def display_path(path: Path) -> str:
    """Path relative to the working directory when it is inside it, else as given; symlinks
    are not resolved, so a message names the link, not what it points to."""
    try:
        return str(Path(os.path.abspath(path)).relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
