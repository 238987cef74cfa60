"""Line-level checks on text extracted from the PDFs (pypdf): stranded first words, line lengths."""
from __future__ import annotations

import re
import statistics
from collections.abc import Iterable

from pypdf import PdfReader

from schema import Corpus
from schema.markdown import RENDERER

PLAIN = {"text", "code_inline", "text_special"}
TAIL = 20  # characters past the word that must read as the same paragraph's own text


def squash(text: str) -> str:
    """Letters and digits only, lowercase: robust to line breaks, hyphenation and spacing."""
    return re.sub(r"[\W_]+", "", text).casefold()


def plain(children: list) -> str:
    """The text of an inline token's children, formulas and images left out (they are images)."""
    return "".join(c.content if c.type in PLAIN else " " if c.type in ("softbreak", "hardbreak") else ""
                   for c in children)


def paragraphs(markdown: str) -> list[str]:
    """The plain text of each paragraph (list items included, table cells not: a narrow cell
    may hold one word a line) that starts with text rather than a formula or an image."""
    tokens = RENDERER.parse(markdown)
    out = []
    for before, token in zip(tokens, tokens[1:]):
        if token.type == "inline" and before.type == "paragraph_open" and token.children:
            if token.children[0].type in PLAIN:
                out.append(plain(token.children))
    return out


def corpus_paragraphs(corpus: Corpus) -> list[str]:
    """Every paragraph a PDF prints: question titles, short answers, answers."""
    out = []
    for q in corpus.published:
        out += paragraphs(q.question) + paragraphs(q.short_answer) + paragraphs(q.answer)
    return [p for p in out if len(p.split()) >= 3]


_TEXTS: dict[int, tuple[PdfReader, list[str]]] = {}


def page_texts(reader: PdfReader) -> list[str]:
    """Each page's text as pypdf extracts it, once per reader (the handout's takes twenty seconds,
    and several checks read it)."""
    if id(reader) not in _TEXTS or _TEXTS[id(reader)][0] is not reader:
        _TEXTS[id(reader)] = (reader, [page.extract_text() or "" for page in reader.pages])
    return _TEXTS[id(reader)][1]


def lines(reader: PdfReader) -> list[str]:
    """The non-blank text lines of every page, in order."""
    return [line for text in page_texts(reader) for line in text.splitlines() if line.strip()]


HYPHENS = ("-", "\u2010", "\u00ad")
SENTENCE_END = (".", "?", "!", ":")  # a word ending a sentence or a run-in head is not stranded


def words(text: str) -> str:
    """Lowercase words (letters and digits) separated by single spaces, punctuation left out."""
    return " ".join(re.findall(r"[^\W_]+", text.casefold()))


def stranded_words(text_lines: list[str], paras: Iterable[str]) -> list[str]:
    """Lines that hold one word (or its first syllables, hyphenated) while its paragraph goes on
    on the next line: "It" / "keeps the attention...", "Be-" / "cause...". A paragraph's first
    word is the case seen most, but a line's first word is stranded the same way mid-paragraph.

    A line is counted when it is one word and, joined with the next line, it reads as one
    paragraph's own text from a word start on, for TAIL characters past the line (so the next
    line is the same paragraph going on: a paragraph's last word before the next block is not
    counted), nothing stands before it on its line (pypdf gives a formula image as a leading
    space: "$i$ is" before a display formula is not stranded), it does not end a sentence (a title's last word, a run-in head like "Fixes.") and
    it is not the rest of a word the line before broke at a hyphen (as in a narrow table cell)."""
    text = " | ".join(words(p) for p in paras)  # words() never yields "|": no match spans two
    found = []
    for before, line, following in zip([""] + text_lines, text_lines, text_lines[1:]):
        word = line.strip()
        if not words(word) or any(ch.isspace() for ch in word) or word.endswith(SENTENCE_END):
            continue
        if line[:1].isspace():  # something (a formula image) stands before the word on its line
            continue
        if before.rstrip().endswith(HYPHENS):  # the rest of a word broken at a hyphen (a table cell)
            continue
        hyphenated = word.endswith(HYPHENS)
        joined = words(word.rstrip("".join(HYPHENS)) + ("" if hyphenated else " ") + following)
        end = len(words(word)) + TAIL
        if len(joined) >= end and f" {joined[:end]}" in f" {text}":
            found.append(f"{word} / {following.strip()[:40]}")
    return found


def full_line_lengths(text_lines: list[str]) -> list[int]:
    """Characters in each full line of running text: at least 80% as long as the 90th
    percentile of all lines (short last lines, headings and lines cut by formulas drop out)."""
    widths = sorted(len(line.strip()) for line in text_lines)
    if not widths:
        return []
    reference = widths[int(0.9 * (len(widths) - 1))]
    return [w for w in widths if w >= 0.8 * reference]


def median_full_line_of(text_lines: list[str]) -> float:
    """The median length of the full lines among these (characters)."""
    return statistics.median(full_line_lengths(text_lines))


def median_full_line(reader: PdfReader) -> float:
    """The median length of the full lines of a PDF (characters)."""
    return median_full_line_of(lines(reader))
