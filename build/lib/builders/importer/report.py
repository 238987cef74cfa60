"""What the import tells the user: the outline it found, repairs by kind, TOC defects and warnings."""
from __future__ import annotations

import re
from collections import Counter
from urllib.parse import unquote

from schema.markdown import inline_text

from ..slugger import Slugger, slug
from .document import Outline, question_like, strip_number
from .questions import Imported

TOC_LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]*)\)")


def _ws(text: str) -> str:
    return " ".join(text.split())


def shape(outline: Outline, imported: Imported) -> str:
    depths = sorted({h.depth for h in outline.headings})
    how = {"headings": "headings", "bold": "bold paragraphs", "list": "list items", "prefix": "'Q:'-prefixed lines",
           "table": "table rows"}[outline.kind]
    if outline.kind == "headings":
        depth = {h.line + 1: h.depth for h in outline.headings}
        qd = Counter(depth[q.line] for q in outline.questions if q.line in depth)
        how += " (" + ", ".join(f"H{d}: {n}" for d, n in sorted(qd.items())) + ")"
    levels = Counter(q.level_how for q in outline.questions)
    marked = " and ".join(f"{k}s" for k in ("heading", "marker") if levels[k]) or "none (every question gets --level)"
    return (f"shape: questions are {how}; {len(imported.sections)} sections from headings"
            f"{' (depths ' + ', '.join(f'H{d}' for d in depths) + ')' if depths else ''}; levels from {marked}")


def outline_lines(imported: Imported, outline: Outline) -> list[str]:
    """The detected outline, as `import --dry-run` prints it."""
    lines = [shape(outline, imported), f"title: {imported.title}", "outline:"]
    for number, section in enumerate(imported.sections, start=1):
        lines.append(f"  {number}. {section['title']} ({len(section['questions'])} questions)")
        for q in section["questions"]:
            size = len(q["short_answer"]) + len(q["answer"])
            state = f"draft: {q['why']}" if q["status"] == "draft" else f"{size} chars"
            lines.append(f"     {q['level'][0].upper()}  {q['question'][:90]}  [line {q['line']}, {state}]")
    return lines


def summary_lines(imported: Imported, done: Counter, found: list[str]) -> list[str]:
    questions = imported.questions
    per_level = Counter(q["level"] for q in questions)
    drafts = [q for q in questions if q["status"] == "draft"]
    why = Counter(q["why"] for q in drafts)
    lines = [f"sections: {len(imported.sections)}",
             "questions: " + ", ".join(f"{per_level[level]} {level}" for level in ("basic", "intermediate", "advanced")) + f" ({len(questions)} in all)",
             f"published: {len(questions) - len(drafts)}, drafts: {len(drafts)}" + (" (" + ", ".join(f"{n} {w}" for w, n in why.items()) + ")" if drafts else ""),
             f"repairs: {sum(done.values())}"]
    lines += [f"  - {kind}: {n}" for kind, n in sorted(done.items())]
    lines += [f"  - {r}" for r in imported.repairs[:10]]
    lines += [f"  - {n}" for n in imported.notes]
    lines.append(f"problems: {len(imported.problems)}")
    lines += [f"  - {p}" for p in imported.problems[:60]] + ([f"  - ... {len(imported.problems) - 60} more"] if len(imported.problems) > 60 else [])
    lines.append(f"warnings: {len(found)}")
    lines += [f"  - {w}" for w in found]
    return lines


