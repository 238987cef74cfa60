"""Find the structure of a legacy Q&A document: title, sections, questions, levels and raw answers."""
from __future__ import annotations

import bisect
import re

from .document import (ANSWER_HEADING, KINDS, META_TITLE, TOC_HEADING, Candidate, Document, Heading, Outline,
                       RawQuestion, question_like, strip_number)
from .levels import heading_level, level_marker, marker_level

def find_outline(text: str, summaries: set[int], kind: str = "auto", question_depth: int | None = None,
                 section_depth: int | None = None, levels: str = "auto") -> Outline:
    """Detect (or follow the options for) where questions, sections and levels are."""
    doc = Document(text, summaries)
    out = Outline(headings=doc.headings, link_tables=doc.link_tables)
    roles = _heading_roles(doc, question_depth)
    counts = {"headings": sum(1 for r in roles.values() if r == "question")}
    # candidates inside the answer of a heading question (follow-up questions, quiz options) do not count
    inside = _inside_heading_answers(doc, roles) if counts["headings"] >= 3 else []
    counts.update({k: sum(1 for c in v if not _within(c.line, inside)) for k, v in doc.candidates.items() if k != "headings"})
    if kind == "auto":
        kind = max(KINDS, key=lambda k: (counts.get(k, 0), k == "headings"))
        if not counts[kind]:
            kind = "headings" if question_depth is None and _fallback_depth(doc) else kind
            if kind == "headings" and not counts[kind]:
                roles = _heading_roles(doc, _fallback_depth(doc))
    out.kind = kind
    if kind != "headings":  # headings are sections, except those that belong to an answer ('### Example')
        roles = {h.line: ("toc" if roles[h.line] == "toc" else "level" if roles[h.line] == "level" else
                          "sub" if ANSWER_HEADING.match(h.plain) else "section") for h in doc.headings}
    nav = list(doc.nav_lists) + _toc_ranges(doc, roles)
    out.toc = next(iter(_toc_ranges(doc, roles)), None) or (doc.nav_lists[0] if doc.nav_lists else None)
    title = _title(doc, roles)
    if title is not None:
        out.title = title.plain
        roles[title.line] = "title"
        out.description = _description(doc, title, nav)
    starts = _question_starts(doc, roles, kind, nav)
    boundaries = sorted({line for line, _ in starts} | {h.line for h in doc.headings if roles[h.line] != "sub"} | {len(doc.lines)})
    stars_from_one = False
    context = _Context(doc, roles)
    depths = {h.line: h.depth for h in doc.headings}
    for line, cand in starts:
        nxt = boundaries[bisect.bisect_right(boundaries, line)]
        answer = _answer(doc, cand, nxt, nav)
        marker, question = level_marker(strip_number(cand.text) if cand.kind != "table" else cand.text)
        stars_from_one |= bool(marker) and not any(e in marker for e in "👶🐣🟢")
        depth = depths.get(line, 7) if cand.kind == "headings" else 7
        ancestors = context.ancestors(line, depth)
        if any(META_TITLE.match(h.plain) for h in ancestors):
            out.notes.append(f"line {line + 1}: “{question[:60]}” is under “{next(h.plain for h in ancestors if META_TITLE.match(h.plain))}”: not imported")
            continue
        out.questions.append(RawQuestion(question, line + 1, marker, "", answer, ancestors, cand.link))
    if any("👶" in (q.level or "") or "🚀" in (q.level or "") for q in out.questions):
        stars_from_one = False
    for q in out.questions:
        marker = q.level or ""
        q.level = marker_level(marker, stars_from_one) if levels in ("auto", "markers") else None
        q.level_how = "marker" if q.level else ""
        if q.level is None and levels in ("auto", "headings"):
            q.level = context.level(q.line - 1)
            q.level_how = "heading" if q.level else ""
    _assign_sections(out, section_depth)
    return out


