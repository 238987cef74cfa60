"""Raw questions to content: clean text, levels, short and detailed answers, drafts, ids, sources."""
from __future__ import annotations

import hashlib
import re
import textwrap
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

from schema.checks import markdown_problems
from schema.markdown import inline_text
from schema.xrefs import rewrite_xrefs
from schema.models import LEVELS, MAX_SHORT_ANSWER, safe_url

from ..slugger import Slugger, slug
from .answers import split_short
from .cleanup import XREF_PREFIX, clean_markdown, drop_answer_label, is_placeholder, lint_style, protected_spans
from .levels import heading_level
from .document import Outline, strip_number
from .decode import ImportError_, decode
from .prepare import ANSWER_MARK, prepare

if TYPE_CHECKING:
    from . import ImportOptions

ID_COMMENT = re.compile(r"^\s*<!--\s*studykit:id\s+([a-z0-9-]+)\s*-->\s*$", re.M)
SHORT_MARKER = re.compile(r"^\s*(?:[-*+]\s+)?(?:\*\*|__)?\s*short\s+answer\b[^\n]*?(?:\*\*|__)?\s*:?\s*(?:\*\*)?\s*:?", re.IGNORECASE)
SOURCES_LINE = re.compile(r"^\*\*Sources:\*\*\s*(.*)$", re.M)
RELATED_LINE = re.compile(r"^\*\*Related:\*\*.*$", re.M)
SOURCE_LINK = re.compile(r"\[(?P<authors>.+?) \((?P<year>\d{4})\)\. (?P<title>.+?)\]\((?P<url>https?://[^)\s]+)\)")
ARXIV = re.compile(r"arxiv\.org/abs/(\d{4}\.\d{4,5})")
IMAGE_TYPES = {b"\x89PNG\r\n\x1a\n": ".png", b"\xff\xd8\xff": ".jpg", b"GIF87a": ".gif", b"GIF89a": ".gif"}
MAX_IMAGE = 5_000_000
DIFFICULTY_LINE = re.compile(r"^\s*(?:[-*]\s+)?(?:\*\*|__)?\s*(?:difficulty|level)(?:\s+level)?\s*:?\s*(?:\*\*|__)?\s*:?\s*([^\n]{1,40}?)\s*$", re.IGNORECASE | re.M)


@dataclass
class Imported:
    """What the import found and will write."""

    title: str = ""
    description: str = ""
    slug: str = ""
    sections: list[dict] = field(default_factory=list)
    sources: dict[str, dict] = field(default_factory=dict)
    images: dict[str, bytes] = field(default_factory=dict)
    repairs: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def questions(self) -> list[dict]:
        return [q for s in self.sections for q in s["questions"]]


def make_id(text: str, limit: int = 60, fallback: str = "item") -> str:
    """An ASCII slug usable as an id: a-z, 0-9 and single dashes."""
    ascii_text = unicodedata.normalize("NFKD", slug(text)).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]", "", ascii_text)).strip("-")
    return cleaned[:limit].strip("-") or fallback


class _Images:
    """Local images found in answers: copied into media/ under stable names; remote ones become links.
    Paths resolve from `base` (the file the answer is in) and must stay inside `folder` (the document's)."""

    def __init__(self, folder: Path, imported: Imported, done: Counter, base: Path | None = None):
        self.folder, self.imported, self.done = folder.resolve(), imported, done
        self.base = (base or folder).resolve()

    def __call__(self, src: str, alt: str) -> str | None:
        alt = alt or "image"
        if re.match(r"^[a-z][a-z0-9+.-]*:", src, re.IGNORECASE):
            if src.lower().startswith(("http://", "https://")):
                self.done["remote images kept as links (builds never fetch them)"] += 1
                return f"[{alt}]({src})"
            self.done["data: and other non-file images dropped (alt text kept)"] += 1
            return alt
        path = (self.base / unquote(src.split("#")[0].split("?")[0])).resolve()
        data = self._read(path)
        if data is None:
            self.done["local images not found or unusable (alt text kept)"] += 1
            self.imported.problems.append(f"image “{src}” not found beside the document (or not a PNG, JPEG, GIF or SVG under 5 MB): its alt text was kept")
            return alt
        suffix = next((ext for magic, ext in IMAGE_TYPES.items() if data.startswith(magic)), ".svg")
        name = f"{make_id(path.stem, 40, 'image')}-{hashlib.sha256(data).hexdigest()[:8]}{suffix}"
        self.imported.images[name] = data
        self.done["local images copied into media/"] += 1
        return f"![{alt}](../media/{name})"

    def _read(self, path: Path) -> bytes | None:
        if not path.is_relative_to(self.folder) or not path.is_file() or path.stat().st_size > MAX_IMAGE:
            return None
        data = path.read_bytes()
        if any(data.startswith(magic) for magic in IMAGE_TYPES) or b"<svg" in data[:2000]:
            return data
        return None


