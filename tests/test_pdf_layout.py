"""Print layout (pypdf, positions from the PDF itself): page breaks, contents, quiz, cheat sheet."""
from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser

import pytest
from pypdf import PageObject, PdfReader

from builders import html as html_builder
from schema import load_corpus
from schema.markdown import render_html

from . import pdf_lines
from .test_pdf import contents_pages, squash, text_chunks

Line = tuple[float, list[tuple[float, str]]]  # baseline y, fragments (x, text) left to right
SCANNED: dict[int, list] = {}  # body() per reader (the readers live as long as this module's tests)


@pytest.fixture(scope="module")
def readers(bundled_readers) -> dict[str, PdfReader]:
    return bundled_readers


def scan(page: PageObject) -> tuple[list[Line], list[float]]:
    """The page's text lines, top to bottom, and the y of every path point drawn (formulas are paths)."""
    frags: dict[float, list[tuple[float, str]]] = {}
    ink: list[float] = []

    def text(chunk, cm, tm, font, size):  # noqa: ANN001, ANN202 - pypdf's visitor signature
        if chunk.strip():
            y = round(tm[4] * cm[1] + tm[5] * cm[3] + cm[5])
            frags.setdefault(y, []).append((tm[4] * cm[0] + tm[5] * cm[2] + cm[4], chunk.replace("\n", " ")))

    def operator(op, args, cm, tm):  # noqa: ANN001, ANN202
        if op in (b"m", b"l", b"c", b"re"):
            pairs = [(float(args[i]), float(args[i + 1])) for i in range(0, len(args) - 1, 2)]
            ink.extend(x * cm[1] + y * cm[3] + cm[5] for x, y in (pairs[:1] if op == b"re" else pairs))

    page.extract_text(visitor_text=text, visitor_operand_before=operator)
    return [(y, sorted(parts)) for y, parts in sorted(frags.items(), reverse=True)], ink


def body(reader: PdfReader) -> list[tuple[list[Line], list[float], float]]:
    """Per page: the body lines (no running head, no page number), the ink, and the foot line's y.

    The running head and the page number sit at the same height on (nearly) every page, in the
    margins where no body text goes: the commonest top and bottom line heights are theirs."""
    if id(reader) in SCANNED:
        return SCANNED[id(reader)]
    pages = [scan(page) for page in reader.pages]
    head = Counter(lines[0][0] for lines, _ in pages if lines).most_common(1)[0][0]
    foot = Counter(lines[-1][0] for lines, _ in pages if lines).most_common(1)[0][0]
    SCANNED[id(reader)] = [([ln for ln in lines if ln[0] not in (head, foot)], ink, foot) for lines, ink in pages]
    return SCANNED[id(reader)]


def line_text(line: Line) -> str:
    return "".join(t for _, t in line[1]).strip()


@pytest.mark.parametrize("name", ["handout", "quiz"])
def test_no_lead_in_ending_in_a_colon_is_left_at_the_foot_of_a_page(readers, name):
    stranded = []
    for number, (lines, ink, foot) in enumerate(body(readers[name]), start=1):
        if not lines or not line_text(lines[-1]).endswith(":"):
            continue
        last_y = lines[-1][0]
        if not any(foot + 12 < y < last_y - 6 for y in ink):  # no formula drawn below it either
            stranded.append((number, line_text(lines[-1])[-60:]))
    assert stranded == []


