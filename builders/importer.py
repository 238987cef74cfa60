"""`studykit import`: a hand-written Markdown Q&A README to validated content files."""
from __future__ import annotations

import os
import re
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

import ftfy
import yaml

from schema import LEVELS
from schema.checks import SINGLE_BYTE_CODECS, is_mojibake
from schema.markdown import RENDERER, inline_text

from .slugger import Slugger, slug

LEVEL_HEADING = re.compile(r"^(?:[\d.]+\s*)?(basic|intermediate|advanced)\b(?:\s+questions?)?\s*$", re.IGNORECASE)
TOC_HEADING = re.compile(r"^(table of contents|contents|toc)$", re.IGNORECASE)
SHORT_MARKER = re.compile(r"^\s*(?:[-*+]\s+)?(?:\*\*|__)?\s*short\s+answer\b[^\n]*?(?:\*\*|__)?\s*:?\s*(?:\*\*)?\s*:?", re.IGNORECASE)
ID_COMMENT = re.compile(r"^<!--\s*studykit:id\s+([a-z0-9-]+)\s*-->\s*$")
TOC_LINK = re.compile(r"\[([^\]]+)\]\(#([^)\s]+)\)")
SOURCES_LINE = re.compile(r"^\*\*Sources:\*\*\s*(.*)$")
SOURCE_LINK = re.compile(r"\[(?P<authors>.+?) \((?P<year>\d{4})\)\. (?P<title>.+?)\]\((?P<url>https?://[^)\s]+)\)")
ARXIV = re.compile(r"arxiv\.org/abs/(\d{4}\.\d{4,5})")


class ImportError_(Exception):
    """The legacy file cannot be imported (message for the user)."""


@dataclass
class Imported:
    """What the import found and did."""

    title: str = ""
    description: str = ""
    sections: list[dict] = field(default_factory=list)
    sources: dict[str, dict] = field(default_factory=dict)
    repairs: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def decode(data: bytes, name: str) -> tuple[str, list[str]]:
    """Bytes to text, reversing a whole-file single-byte mis-decoding, then ftfy line by line."""
    if b"\x00" in data:
        raise ImportError_(f"{name}: contains NUL bytes; this is not a Markdown text file")
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportError_(f"{name}:{line}: not valid UTF-8 (byte 0x{data[exc.start]:02x}); convert it to UTF-8 first") from None
    text = text.replace("\r\n", "\n")
    repairs = []
    bad = sum(is_mojibake(line) for line in text.splitlines())
    if bad:
        for codec in SINGLE_BYTE_CODECS:
            try:
                candidate = text.encode(codec).decode("utf-8")
            except (UnicodeEncodeError, UnicodeDecodeError):
                continue
            if sum(is_mojibake(line) for line in candidate.splitlines()) < bad:
                repairs.append(f"reversed a whole-file mis-decoding: UTF-8 that was read as {codec} ({bad} damaged lines)")
                text = candidate
                break
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        if is_mojibake(line):
            fixed = ftfy.fix_text(line)
            if fixed != line:
                repairs.append(f"line {number}: repaired mojibake with ftfy: {line.strip()[:40]!r} -> {fixed.strip()[:40]!r}")
                lines[number - 1] = fixed
    return unicodedata.normalize("NFC", "\n".join(lines)), repairs


def headings(text: str) -> list[tuple[int, str, int, int]]:
    """(level, inline Markdown, first line, line after the heading) of every heading."""
    tokens = RENDERER.parse(text)
    return [(int(t.tag[1]), tokens[i + 1].content, t.map[0], t.map[1]) for i, t in enumerate(tokens) if t.type == "heading_open"]


def make_id(text: str, limit: int = 60, fallback: str = "item") -> str:
    """An ASCII slug usable as an id: a-z, 0-9 and single dashes."""
    ascii_text = unicodedata.normalize("NFKD", slug(text)).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]", "", ascii_text)).strip("-")
    return cleaned[:limit].strip("-") or fallback


def strip_number(title: str) -> str:
    return re.sub(r"^\d+(?:\.\d+)*\.?\s+", "", title).strip()


