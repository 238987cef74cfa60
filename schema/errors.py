"""Content problems: one located message each, raised together as ContentErrors."""
from __future__ import annotations

import os
import re
import unicodedata
from collections import Counter
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
    """Every problem found in a corpus; raised once after loading everything. `counted` holds
    (section title, level, published) for each question that loaded cleanly, for `stats`."""

    def __init__(self, problems: list[Problem], counted: list[tuple[str, str, bool]] | None = None):
        self.problems = sorted(set(problems))
        self.counted = counted or []
        super().__init__("\n".join(str(p) for p in self.problems))


_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|`[^`]*`|U\+[0-9A-F]{4,6}(?: [A-Z0-9 -]+\b)?|\([^)]*\)")
# Fields named in a kind (a bibliography id or an unknown key's name is not a kind).
KIND_FIELDS = {"id", "question", "level", "status", "short_answer", "answer", "sources", "related", "tags", "title",
               "slug", "description", "author", "language", "keywords", "readme", "authors", "year", "venue", "arxiv", "url"}
_NUMBER = re.compile(r"\d[\d,.]*")


def problem_kind(problem: Problem) -> str:
    """What a problem is, without where or which value: quoted values, code points and numbers
    folded (`raw HTML is not allowed: '<b>'` -> `raw HTML is not allowed`), for summaries."""
    message = _NUMBER.sub("N", _QUOTED.sub(lambda m: m.group() if len(m.group()) <= 5 else "…", problem.message))
    message = re.split(r": |; ", message, maxsplit=1)[0].strip(" .…")
    field = problem.field.split(".")[-1] if problem.field.split(".")[-1] in KIND_FIELDS else ""
    return cut(f"{field}: {message}" if field else message, 90)


def summary_by_kind(problems: list[Problem]) -> list[str]:
    """One line per kind of problem, most frequent first: `  12  raw HTML is not allowed`."""
    kinds = Counter(problem_kind(p) for p in problems)
    width = len(str(max(kinds.values(), default=0)))
    return [f"  {count:>{width}}  {kind}" for kind, count in sorted(kinds.items(), key=lambda item: (-item[1], item[0]))]


def display_path(path: Path) -> str:
    """Path relative to the working directory when it is inside it, else as given; symlinks
    are not resolved, so a message names the link, not what it points to."""
    try:
        return str(Path(os.path.abspath(path)).relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