class Tables(HTMLParser):
    """The text of each body row of each table in some HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[str]] = []
        self.row: list[str] | None = None
        self.in_body = False

    def handle_starttag(self, tag: str, attrs) -> None:  # noqa: ANN001
        self.tables += [[]] if tag == "table" else []
        self.in_body = self.in_body or tag == "tbody"
        self.row = [] if tag == "tr" and self.in_body else self.row

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr" and self.row is not None:
            self.tables[-1].append(squash("".join(self.row)))
            self.row = None
        self.in_body = self.in_body and tag != "tbody"

    def handle_data(self, data: str) -> None:
        if self.row is not None:
            self.row.append(data)


def test_short_tables_are_not_split_across_pages(bundled_pdfs, readers):
    corpus = bundled_pdfs[0]
    parser = Tables()
    for q in corpus.published:
        parser.feed(render_html(q.answer, lambda tex, display: ""))  # formulas are drawn, not text
    pages = [squash(text) for text in pdf_lines.page_texts(readers["handout"])]
    checked = 0
    for rows in parser.tables:
        rows = [row for row in rows if len(row) >= 8]
        if len(rows) < 2 or len(rows) >= 11:  # short tables only; long ones may split
            continue
        first = {i for i, text in enumerate(pages) if rows[0] in text}
        last = {i for i, text in enumerate(pages) if rows[-1] in text}
        assert first and last, rows
        if not first & last:  # split: only a table taller than a page, so it starts at the top of one
            start = min(first)
            assert pages[start].find(rows[0]) < 160, f"table split across pages {sorted(first)} / {sorted(last)}: {rows[0][:40]}"
        checked += 1
    assert checked >= 10


def contents_lines(reader: PdfReader) -> list[Line]:
    """The lines of the contents pages below the heading and the legend."""
    pages = body(reader)
    lines = [ln for i in contents_pages(reader) for ln in pages[i][0]]
    top = [i for i, ln in enumerate(lines[:3]) if line_text(ln) == "Contents" or "Intermediate" in line_text(ln)]
    return lines[max(top) + 1:]


def test_contents_explains_the_level_letters(readers):
    text = "\n".join(pdf_lines.page_texts(readers["handout"])[i] for i in contents_pages(readers["handout"]))
    assert re.search(r"B\s*Basic\W+I\s*Intermediate\W+A\s*Advanced", text)


def test_contents_leader_and_page_number_never_stand_alone(readers):
    entries = 0
    for line in contents_lines(readers["handout"]):
        text = line_text(line)
        assert not re.fullmatch(r"[\s.]*\d*", text), f"a leader or number alone on a line: {text!r}"
        entries += bool(re.search(r"\d\s*$", text))
    assert entries >= 80


def test_wrapped_contents_entries_hang_under_the_title(readers):
    """Every line an entry wraps onto starts where the entry's title starts (after its letter or
    number), and every title line stays clear of the page-number column."""
    lines = contents_lines(readers["handout"])
    numbers = [ln[1][-1][0] for ln in lines if re.fullmatch(r"\d+", ln[1][-1][1].strip())]
    column = min(numbers)  # the left edge of the page-number column
    wrapped, title_x = 0, None
    for line in lines:
        parts = [(x, t) for x, t in line[1] if t.strip()]
        if title_x is None:  # an entry's first line: its letter or number, then its title
            marked = re.fullmatch(r"[BIA]|\d+\.", parts[0][1].strip())  # "References" has no mark
            title_x = parts[1][0] if marked else parts[0][0]
        else:
            assert abs(parts[0][0] - title_x) < 1, f"wrapped line does not hang under the title: {line_text(line)!r}"
            wrapped += 1
        title_end = max(x for x, t in parts if not re.fullmatch(r"[\s.]*\d*", t))
        assert title_end < column, line_text(line)
        if re.search(r"\d\s*$", line_text(line)):
            title_x = None
    assert wrapped >= 5


def test_quiz_key_repeats_each_question_under_its_section(bundled_pdfs, readers):
    corpus = bundled_pdfs[0]
    text = "\n".join(pdf_lines.page_texts(readers["quiz"]))
    key = text[text.index("Answer key"):]
    starts = [(int(m.group(1)), m.start()) for m in re.finditer(r"(?m)^\s*A(\d+)\.", key)]
    entries = {n: squash(key[start:end]) for (n, start), (_, end) in zip(starts, [*starts[1:], (0, len(key))])}
    assert sorted(entries) == list(range(1, len(corpus.published) + 1))
    where = dict(starts)
    number, previous = 0, -1
    for section in corpus.sections:
        title = r"\s+".join(map(re.escape, f"{section.number}. {section.title}".split()))
        found = re.search(title, key[previous + 1:])
        assert found, f"the answer key does not name section {section.number}"
        heading = found.start() + previous + 1
        for level in ("basic", "intermediate", "advanced"):
            for q in section.by_level(level):
                number += 1
                chunks = text_chunks(q.question) or [q.question]
                assert all(squash(c) in entries[number] for c in chunks), (number, q.id)
                assert heading < where[number], (number, q.id)  # under its section's heading
                previous = where[number]


def test_quiz_opens_with_a_compact_header_and_name_date_score(readers):
    first = readers["quiz"].pages[0].extract_text()
    assert re.search(r"Name\b.*Date\b.*Score\b", first, re.S)
    assert re.search(r"(?m)^\s*Q1\.", first)  # no bare cover page: the questions start on page 1


def test_quiz_room_to_write_grows_with_the_level(tiny):
    (tiny / "01-basics" / "04-middle.md").write_text(
        "---\nid: middle\nquestion: What sits in the middle?\nlevel: intermediate\nshort_answer: The middle.\n"
        "sources: [vaswani2017]\n---\nIn between.\n", encoding="utf-8")
    page = html_builder.document(load_corpus(tiny), "quiz")
    lines = {level: [item.count('class="write-line"') for item in re.findall(
        rf'<li class="quiz-question quiz-{level}".*?</li>', page, re.S)] for level in ("basic", "intermediate", "advanced")}
    basic, intermediate, advanced = (set(lines[level]) for level in ("basic", "intermediate", "advanced"))
    assert len(basic) == len(intermediate) == len(advanced) == 1
    assert 3 <= min(basic) < min(intermediate) < min(advanced) and min(advanced) >= 8


def test_cheatsheet_last_page_is_balanced_not_a_stray_answer(bundled_pdfs, readers):
    corpus = bundled_pdfs[0]
    reader = readers["cheatsheet"]
    lines = body(reader)[-1][0]
    middle = float(reader.pages[-1].mediabox.width) / 2
    left = [ln[0] for ln in lines if ln[1][0][0] < middle]
    right = [ln[0] for ln in lines if ln[1][0][0] >= middle]
    assert left and right, "the last page uses one column only"
    heights = sorted((max(col) - min(col) for col in (left, right)))
    assert heights[0] >= 0.5 * heights[1], "the last page's columns are not balanced"
    last = squash(reader.pages[-1].extract_text())
    assert sum(squash(q.question)[:40] in last for q in corpus.published) >= 2