def split_answer(body: str) -> tuple[str, str, str | None, list[str]]:
    """(short answer, detailed answer, id from a studykit comment, source lines) of a question's body."""
    lines = body.split("\n")
    qid, sources = None, []
    kept = []
    for line in lines:
        match = ID_COMMENT.match(line.strip())
        if match:
            qid = match.group(1)
            continue
        match = SOURCES_LINE.match(line.strip())
        if match:
            sources.append(match.group(1))
            continue
        if line.strip().startswith("**Related:**"):
            continue
        kept.append(line)
    lines = kept
    short, start, end = "", None, None
    for index, line in enumerate(lines):
        match = SHORT_MARKER.match(line)
        if not match:
            continue
        rest = line[match.end():].strip()
        start = index
        collected = [rest] if rest else []
        indent = len(line) - len(line.lstrip())
        end = index + 1
        for follow in lines[index + 1:]:
            stripped = follow.strip()
            deeper = len(follow) - len(follow.lstrip()) > indent
            if stripped and (deeper or (not line.lstrip().startswith(("-", "*", "+")) and not collected)) or (not stripped and not collected):
                collected.append(re.sub(r"^[-*+]\s+", "", stripped))
                end += 1
            else:
                break
        short = " ".join(part for part in collected if part).strip()
        break
    if start is not None:
        lines = lines[:start] + lines[end:]
    detailed = dedent("\n".join(lines)).strip("\n")
    detailed = re.sub(r"^(#{1,6})\s+(.+?)\s*#*\s*$", lambda m: f"**{m.group(2).rstrip('.:')}.**", detailed, flags=re.M)
    detailed = end_bold_labels(detailed)
    if not short and detailed:
        # no "Short answer" marker: the first line of real text (not a bold label) stands in
        for line in detailed.split("\n"):
            text = re.sub(r"^\s*(?:[-*+]|\d+\.)\s+", "", line).strip()
            if text and not re.fullmatch(r"(\*\*[^*]+\*\*|[^:]{1,40}:)\s*:?\.?", text) and not text.startswith(("$$", "|")):
                short = text
                break
    return short.strip(), detailed.strip(), qid, sources


BOLD_LABEL = re.compile(r"^(\s*(?:[-*+]\s+|\d+\.\s+)?)\*\*([^*\n]*?[^*\n.?!:;,])\*\*\s*:?\s*$")


def end_bold_labels(markdown: str) -> str:
    """A paragraph or list item that is only bold text reads as a fake heading: end it with a full stop."""
    lines = markdown.split("\n")
    for index, line in enumerate(lines):
        match = BOLD_LABEL.match(line)
        standalone = match and (match.group(1).strip() or index == 0 or not lines[index - 1].strip())
        ends = index + 1 == len(lines) or not lines[index + 1].strip() or re.match(r"^\s*([-*+]|\d+\.)\s", lines[index + 1])
        if standalone and ends:
            lines[index] = f"{match.group(1)}**{match.group(2)}.**"
    return "\n".join(lines)


def dedent(text: str) -> str:
    widths = [len(line) - len(line.lstrip()) for line in text.split("\n") if line.strip()]
    cut = min(widths) if widths else 0
    return "\n".join(line[cut:] for line in text.split("\n"))


def parse(text: str, default_level: str) -> Imported:
    """The structure of the legacy document: sections, levels, questions, answers, TOC defects."""
    result = Imported()
    lines = text.split("\n")
    heads = headings(text)
    if not heads:
        raise ImportError_("no headings found: a Q&A README needs headings for sections and questions")
    toc = [h for h in heads if TOC_HEADING.match(inline_text(h[1]).strip())]
    body_heads = [h for h in heads if h not in toc]
    level_heads = [h for h in body_heads if LEVEL_HEADING.match(inline_text(h[1]).strip())]
    top = min(h[0] for h in body_heads)
    if top == 1 and sum(1 for h in body_heads if h[0] == 1) == 1:
        result.title = inline_text(body_heads[0][1]).strip()
        body_heads = body_heads[1:]
    if not body_heads:
        raise ImportError_("only a title heading: no sections or questions to import")
    if level_heads:
        level_depth = min(h[0] for h in level_heads)
        section_depth = level_depth - 1
        deeper = [h[0] for h in body_heads if h[0] > level_depth]
        question_depth = min(deeper) if deeper else level_depth + 1
    else:
        depths = sorted({h[0] for h in body_heads})
        if len(depths) == 1:  # one heading level: they are questions, with no sections
            section_depth, question_depth = depths[0] - 1, depths[0]
        else:
            section_depth, question_depth = depths[0], depths[1]
    section = None
    level = default_level
    all_heads = heads
    for index, (depth, markdown, first, after) in enumerate(body_heads):
        plain = inline_text(markdown).strip()
        if depth == section_depth and not LEVEL_HEADING.match(plain):
            section = {"title": strip_number(plain), "questions": [], "has_levels": False}
            result.sections.append(section)
            level = default_level
            continue
        match = LEVEL_HEADING.match(plain)
        if match:
            level = match.group(1).lower()
            if section is not None:
                section["has_levels"] = True
            continue
        if depth != question_depth:
            continue
        if section is None:
            result.problems.append(f"line {first + 1}: question {plain!r} comes before any section heading; put under 'Imported'")
            section = {"title": "Imported", "questions": [], "has_levels": False}
            result.sections.append(section)
        following = [h for h in all_heads if h[2] > first and h[0] <= question_depth]
        stop = following[0][2] if following else len(lines)
        short, detailed, qid, source_lines = split_answer("\n".join(lines[after:stop]))
        section["questions"].append({"question": markdown.strip(), "plain": plain, "level": level, "line": first + 1,
                                     "short_answer": short, "answer": detailed, "id": qid, "sources": source_lines})
    if toc:
        toc_problems(text, heads, toc[0], body_heads, section_depth, question_depth, result)
    # sections with neither questions nor level headings (Quick start, References, ...) are not content
    empty = {s["title"] for s in result.sections if not s["questions"] and not s["has_levels"]}
    result.problems = [p for p in result.problems if not any(f"heading {t!r} is missing" in p for t in empty)]
    result.sections = [s for s in result.sections if s["questions"] or s["has_levels"]]
    if not any(s["questions"] for s in result.sections):
        raise ImportError_("no question headings found under the section headings")
    return result