def _linked_answer(folder: Path, raw, imported: Imported, done: Counter) -> tuple[str, _Images]:  # noqa: ANN001
    """The text of the Markdown file a question links to, if it sits beside the document; its own
    title heading goes (the question is already its title)."""
    path = (folder / unquote(raw.link)).resolve()
    images = _Images(folder, imported, done, base=path.parent)
    if not path.is_relative_to(folder.resolve()) or path.suffix.lower() not in (".md", ".markdown") or not path.is_file() \
            or path.stat().st_size > 1_000_000:
        return "", images
    try:
        text, _ = decode(path.read_bytes(), str(path))
    except (OSError, ImportError_):
        return "", images
    text, _, _ = prepare(text)
    text = re.sub(r"\A\s*#{1,6}\s+[^\n]*\n", "", text.lstrip("\n"), count=1)
    done["answers read from the files the questions link to"] += 1
    return text.replace(ANSWER_MARK, ""), images


def clean_question(text: str, done: Counter, limit: int = 300) -> str:
    """A question as plain inline Markdown: no links, images, HTML or math (math becomes code)."""
    text = clean_markdown(strip_number(text), done, lambda src, alt: alt, one_line=True)
    text = re.sub(r"(?<!!)\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<?\b(?:https?|ftp)://[^\s>]+>?", "", text)  # a bare address is not part of a question
    text = re.sub(r"\s*\[\s*(?:src|source|ref|reference|link|\d+)?\s*\]", "", text, flags=re.IGNORECASE)
    text = re.sub(r"(?<![\\$])\$([^$\n]+)\$", lambda m: "`" + m.group(1).replace("`", "") + "`", text)
    text = re.sub(r"^(\*\*|__)(.*)\1$", r"\2", text.strip()).strip(" :")
    text = " ".join(re.sub(r"(?<![\w`]):[a-z0-9_+-]+:(?![\w`])", "", text).split())
    text = re.sub(r"(?<=[^.])[.,;:!]+$|(?<=\w)\.$", "", text)
    spans = protected_spans(text)  # a backtick that opens no code span is escaped (it would pair with a neighbour's)
    text = "".join(part if index % 2 else re.sub(r"(?<!\\)`", r"\\`", part)
                   for index, part in enumerate(_split_at(text, spans)))  # a heading ends without punctuation (markdownlint MD026); '?' stays
    text = text.replace("\\$", "$").replace("$", "\\$") if "$" in text else text
    return text[:limit].strip()


def _split_at(text: str, spans: list[tuple[int, int]]) -> list[str]:
    """text cut into [outside, span, outside, span, ..., outside]."""
    parts, last = [], 0
    for start, end in spans:
        parts += [text[last:start], text[start:end]]
        last = end
    return parts + [text[last:]]


def _marked_parts(body: str) -> tuple[str | None, str, list[str], str]:
    """A studykit README's own markers: (id, short answer, source lines, rest)."""
    match = ID_COMMENT.search(body)
    qid = match.group(1) if match else None
    body = ID_COMMENT.sub("", body)
    sources = SOURCES_LINE.findall(body)
    body = RELATED_LINE.sub("", SOURCES_LINE.sub("", body))
    lines = body.split("\n")
    short = ""
    for index, line in enumerate(lines):
        marker = SHORT_MARKER.match(line)
        if not marker:
            continue
        collected = [line[marker.end():].strip()]
        indent = len(line) - len(line.lstrip())
        end = index + 1
        for follow in lines[index + 1:]:
            deeper = len(follow) - len(follow.lstrip()) > indent
            if follow.strip() and (deeper or not line.lstrip().startswith(("-", "*", "+"))):
                collected.append(re.sub(r"^[-*+]\s+", "", follow.strip()))
                end += 1
            elif not follow.strip() and not any(collected):
                end += 1
            else:
                break
        short = " ".join(c for c in collected if c)
        lines = lines[:index] + lines[end:]
        break
    return qid, short, sources, "\n".join(lines)


