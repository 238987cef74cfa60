"""The parsed legacy document: headings, blocks and every place a question may start."""
from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass, field

from schema.markdown import inline_text, make_parser

from .levels import TAG, level_marker


PARSER = make_parser(allow_html=True)
PARSER.core.ruler.enableOnly(["normalize", "block"])  # block structure only: inline tokens keep their raw text
KINDS = ("headings", "bold", "list", "prefix", "table")
TOC_HEADING = re.compile(r"^\W*(table\s+of\s+contents?|contents|toc|index|outline)\W*$", re.IGNORECASE)
META_TITLE = re.compile(r"^\W*(references?|resources?|further\s+reading|contribut\w*|licen[cs]e|acknowledge?ments?|credits|sources|support|sponsors?|about|author|contact|disclaimer|changelog|star\s+history|how\s+to\s+(use|contribute)|related\b)\b", re.IGNORECASE)
QWORD = re.compile(r"^(what|why|how|when|where|which|who|whom|whose|is|are|was|were|do|does|did|can|could|should|would|will|shall|may|might|has|have|in\s+what|what's|whats|how's|why's)\b", re.IGNORECASE)
IMPERATIVE = re.compile(r"^(explain|describe|define|compare|contrast|differentiate|distinguish|list|name|give|write|implement|design|tell|discuss|state|mention|outline|summari[sz]e|illustrate|elaborate|derive|prove|show|calculate|compute|identify|find|suggest|propose|walk\s+me|difference|differences|pros\s+and\s+cons|advantages|disadvantages)\b", re.IGNORECASE)
NUMBERING = re.compile(r"^\s*#*\s*(?:(?:q(?:uestion)?\s*\.?\s*#?\d+|\d+(?:\.\d+)*)\s*[.:)\-–—]?\s+|q(?:uestion)?\s*[:.)\-–—]\s*)", re.IGNORECASE)
PREFIX = re.compile(r"^\s*(?:\*\*|__)?\s*(?:q(?:uestion)?\s*#?\d*\s*[:.)]|q\d+\s*[-–—])\s*(?:\*\*|__)?\s*", re.IGNORECASE)
BOLD_LINE = re.compile(r"^\s*(?:(?:\d+[.)]|q\d*[.:)]?)\s*)?(\*\*|__)(?P<q>(?:(?!\1).)+?)\1(?P<rest>.*)$", re.IGNORECASE)
ANSWER_HEADING = re.compile(r"^\W*(answers?|solutions?|explanations?|ans|(?:practical\s+|code\s+)?examples?|code|output|notes?|hints?|key\s+(?:points|takeaways)|summary|difference\s+between)\b", re.IGNORECASE)
LINK_ONLY = re.compile(r"^\W*\[[^\]]*\]\([^)]*\)\W*$")


def strip_number(title: str) -> str:
    """A heading's own numbering ('1.2 ', 'Q3: ') removed."""
    return NUMBERING.sub("", title, count=1).strip() or title.strip()


MARKUP = re.compile(r"[*_`\[\]!<>\\$&~]")


def plain_inline(markdown: str) -> str:
    """The text of one line of inline Markdown (markdown-it only when it holds markup)."""
    return inline_text(markdown) if MARKUP.search(markdown) else markdown


@functools.lru_cache(maxsize=65536)
def question_like(text: str) -> bool:
    """Does this line read as a question (or an interview task such as 'Explain X')?"""
    if PREFIX.fullmatch(text.strip()) or PREFIX.fullmatch(text.strip() + " "):
        return False
    core = level_marker(strip_number(plain_inline(text)))[1].strip().strip("*_ ")
    if not core or len(core) > 400:
        return False
    if core.endswith("?"):
        return True
    if PREFIX.match(text) or re.match(r"^\s*q\d+\b", text, re.IGNORECASE):
        return True
    if core.endswith(":"):
        return False
    if IMPERATIVE.match(core) or any(IMPERATIVE.match(part) or part.endswith("?") for part in re.split(r"(?<=[.!?])\s+", core)[1:]):
        return True
    return bool(QWORD.match(core)) and not core.endswith(".") and len(core.split()) >= 2