def toc_problems(text, heads, toc_head, body_heads, section_depth, question_depth, result: Imported) -> None:
    """Report TOC entries that point nowhere or at the wrong heading, and headings the TOC misses."""
    lines = text.split("\n")
    after = [h for h in heads if h[2] > toc_head[2] and h[0] <= toc_head[0]]
    block = lines[toc_head[3]: after[0][2] if after else len(lines)]
    slugger = Slugger()
    anchors: dict[str, tuple[str, int, str]] = {}
    section = ""
    for depth, markdown, first, _ in heads:
        plain = inline_text(markdown).strip()
        if depth == section_depth and not LEVEL_HEADING.match(plain):
            section = plain
        anchors.setdefault(slugger.slug(inline_text(markdown)), (plain, first + 1, section))
    linked = set()
    parent_section = None
    for offset, line in enumerate(block, start=toc_head[3] + 1):
        nested = len(line) - len(line.lstrip()) > 0
        for label, anchor in TOC_LINK.findall(line):
            anchor = unquote(anchor)
            label_text = inline_text(label).strip()
            if anchor not in anchors:
                result.problems.append(f"TOC line {offset}: [{label_text}] points at #{anchor}, which no heading has")
                continue
            target, target_line, target_section = anchors[anchor]
            linked.add(target_line)
            if not nested:
                parent_section = target_section
            elif parent_section is not None and target_section != parent_section:
                result.problems.append(f"TOC line {offset}: [{label_text}] points at the wrong heading: {target!r} (line {target_line}) in section {target_section!r}, not in {parent_section!r}")
                continue
            if slug(strip_number(target)) != slug(strip_number(label_text)):
                result.problems.append(f"TOC line {offset}: [{label_text}] does not match the heading it links to, {target!r} (line {target_line})")
    for depth, markdown, first, _ in body_heads:
        plain = inline_text(markdown).strip()
        if depth in (section_depth, question_depth) and first + 1 not in linked:
            result.problems.append(f"line {first + 1}: heading {plain!r} is missing from the TOC")


def source_entries(result: Imported) -> None:
    """Turn '**Sources:**' link lists (as studykit writes them) into bibliography entries."""
    for section in result.sections:
        for q in section["questions"]:
            ids = []
            for line in q.pop("sources"):
                for match in SOURCE_LINK.finditer(line):
                    authors, year, title, url = match.group("authors", "year", "title", "url")
                    arxiv = ARXIV.search(url)
                    base = slug(re.sub(r"[^A-Za-z ]", " ", authors.split(",")[0].split(" et al")[0]).strip().split(" ")[-1] or "source") + year
                    sid = base
                    entry = {"authors": unescape(authors), "title": unescape(title.rstrip(".")), "year": int(year)}
                    entry.update({"arxiv": arxiv.group(1)} if arxiv else {"url": url})
                    n = 1
                    while sid in result.sources and result.sources[sid] != entry:
                        n += 1
                        sid = f"{base}{chr(96 + n)}"
                    result.sources[sid] = entry
                    ids.append(sid)
            q["sources"] = ids