def _inside_heading_answers(doc: Document, roles: dict[int, str]) -> list[tuple[int, int]]:
    """The line ranges that are answers of question headings (up to the next heading that is not a
    sub-heading), in order."""
    ranges: list[tuple[int, int]] = []
    heads = doc.headings
    nxt = len(doc.lines)
    for index in range(len(heads) - 1, -1, -1):  # backwards: each answer ends at the next non-sub heading
        h = heads[index]
        if roles.get(h.line) == "question":
            ranges.append((h.end, nxt))
        if roles.get(h.line) != "sub":
            nxt = h.line
    return ranges[::-1]


def _within(line: int, ranges: list[tuple[int, int]]) -> bool:
    at = bisect.bisect_right(ranges, (line, len(ranges) and 1 << 62)) - 1
    return at >= 0 and ranges[at][0] <= line < ranges[at][1]


def _heading_roles(doc: Document, question_depth: int | None) -> dict[int, str]:
    """line -> role of every heading: toc, level, question, sub (inside an answer) or section."""
    roles: dict[int, str] = {}
    heads = doc.headings
    current: Heading | None = None
    level_scope: Heading | None = None
    level_qdepth: int | None = None
    for index, h in enumerate(heads):
        if level_scope and h.depth <= level_scope.depth and not heading_level(h.plain):
            level_scope = level_qdepth = None
        if TOC_HEADING.match(h.plain):
            roles[h.line], current = "toc", None
            continue
        if ANSWER_HEADING.match(h.plain) and (current or index and roles.get(heads[index - 1].line) in ("sub", "section")):
            roles[h.line] = "sub"
            continue
        if current and h.depth > current.depth:
            if question_depth is None and question_like(h.text) and not _has_body(doc, current, h):
                roles[current.line] = "section"
                roles[h.line], current = "question", h
            else:
                roles[h.line] = "sub"
            continue
        current = None
        if heading_level(h.plain):
            roles[h.line], level_scope = "level", h
            deeper = next((x for x in heads[index + 1:] if x.depth > h.depth or x.depth <= h.depth), None)
            level_qdepth = deeper.depth if deeper and deeper.depth > h.depth else None
            continue
        if question_depth is not None:
            is_question = h.depth == question_depth
        elif level_scope and level_qdepth == h.depth:
            is_question = True
        else:
            is_question = question_like(h.text) and not META_TITLE.match(h.plain)
        roles[h.line] = "question" if is_question else "section"
        current = h if is_question else None
    if question_depth is None:
        _sibling_questions(doc, roles)
    return roles


def _sibling_questions(doc: Document, roles: dict[int, str]) -> None:
    """A heading with an answer among sibling questions is a question too ('### Overfitting'); the
    headings under it that hold no question become part of its answer ('###### Source'). Linear."""
    heads = doc.headings
    count = len(heads)
    ends = [count] * count  # index of the first heading after each heading's subtree
    holds = [False] * count  # the subtree holds a question, level or contents heading
    parents: list[int] = [-1] * count
    stack: list[int] = []
    for i, h in enumerate(heads):
        while stack and heads[stack[-1]].depth >= h.depth:
            ends[stack.pop()] = i
        parents[i] = next((j for j in reversed(stack) if roles[heads[j].line] != "sub"), -1)
        if roles[h.line] in ("question", "level", "toc"):
            for j in stack:
                holds[j] = True
            # (a stack is at most six deep, so this stays linear)
        stack.append(i)
    body = [roles[h.line] == "question" or _has_body(doc, h, heads[i + 1] if i + 1 < count else None) for i, h in enumerate(heads)]
    groups: dict[tuple[int, int], list[int]] = {}
    for i, h in enumerate(heads):
        if roles[h.line] != "toc" and body[i]:
            groups.setdefault((parents[i], h.depth), []).append(i)
    for i, h in enumerate(heads):
        if roles[h.line] != "section" or META_TITLE.match(h.plain) or holds[i] or not (body[i] or ends[i] > i + 1):
            continue
        siblings = [j for j in groups.get((parents[i], h.depth), []) if j != i]
        questions = sum(1 for j in siblings if roles[heads[j].line] == "question")
        if questions >= 2 and questions >= 0.6 * len(siblings):
            roles[h.line] = "question"
            for j in range(i + 1, ends[i]):
                roles[heads[j].line] = "sub"


