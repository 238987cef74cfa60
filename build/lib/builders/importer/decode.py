"""Bytes of a legacy document to clean text: UTF-8, whole-file codepage damage reversed, ftfy per line."""
from __future__ import annotations

import unicodedata

import ftfy

from schema.checks import SINGLE_BYTE_CODECS, is_mojibake
from schema.unicode_rules import without_hidden


class ImportError_(Exception):
    """The legacy file cannot be imported (message for the user)."""


def decode(data: bytes, name: str) -> tuple[str, list[tuple[str, str]]]:
    """Bytes to text, reversing a whole-file single-byte mis-decoding, then ftfy line by line.

    Returns the text and the repairs made as (kind, detail) pairs."""
    if b"\x00" in data:
        raise ImportError_(f"{name}: contains NUL bytes; this is not a Markdown text file")
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportError_(f"{name}:{line}: not valid UTF-8 (byte 0x{data[exc.start]:02x}); convert it to UTF-8 first") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    repairs: list[tuple[str, str]] = []
    bad = sum(is_mojibake(line) for line in text.splitlines())
    if bad:
        for codec in SINGLE_BYTE_CODECS:
            try:
                candidate = text.encode(codec).decode("utf-8")
            except (UnicodeEncodeError, UnicodeDecodeError):
                continue
            if sum(is_mojibake(line) for line in candidate.splitlines()) < bad:
                repairs.append(("mojibake", f"reversed a whole-file mis-decoding: UTF-8 that was read as {codec} ({bad} damaged lines)"))
                text = candidate
                break
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        if is_mojibake(line):
            fixed = ftfy.fix_text(line)
            if fixed != line:
                repairs.append(("mojibake", f"line {number}: repaired mojibake with ftfy: “{line.strip()[:40]}” -> “{fixed.strip()[:40]}”"))
                lines[number - 1] = fixed
    text = unicodedata.normalize("NFC", "\n".join(lines))
    clean = without_hidden(text)
    if clean != text:  # soft hyphens, zero-width spaces, bidi overrides, controls: `check` refuses them
        repairs.append(("invisible and control characters removed", f"{len(text) - len(clean)} characters"))
    return clean, repairs