PLAIN_PROSE = re.compile(r"[A-Za-z0-9 \n.,;:'\"()?!%/=@-]*")  # ASCII prose no content rule can object to
MARKUP_LINE = re.compile(r"^\s*(?:[-=]{1,}\s*$|[-+*](?:\s|$)|\d+[.)](?:\s|$)|#)", re.M)


def _fits(markdown: str, **options: bool) -> bool:
    """Does this text pass `check` as it is? (Plain ASCII prose always does; the rest is checked.)"""
    if PLAIN_PROSE.fullmatch(markdown) and not MARKUP_LINE.search(markdown) and "\n\n" not in markdown:
        return True
    return not markdown_problems(markdown, "import", "field", 1, **options)


def build_questions(outline: Outline, text: str, legacy: Path, options: ImportOptions, done: Counter) -> Imported:
    imported = Imported(title=options.title or outline.title or legacy.stem.replace("-", " ").replace("_", " ").strip() or "Imported questions",
                        description=outline.description)
    images = _Images(legacy.parent, imported, done)
    imported.notes = list(outline.notes)
    origin_id = "origin"
    source = options.source or legacy.name
    imported.sources[origin_id] = {"title": source} if not source.startswith("https://") else {"title": legacy.name, "url": safe_url(source)}
    sections: dict[int, dict] = {}
    for raw in outline.questions:
        key = raw.sections[0].line if raw.sections else -1
        if key not in sections:
            title = strip_number(raw.sections[0].plain) if raw.sections else imported.title
            sections[key] = {"title": clean_question(title, Counter()) or "Questions", "questions": []}
        answer_images = images
        if raw.link:  # the answer is in a file the question links to
            raw.answer, answer_images = _linked_answer(legacy.parent, raw, imported, done)
        qid, short, source_lines, body = _marked_parts(raw.answer)
        stem = ""
        if ANSWER_MARK in body:  # a 'Show answer' fold: the text before it belongs to the question
            stem, _, body = body.partition(ANSWER_MARK)
            stem = clean_markdown(textwrap.dedent(stem.strip("\n")).strip(), done, answer_images)
            body = body.replace(ANSWER_MARK, "")
        stated = DIFFICULTY_LINE.search(body)
        if stated and heading_level(stated.group(1)):
            raw.level = raw.level or heading_level(stated.group(1))
            body = body[:stated.start()] + body[stated.end():]
            done["'Difficulty: ...' lines read as levels"] += 1
        body = drop_answer_label(textwrap.dedent(body.strip("\n")).strip(), done)
        q = {"question": clean_question(raw.text, done), "line": raw.line, "level": raw.level or options.default_level,
             "id": qid, "status": "published", "short_answer": "", "answer": "", "sources": [], "why": "", "asked": raw.text, "own": ""}
        if not q["question"]:
            continue
        lead = "**Question.**\n\n" + stem if stem else ""  # a question's own text that stood before its answer
        if len(q["question"]) >= 300:
            full = clean_question(raw.text, Counter(), limit=5000)
            lead = f"**Question.** {full}" + (f"\n\n{stem}" if stem else "")
            q["question"] = full[:290].rsplit(" ", 1)[0].rstrip(",;:") + " …"
            done["long questions shortened (the full text opens the answer)"] += 1
        short_answer, answer = "", ""
        if (is_placeholder(body) or _opens_with_placeholder(body)) and not short:
            q["status"], q["why"] = "draft", ("answer file not beside the document" if raw.link else "no answer") if not body.strip() else "placeholder answer"
            if body.strip():
                done["placeholder answers made drafts"] += 1
        else:
            answer = clean_markdown(body, done, answer_images)
            if not options.faithful:
                answer = lint_style(answer, done)
            if short:
                short_answer = clean_markdown(short, done, answer_images, one_line=True)
            else:
                short_answer, answer = split_short(answer)
                if short_answer:
                    done["short answers taken from the answer's first sentences"] += 1
        q["own"] = short_answer + "\n" + answer  # the answer's own words, without the question's stem
        q["short_answer"], q["answer"] = _valid(short_answer, (lead + "\n\n" + answer).strip() if lead else answer, done)
        if q["status"] == "published" and not q["short_answer"]:
            q["status"], q["why"] = "draft", "no sentence to use as a short answer"
        q["sources"] = _sources(imported, source_lines) or [origin_id]
        sections[key]["questions"].append(q)
    imported.sections = [s for s in sections.values() if s["questions"]]
    if not options.faithful:  # a studykit README's answers are never filler, however alike
        _templated_drafts(imported, done)
    _assign_ids(imported)
    _cross_references(imported, outline, done)
    imported.slug = make_id(imported.title, 40, "imported")
    return imported