def _fallback_depth(doc: Document) -> int | None:
    """No question-like text anywhere: the deepest heading level whose headings carry text."""
    depths = sorted({h.depth for h in doc.headings}, reverse=True)
    for depth in depths:
        heads = [h for h in doc.headings if h.depth == depth]
        if len(heads) >= 2 and depth != min(h.depth for h in doc.headings):
            return depth
    return depths[0] if len(depths) == 1 and len(doc.headings) >= 2 else None


def _has_body(doc: Document, head: Heading, nxt: Heading | None) -> bool:
    end = nxt.line if nxt else len(doc.lines)
    return any(re.sub(r"<[^>]*>", "", line).strip() and not set(line.strip()) <= set("-*_=") for line in doc.lines[head.end:end])


def _toc_ranges(doc: Document, roles: dict[int, str]) -> list[tuple[int, int]]:
    ranges = []
    for index, h in enumerate(doc.headings):
        if roles.get(h.line) == "toc":
            nxt = next((x for x in doc.headings[index + 1:] if x.depth <= h.depth or roles.get(x.line) != "toc"), None)
            ranges.append((h.line, nxt.line if nxt else len(doc.lines)))
    return ranges


def _title(doc: Document, roles: dict[int, str]) -> Heading | None:
    heads = [h for h in doc.headings if roles[h.line] != "toc"]
    if not heads or roles[heads[0].line] != "section":
        return None
    first = heads[0]
    if first.depth != min(h.depth for h in heads):
        return None
    peers = [h for h in heads if h.depth == first.depth]
    children = []
    for h in heads[1:]:
        if h.depth <= first.depth:
            break
        children.append(h)
    direct_questions = any(roles[c.line] == "question" and c.depth == first.depth + 1 for c in children)
    return first if len(peers) == 1 or not direct_questions else None


def _description(doc: Document, title: Heading, nav: list[tuple[int, int]]) -> str:
    for start, end, kind in doc.blocks:
        if start < title.end:
            continue
        if kind == "heading_open":
            return ""
        if kind == "paragraph_open" and not _in(start, nav):
            text = " ".join(line.strip() for line in doc.lines[start:end])
            if len(text) > 20 and "![" not in text and "<" not in text:
                return text[:900]
    return ""


def _in(line: int, ranges: list[tuple[int, int]]) -> bool:
    return any(a <= line < b for a, b in ranges)


def _question_starts(doc: Document, roles: dict[int, str], kind: str, nav: list[tuple[int, int]]) -> list[tuple[int, Candidate]]:
    if kind == "headings":
        return [(h.line, Candidate("headings", h.line, h.text, h.end)) for h in doc.headings if roles[h.line] == "question"]
    chosen = [c for c in doc.candidates[kind] if not _in(c.line, nav)]
    last = {c.link: c.line for c in chosen if c.link}
    chosen = [c for c in chosen if not c.link or last[c.link] == c.line]  # a question listed twice: the later listing
    # a part of the document (between two headings) with none of the chosen kind may use another
    cuts = [h.line for h in doc.headings] + [len(doc.lines)]
    part = lambda line: bisect.bisect_right(cuts, line)  # noqa: E731
    taken = {part(c.line) for c in chosen}
    for other in ("bold", "list", "prefix"):
        if other == kind:
            continue
        extra = [c for c in doc.candidates[other] if not _in(c.line, nav) and part(c.line) not in taken and question_like(c.text)]
        counts = {p: sum(1 for c in extra if part(c.line) == p) for p in {part(c.line) for c in extra}}
        extra = [c for c in extra if counts[part(c.line)] >= 3]
        chosen += extra
        taken |= {part(c.line) for c in extra}
    return sorted(((c.line, c) for c in chosen), key=lambda pair: pair[0])