@dataclass
class Heading:
    depth: int
    text: str
    line: int
    end: int

    @functools.cached_property
    def plain(self) -> str:
        return " ".join(re.sub(r"<[^>]+>|:[a-z0-9_+-]+:", "", plain_inline(self.text)).split())


@dataclass
class Candidate:
    """A place where a question may start, found by one of the detectors."""

    kind: str
    line: int
    text: str
    answer_start: int
    rest: str = ""
    item_end: int | None = None
    single_item: bool = True
    summary: bool = False
    link: str = ""


@dataclass
class RawQuestion:
    text: str
    line: int
    level: str | None
    level_how: str
    answer: str
    sections: list[Heading]
    link: str = ""


@dataclass
class Outline:
    title: str = ""
    description: str = ""
    kind: str = ""
    questions: list[RawQuestion] = field(default_factory=list)
    headings: list[Heading] = field(default_factory=list)
    toc: tuple[int, int] | None = None
    link_tables: list[tuple[int, list[str]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class Document:
    """The parsed document: headings, top-level blocks and every question candidate."""

    def __init__(self, text: str, summaries: set[int]):
        self.lines = text.split("\n")
        self.tokens = PARSER.parse(text)
        self.headings: list[Heading] = []
        self.blocks: list[tuple[int, int, str]] = []
        self.candidates: dict[str, list[Candidate]] = {kind: [] for kind in KINDS}
        self.nav_lists: list[tuple[int, int]] = []
        self.link_tables: list[tuple[int, list[str]]] = []
        self.summaries = summaries
        self._scan()

    def _scan(self) -> None:
        tokens = self.tokens
        for index, token in enumerate(tokens):
            if token.level != 0 or token.nesting == -1 or not token.map:
                continue
            start, end = token.map
            self.blocks.append((start, end, token.type))
            if token.type == "heading_open":
                self.headings.append(Heading(int(token.tag[1]), tokens[index + 1].content, start, end))
            elif token.type == "paragraph_open":
                self._paragraph(tokens[index + 1].content, start, end)
            elif token.type in ("bullet_list_open", "ordered_list_open"):
                self._list(index)
            elif token.type == "table_open":
                self._table(index)

    def _paragraph(self, content: str, start: int, end: int, kind_bold: str = "bold") -> Candidate | None:
        first, _, rest = content.partition("\n")
        bold = BOLD_LINE.match(first)
        summary = start in self.summaries
        marked = bool(bold) and bool(level_marker(bold.group("q") + bold.group("rest"))[0])
        if bold and (summary or marked or question_like(bold.group("q")) or (not rest and not bold.group("rest").strip())):
            tail = bold.group("rest").strip()
            marker, tail_text = level_marker(tail)
            if tail_text.strip(" :-–—") == "" or question_like(bold.group("q")) or summary:
                text = bold.group("q").strip() + (" " + marker if marker else "")
                answer = tail_text.lstrip(" :-–—") if tail_text.strip(" :-–—") else ""
                cand = Candidate(kind_bold, start, text, end, rest=(answer + "\n" + rest).strip("\n"), summary=summary)
                if summary or marked or question_like(bold.group("q")):
                    self.candidates[kind_bold].append(cand)
                    return cand
        prefix = PREFIX.match(first)
        if prefix and first[prefix.end():].strip():
            question = first[prefix.end():].strip()
            question, inline_answer = _split_inline_answer(question)
            cand = Candidate("prefix", start, question, end, rest=(inline_answer + "\n" + rest).strip("\n"))
            self.candidates["prefix"].append(cand)
            return cand
        return None

    def _list(self, index: int) -> None:
        """Question items of a list, nested ones included; a list of links to anchors or files is navigation."""
        tokens = self.tokens
        items: list[tuple[int, int, int]] = []  # (start, end, nesting level)
        inlines: dict[int, str] = {}
        for token in tokens[index:]:
            if token.type == "list_item_open" and token.map:
                items.append((token.map[0], token.map[1], token.level))
            if token.type == "inline" and token.map and token.map[0] not in inlines:
                inlines[token.map[0]] = token.content
            if token.level == 0 and token.nesting == -1:
                break
        all_inline = list(inlines.values())
        links = sum(1 for c in all_inline if LINK_ONLY.match(c.strip()))
        if all_inline and links >= 0.8 * len(all_inline) and any(re.search(r"\]\((#|[^)]*\.md)", c) for c in all_inline):
            start, end = tokens[index].map
            self.nav_lists.append((start, end))
            return
        top = sum(1 for item in items if item[2] == items[0][2])
        for number, (start, end, level) in enumerate(items):
            head, _, rest = inlines.get(start, "").partition("\n")
            bold = BOLD_LINE.match(head)
            if bold and question_like(bold.group("q")):
                marker, tail = level_marker(bold.group("rest").strip())
                text = bold.group("q").strip() + (" " + marker if marker else "")
                answer = tail.lstrip(" :-–—")
            elif (question_like(head) or TAG.match(head.lstrip())) and not LINK_ONLY.match(head.strip()):
                text, answer = _split_inline_answer(head.strip())
            else:
                continue
            inner = list(itertools.takewhile(lambda i: i[0] < end, items[number + 1: number + 50]))
            if inner and any(question_like(inlines.get(i[0], "").partition("\n")[0]) for i in inner):
                end = inner[0][0]  # questions nested under a question: each is its own
            self.candidates["list"].append(Candidate("list", start, text, start + 1, rest=answer, item_end=end,
                                                     single_item=top == 1 and level == items[0][2]))

    def _table(self, index: int) -> None:
        tokens = self.tokens
        rows: list[list[str]] = []
        row_lines: list[int] = []
        for token in tokens[index:]:
            if token.type == "tr_open":
                rows.append([])
                row_lines.append(token.map[0] if token.map else 0)
            elif token.type == "inline" and rows:
                rows[-1].append(token.content.strip())
            elif token.type == "table_close":
                break
        if len(rows) < 2:
            return
        header = [inline_text(cell).casefold() for cell in rows[0]]
        qcol = next((i for i, h in enumerate(header) if "question" in h or h in ("q", "problem", "topic")), None)
        acol = next((i for i, h in enumerate(header) if re.search(r"answer|solution|explanation|description", h) and i != qcol), None)
        if qcol is None:
            return
        if acol is None:  # the questions link to their answers in other files
            targets = []
            for row, line in zip(rows[1:], row_lines[1:]):
                link = re.search(r"\[([^\]]+)\]\(([^)#\s]+)[^)]*\)", row[qcol]) if qcol < len(row) else None
                if link and not re.match(r"^[a-z][a-z0-9+.-]*:", link.group(2), re.IGNORECASE):
                    targets.append(link.group(2))
                    self.candidates["table"].append(Candidate("table", line, link.group(1), line + 1, item_end=line + 1, link=link.group(2)))
            if targets:
                self.link_tables.append((tokens[index].map[0] + 1, targets))
            return
        for row, line in zip(rows[1:], row_lines[1:]):
            if qcol < len(row) and row[qcol]:
                answer = row[acol] if acol < len(row) else ""
                self.candidates["table"].append(Candidate("table", line, row[qcol], line + 1, rest=answer, item_end=line + 1))


def _split_inline_answer(text: str) -> tuple[str, str]:
    """'What is X? It is Y.' -> ('What is X?', 'It is Y.'); 'Q ... A: ...' likewise."""
    label = re.search(r"\s(?:\*\*|__)?(?:a|ans|answer)\s*[:.]\s*(?:\*\*|__)?\s*", text, re.IGNORECASE)
    if label and "?" in text[: label.start()] + "?":
        return text[: label.start()].strip(), text[label.end():].strip()
    mark = text.find("? ")
    if mark > 0 and not text.endswith("?"):
        return text[: mark + 1].strip(), text[mark + 2:].strip()
    return text, ""