def unescape(text: str) -> str:
    return re.sub(r"\\([\\`*_\[\]<>#|$~])", r"\1", text)


def assign_ids(result: Imported) -> None:
    seen: set[str] = set()
    texts: dict[str, str] = {}
    for section in result.sections:
        for q in section["questions"]:
            key = " ".join(q["plain"].casefold().split())
            if key in texts:
                result.problems.append(f"line {q['line']}: duplicate question {q['plain']!r} (first at {texts[key]})")
            texts.setdefault(key, f"line {q['line']}")
            base = q["id"] or make_id(q["plain"], 60, "question")
            qid, n = base, 1
            while qid in seen:
                n += 1
                qid = f"{base}-{n}"
            seen.add(qid)
            q["id"] = qid


def front_matter(q: dict) -> str:
    data = {"id": q["id"], "question": q["question"], "level": q["level"]}
    answered = bool(q["answer"] or q["short_answer"])
    if not answered:
        data["status"] = "draft"
    else:
        data["short_answer"] = q["short_answer"]
        if q["sources"]:
            data["sources"] = q["sources"]
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def write_content(result: Imported, into: Path, corpus_slug: str) -> None:
    """Write the corpus into `into` (which must not exist yet)."""
    into.mkdir(parents=True)
    meta = {"title": result.title or "Imported questions", "slug": corpus_slug,
            "description": result.description or f"Questions and answers imported from {result.title or 'a Markdown README'}.",
            "author": "unknown", "language": "en"}
    (into / "corpus.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), encoding="utf-8")
    (into / "bibliography.yaml").write_text(yaml.safe_dump(result.sources, allow_unicode=True, sort_keys=False) if result.sources else "{}\n", encoding="utf-8")
    for number, section in enumerate(result.sections, start=1):
        base = make_id(section["title"], 40, f"section-{number}")
        folder = into / f"{number:02d}-{base}"
        folder.mkdir()
        (folder / "section.yaml").write_text(yaml.safe_dump({"id": base, "title": section["title"]}, allow_unicode=True, sort_keys=False), encoding="utf-8")
        ordered = sorted(section["questions"], key=lambda q: LEVELS.index(q["level"]))
        for index, q in enumerate(ordered, start=1):
            text = "---\n" + front_matter(q) + "---\n" + (q["answer"] + "\n" if q["answer"] else "")
            (folder / f"{index:02d}-{q['id']}.md").write_text(text, encoding="utf-8")


def summary(result: Imported) -> list[str]:
    questions = [q for s in result.sections for q in s["questions"]]
    answered = [q for q in questions if q["answer"] or q["short_answer"]]
    per_level = {level: sum(1 for q in questions if q["level"] == level) for level in LEVELS}
    unsourced = [q for q in answered if not q["sources"]]
    lines = [f"sections: {len(result.sections)}",
             "questions: " + ", ".join(f"{n} {level}" for level, n in per_level.items()) + f" ({len(questions)} in all)",
             f"answered: {len(answered)}, drafts (no answer yet): {len(questions) - len(answered)}",
             f"repairs made: {len(result.repairs)}"]
    lines += [f"  - {r}" for r in result.repairs[:20]] + ([f"  - ... {len(result.repairs) - 20} more"] if len(result.repairs) > 20 else [])
    problems = result.problems + ([f"{len(unsourced)} answered question(s) cite no source: add them to bibliography.yaml and `sources` before `studykit check` passes"] if unsourced else [])
    lines.append(f"problems left: {len(problems)}")
    lines += [f"  - {p}" for p in problems]
    return lines


def run_import(legacy: Path, into: Path, force: bool = False, default_level: str = "basic") -> list[str]:
    """Import `legacy` into the content folder `into`; all or nothing. Returns the summary lines."""
    try:
        data = legacy.read_bytes()
    except OSError as exc:
        raise ImportError_(f"{legacy}: cannot read: {exc.strerror or exc}") from None
    if into.exists() and (not into.is_dir() or any(into.iterdir())) and not force:
        raise ImportError_(f"{into} exists and is not empty; use --force to replace it")
    text, repairs = decode(data, str(legacy))
    result = parse(text, default_level)
    result.repairs = repairs + result.repairs
    source_entries(result)
    assign_ids(result)
    corpus_slug = make_id(result.title or legacy.stem, 40, "imported")
    into.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{into.name}.import-", dir=into.parent))
    try:
        write_content(result, staging / "content", corpus_slug)
        if into.exists():
            old = staging / "previous"
            os.replace(into, old)
        os.replace(staging / "content", into)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return summary(result)