def _answer(doc: Document, cand: Candidate, nxt: int, nav: list[tuple[int, int]]) -> str:
    lines = doc.lines
    if cand.kind == "table":
        return cand.rest
    if cand.kind == "list":
        inner = _dedent(lines[cand.answer_start: cand.item_end])
        body = (cand.rest + "\n" + inner).strip("\n")
        if cand.single_item and cand.item_end is not None:
            body += "\n\n" + "\n".join(l for i, l in enumerate(lines[cand.item_end:nxt], cand.item_end) if not _in(i, nav))
        return body.strip("\n")
    body = "\n".join(l for i, l in enumerate(lines[cand.answer_start:nxt], cand.answer_start) if not _in(i, nav))
    return (cand.rest + "\n\n" + body).strip("\n") if cand.rest else body.strip("\n")


def _dedent(lines: list[str]) -> str:
    widths = [len(l) - len(l.lstrip()) for l in lines if l.strip()]
    cut = min(widths) if widths else 0
    return "\n".join(l[cut:] for l in lines)


class _Context:
    """For any line: the section headings enclosing it and the level heading in force (one pass)."""

    def __init__(self, doc: Document, roles: dict[int, str]):
        self.roles = roles
        self.lines: list[int] = []
        self.stacks: list[tuple[Heading, ...]] = []
        self.levels: list[str | None] = []
        stack: list[Heading] = []
        level, scope = None, None
        for h in doc.headings:
            role = roles[h.line]
            if role in ("section", "title", "level", "toc"):
                while stack and stack[-1].depth >= h.depth:
                    stack.pop()
                if role != "toc":
                    stack.append(h)
            if role == "level":
                level, scope = heading_level(h.plain), h.depth
            elif scope is not None and h.depth <= scope:
                level, scope = None, None
            self.lines.append(h.line)
            self.stacks.append(tuple(stack))
            self.levels.append(level)

    def _at(self, line: int) -> int:
        """Index of the last heading strictly before `line`, or -1."""
        return bisect.bisect_left(self.lines, line) - 1

    def ancestors(self, line: int, depth: int) -> list[Heading]:
        """The section headings enclosing a line (a level heading stands in where no section does)."""
        at = self._at(line)
        stack = [h for h in (self.stacks[at] if at >= 0 else ()) if h.depth <= depth]
        sections = [h for h in stack if self.roles[h.line] == "section"]
        return sections or [h for h in stack if self.roles[h.line] == "level"][:1]

    def level(self, line: int) -> str | None:
        at = self._at(line)
        return self.levels[at] if at >= 0 else None


def _assign_sections(out: Outline, section_depth: int | None) -> None:
    """Each question's section: the shallowest heading level that groups (nearly) all questions."""
    questions = out.questions
    if section_depth is None:
        depths = sorted({h.depth for q in questions for h in q.sections})
        fitting = []
        for depth in depths:
            covered = [q for q in questions if any(h.depth == depth for h in q.sections)]
            distinct = {h.line for q in covered for h in q.sections if h.depth == depth}
            if len(covered) >= 0.9 * len(questions) and len(distinct) >= 2:
                fitting.append((depth, len(covered) / len(distinct)))
        if fitting:  # the shallowest level that divides the questions into three or more sections
            section_depth = next((d for d, mean in fitting if len(questions) / mean >= 2.5), fitting[0][0])
        else:
            section_depth = next((d for d in reversed(depths) if sum(1 for q in questions if any(h.depth == d for h in q.sections)) >= 0.9 * len(questions)), None)
    for q in questions:
        at = [h for h in q.sections if h.depth == section_depth]
        q.sections = at or q.sections[-1:]