def warnings(imported: Imported, outline: Outline) -> list[str]:
    """Signs that the detected structure is wrong."""
    found = []
    questions = imported.questions
    raw = {q.line: q for q in outline.questions}
    for q in questions:
        answer = raw[q["line"]].answer if q["line"] in raw else ""
        inner = [l for l in answer.split("\n") if re.match(r"^\s*(#{1,6}\s|(\d+[.)]|[-*+])?\s*\*\*)", l) and question_like(l.strip("#-*+ 0123456789.)"))]
        if not question_like(q["question"]) and len(inner) >= 2:
            found.append(f"line {q['line']}: “{q['question'][:60]}” does not read as a question and its answer holds {len(inner)} question-like lines: questions may be marked another way (--questions, --question-depth)")
    links_only = [q for q in questions if q["answer"] and not q["short_answer"] and all(re.fullmatch(r"\s*(?:[-*+]|\d+[.)])?\s*\[[^\]]*\]\([^)]*\)\W*", l) or not l.strip()
                                                              for l in q["answer"].split("\n"))]
    if links_only:
        found.append(f"{len(links_only)} answer(s) are only lists of links (first: line {links_only[0]['line']}): a contents list or an index of other files?")
    sizes = sorted((len(q["answer"]), q["line"]) for q in questions)
    total = sum(s for s, _ in sizes)
    if len(questions) >= 1 and sizes[-1][0] > 20_000 or total > 5000 and sizes and sizes[-1][0] > 0.6 * total and len(questions) > 1:
        found.append(f"line {sizes[-1][1]}: one question holds {sizes[-1][0]} characters of answer ({sizes[-1][0] * 100 // max(total, 1)}% of all): several questions merged into one?")
    if len(imported.sections) >= 4 and all(len(s["questions"]) == 1 for s in imported.sections):
        found.append(f"every one of the {len(imported.sections)} sections holds one question: are the section headings really questions? (--questions, --section-depth)")
    if questions and not any(q["status"] == "published" for q in questions):
        found.append("no question has an answer: every question is a draft; nothing will build until answers are written")
    missing = [q for q in questions if q["why"] == "answer file not beside the document"]
    if missing:
        found.append(f"{len(missing)} question(s) link to answer files that are not beside the document (first: line {missing[0]['line']}): "
                     "import from a full copy of the repository, where those files are")
    return found


def toc_problems(text: str, outline: Outline) -> list[str]:
    """TOC entries that point nowhere or at a heading with other text; question headings it misses."""
    if outline.toc is None:
        return []
    lines = text.split("\n")
    slugger = Slugger()
    anchors: dict[str, tuple[str, int]] = {}
    for h in outline.headings:
        anchors.setdefault(slugger.slug(inline_text(h.text)), (h.plain, h.line + 1))
    problems, linked = [], set()
    start, end = outline.toc
    by_line = {h.line + 1: h for h in outline.headings}
    parent = None
    for number in range(start, end):
        nested = len(lines[number]) - len(lines[number].lstrip()) > 0
        for label, target in TOC_LINK.findall(lines[number]):
            label_text = _ws(inline_text(label))
            if not target:
                problems.append(f"TOC line {number + 1}: “{label_text}” is an empty link")
                continue
            if "#" not in target:
                continue
            anchor = unquote(target.split("#", 1)[1])
            if anchor not in anchors:
                problems.append(f"TOC line {number + 1}: “{label_text}” points at #{anchor}, which no heading has")
                continue
            heading, line = anchors[anchor]
            linked.add(line)
            if not nested:
                parent = by_line.get(line)
            elif parent is not None and not _inside(outline, parent, line):
                problems.append(f"TOC line {number + 1}: “{label_text}” points into another part of the document: “{_ws(heading)}” "
                                f"(line {line}) is not under “{parent.plain}”")
                continue
            if slug(strip_number(_ws(heading))) != slug(strip_number(label_text)):
                problems.append(f"TOC line {number + 1}: “{label_text}” links to a heading with other text, “{_ws(heading)}” (line {line})")
    question_lines = {q.line for q in outline.questions}
    if outline.kind == "headings" and linked & question_lines:
        for q in outline.questions:
            if q.line not in linked:
                problems.append(f"line {q.line}: question “{_ws(inline_text(q.text))[:60]}” is missing from the TOC")
    return problems


def _inside(outline: Outline, parent, line: int) -> bool:
    """Is heading `line` (1-based) below `parent`, before the next heading of its depth or shallower?"""
    after = [h for h in outline.headings if h.line > parent.line and h.depth <= parent.depth]
    return parent.line + 1 < line and (not after or line <= after[0].line)