def _cross_references(imported: Imported, outline: Outline, done: Counter) -> None:
    """A link to a published question's heading (`#its-github-anchor`) becomes a cross-reference
    `[text](#question-id)`; a link to any other heading becomes its text."""
    slugger = Slugger()
    heading_anchor = {h.line + 1: slugger.slug(inline_text(h.text)) for h in outline.headings}  # 1-based, as q["line"]
    questions = [q for s in imported.sections for q in s["questions"]]
    by_anchor = {heading_anchor[q["line"]]: q["id"] for q in questions if q["line"] in heading_anchor and q["status"] == "published"}
    for q in questions:
        def target(encoded: str) -> str | None:
            hexed = encoded.removeprefix(XREF_PREFIX)
            try:
                found = by_anchor.get(bytes.fromhex(hexed).decode("utf-8")) if encoded != hexed else None
            except ValueError:
                found = None
            found = found if found != q["id"] else None
            done["links to questions made cross-references" if found else "links to other headings made text"] += 1
            return found

        q["short_answer"], q["answer"] = rewrite_xrefs(q["short_answer"], target), rewrite_xrefs(q["answer"], target)


def _opens_with_placeholder(body: str) -> bool:
    """The first block that is not a bold label says the answer is still to come ('[Answer to be added]')."""
    if re.match(r"^\W*hints?\b", body, re.IGNORECASE):
        return True  # a hint is not an answer
    for block in re.split(r"\n\s*\n", body):
        text = re.sub(r"^\s*(?:[-*+]\s+)?(?:\*\*|__)[^*_\n]{1,40}(?::(?:\*\*|__)|(?:\*\*|__)\s*:)\s*", "", block.strip()).strip()
        if re.search(r"\w", re.sub(r"</?[a-zA-Z][^>\n]*>", "", text)):
            return is_placeholder(text.strip("[]()"))
    return False


STOPWORDS = set("a an the of in on at to is are was were be been it its this that these those and or but for with by as from "
                "not no so if then than into over under about which what who how why when where can could will would should".split())


def _templated_drafts(imported: Imported, done: Counter) -> None:
    """Generated filler ('Analytical solution for <the question>'): an answer whose own words (those
    not taken from its question) are mostly phrases repeated in three or more answers is a placeholder."""
    def shingles(q: dict) -> set[tuple[str, ...]]:
        asked = set(re.findall(r"\w+", q["asked"].casefold()))
        own = q["own"]
        # quiz options, code and links recur by design: only prose can be filler
        own = re.sub(r"^\s*[-*+]\s+\[[ xX]\].*$|^\s*(`{3,}|~{3,})[^\n]*\n[\s\S]*?^\s*\1\s*$", "", own, flags=re.M)
        own = re.sub(r"\]\([^)]*\)|https?://\S+|\$[^$]*\$", " ", own)
        words = [w for w in re.findall(r"\w+", own.casefold()) if w not in asked and w not in STOPWORDS]
        return {tuple(words[i:i + 2]) for i in range(len(words) - 1)} if len(words) < 200 else set()

    found = [(q, shingles(q)) for q in imported.questions if q["status"] == "published"]
    spread = Counter(g for _, grams in found for g in grams)
    for q, grams in found:
        if len(grams) >= 5 and sum(1 for g in grams if spread[g] >= 3) >= 0.7 * len(grams):
            q["status"], q["why"] = "draft", "templated placeholder answer"
            done["templated placeholder answers made drafts"] += 1


def _repair_formulas(markdown: str, done: Counter) -> str:
    """Formulas KaTeX rejects are kept as code: inline ones as a code span, display ones as a block."""
    from schema.markdown import formulas
    from schema.tex import tex_errors

    found = formulas(markdown)
    for (tex, display), error in zip(found, tex_errors([(t.strip(), d) for t, d in found]), strict=True):
        if not error:
            continue
        done["formulas KaTeX cannot parse kept as code"] += 1
        if display:
            fence = "`" * max(3, max((len(m) for m in re.findall(r"`+", tex)), default=0) + 1)
            markdown = re.sub(r"\$\$\s*" + re.escape(tex.strip()) + r"\s*\$\$", lambda m: f"\n{fence}text\n{tex.strip()}\n{fence}\n", markdown, count=1)
        else:
            ticks = "``" if "`" in tex else "`"
            markdown = markdown.replace(f"${tex}$", f"{ticks} {tex} {ticks}" if ticks == "``" else f"`{tex}`", 1)
    return markdown


def _valid(short: str, answer: str, done: Counter) -> tuple[str, str]:
    """Fields as they pass `check`; what cannot be repaired is kept as plain text, and counted."""
    if short and not _fits(short, single_paragraph=True):
        short = _repair_formulas(short, done)
    if answer and not _fits(answer, allow_images=True):
        answer = _repair_formulas(answer, done)
    if short and (len(short) > MAX_SHORT_ANSWER or not _fits(short, single_paragraph=True)):
        done["short answers kept as plain text (could not be normalised)"] += 1
        short = re.sub(r"([\\`*_\[\]<>#|$~])", r"\\\1", " ".join(short.split()))[:MAX_SHORT_ANSWER].rsplit(" ", 1)[0]
        short = re.sub(r"^(\d+)([.)])", r"\1\\\2", re.sub(r"^([-+=])", r"\\\1", short))  # not a list or an underline
        if not _fits(short, single_paragraph=True):
            short = ""
    if answer and not _fits(answer, allow_images=True):
        done["answers kept verbatim in a text block (could not be normalised)"] += 1
        fence = "`" * max(3, max((len(m) for m in re.findall(r"`+", answer)), default=0) + 1)
        answer = f"{fence}text\n{answer}\n{fence}"
    return short, answer


def _sources(imported: Imported, lines: list[str]) -> list[str]:
    """'**Sources:**' link lists (as studykit writes them) become bibliography entries."""
    ids = []
    for line in lines:
        for match in SOURCE_LINK.finditer(line):
            authors, year, title, url = match.group("authors", "year", "title", "url")
            arxiv = ARXIV.search(url)
            base = slug(re.sub(r"[^A-Za-z ]", " ", authors.split(",")[0].split(" et al")[0]).strip().split(" ")[-1] or "source") + year
            unescape = lambda t: re.sub(r"\\([\\`*_\[\]<>#|$~&])", r"\1", t)  # noqa: E731
            entry = {"authors": unescape(authors), "title": unescape(title.rstrip(".")), "year": int(year)}
            entry.update({"arxiv": arxiv.group(1)} if arxiv else {"url": safe_url(url)})
            sid, n = base, 1
            while sid in imported.sources and imported.sources[sid] != entry:
                n += 1
                sid = f"{base}{chr(96 + n)}"
            imported.sources[sid] = entry
            ids.append(sid)
    return ids


def _assign_ids(imported: Imported) -> None:
    seen: set[str] = set()
    texts: dict[str, str] = {}
    for section in imported.sections:
        for q in section["questions"]:
            key = " ".join(q["question"].casefold().split())
            if key in texts:
                imported.problems.append(f"line {q['line']}: duplicate question “{q['question']}” (first at {texts[key]}); the copy gets “(2)”")
                q["question"] += f" ({sum(1 for t in texts if t.startswith(key)) + 1})"
            texts.setdefault(" ".join(q["question"].casefold().split()), f"line {q['line']}")
            base = q["id"] or make_id(q["question"], 60, "question")
            qid, n = base, 1
            while qid in seen:
                n += 1
                qid = f"{base}-{n}"
            seen.add(qid)
            q["id"] = qid
    order = {level: i for i, level in enumerate(LEVELS)}
    for section in imported.sections:
        section["questions"].sort(key=lambda q: order[q["level"]])
