"""Load and validate content/ into one frozen Corpus, reporting every problem at once."""
from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from . import ANKI_LOCK, cache, citations, fonts
from .errors import ContentErrors, Problem, clip, cut, display_path
from .frontmatter import Located, parse_yaml_mapping, split_front_matter
from .limits import MAX_CORPUS_BYTES, MAX_FILE_BYTES, Refused, inside, read_bounded
from .media import MEDIA_DIR, SUFFIXES, MediaReader
from .xrefs import cross_references
from .models import LEVELS, AnkiLock, Corpus, Metadata, Question, Section, Source, URL_PATTERN

SECTION_DIR = re.compile(r"^(\d{1,3})-[a-z0-9-]+$")
TOP_LEVEL_FILES = {"corpus.yaml", "bibliography.yaml", ANKI_LOCK}
_JSON_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|[\[\]{}\n]')  # strings (skipped), brackets, newlines
MAX_LOCK_DEPTH = 8  # the note record nests 3 deep
XREF_HINT = re.compile(r"\]\(\s*#")  # a text that may hold a cross-reference (parsed only then)
LEVEL_RANK = {level: rank for rank, level in enumerate(LEVELS)}


@lru_cache(maxsize=1)
def rules_version() -> str:
    """Hash of the validation code (schema/, vendored KaTeX) and the parsers it relies on."""
    root = Path(__file__).resolve().parent.parent
    return cache.key(cache.tree_digest(root, ("schema",), {".py", ".js"}),
                     cache.installed_versions("ftfy", "markdown-it-py", "mdit-py-plugins", "mini-racer"))


def _checked(kind: str, text: str, run: Callable[[], list[Problem]]) -> list[Problem]:
    """Run a check on one text, unless these same rules already found that text clean.

    Only clean verdicts are remembered (`.cache/clean/`), so every problem is always reported
    afresh with its file and line; an edited file is checked again in full.
    """
    digest = cache.key("clean", rules_version(), kind, text)
    if cache.read("clean", digest) is not None:
        return []
    problems = run()
    if not problems:
        cache.write("clean", digest, "")
    return problems


def text_problems(text: str, path: str, field: str, first_line: int) -> list[Problem]:
    """Mojibake, replacement and control characters (see checks.text_problems)."""
    def run() -> list[Problem]:
        from .checks import text_problems as check  # ftfy is imported only when something is checked
        return check(text, path, field, first_line)

    return _checked("text", text, run)


def markdown_problems(markdown: str, path: str, field: str, first_line: int, **options: bool) -> list[Problem]:
    """Everything a Markdown field may not contain (see checks.markdown_problems)."""
    def run() -> list[Problem]:
        from .checks import markdown_problems as check
        return check(markdown, path, field, first_line, **options)

    return _checked(f"markdown {sorted(options.items())}", markdown, run)


def load_corpus(content_dir: Path) -> Corpus:
    """Read and validate everything under `content_dir`; raise ContentErrors listing ALL problems."""
    return _Loader(Path(content_dir)).load()


def json_too_deep(text: str, limit: int) -> int:
    """The line where JSON text nests deeper than `limit` (0 when it does not): checked in one
    linear pass before json.loads, whose recursion a file of `[[[[...` would exhaust."""
    depth, line = 0, 1
    for token in _JSON_TOKEN.finditer(text):
        char = token.group()[0]
        if char in "[{":
            depth += 1
            if depth > limit:
                return line
        elif char in "]}":
            depth -= 1
        elif char == "\n":
            line += 1
    return 0


def _json_line(text: str, loc: tuple[Any, ...]) -> int:
    """Best line of a pydantic error location in the note record (one key per line): the
    first line holding the innermost string key of `loc`, searched for after the outer ones."""
    line, start = 0, 0
    for part in loc:
        if isinstance(part, str):
            found = text.find(json.dumps(part), start)
            if found >= 0:
                start, line = found, text.count("\n", 0, found) + 1
    return line


def _describe(error: dict[str, Any]) -> str:
    """A pydantic error as a short sentence for a content author; every value it quotes is
    cut short (errors.clip), however large the input."""
    kind, value = error["type"], error.get("input")
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "").replace("'", "").replace(" or ", ", ")
        return f"{clip(value)} is not one of {cut(expected, 200)}"
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    if kind.endswith("_type") and not isinstance(value, (dict, list)):
        hint = " (quote the value)" if isinstance(value, (int, float, bool)) or value is None else ""
        return f"{error['msg'].lower()}, got {type(value).__name__} {clip(value)}{hint}"
    if kind == "string_pattern_mismatch" and error.get("ctx", {}).get("pattern") == URL_PATTERN:
        return (f"{clip(value)} is not a plain https URL: https://, a host name, then no spaces, quotes, '<', '>', "
                "'[', ']', backslashes or backticks, and '%' only before two hex digits (%-encode the rest)")
    if kind == "string_pattern_mismatch":
        return f"{clip(value)} does not match {error.get('ctx', {}).get('pattern', '')}"
    ctx = error.get("ctx", {})
    if kind == "string_too_long":
        return f"is {len(value):,} characters long; at most {ctx.get('max_length', 0):,} are allowed"
    if kind == "string_too_short":
        return "is empty" if not value else f"is {len(value)} characters long; at least {ctx.get('min_length', 0)} are needed"
    if kind in ("too_long", "too_short"):
        bound = f"at most {ctx.get('max_length')}" if kind == "too_long" else f"at least {ctx.get('min_length')}"
        return f"has {ctx.get('actual_length', '?')} items; {bound} are allowed"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        words = {"greater_than_equal": ("at least", "ge"), "less_than_equal": ("at most", "le"),
                 "greater_than": ("more than", "gt"), "less_than": ("less than", "lt")}[kind]
        return f"{clip(value)} is out of range: it must be {words[0]} {ctx.get(words[1])}"
    if kind in ("int_parsing", "int_from_float"):
        return f"{clip(value)} is not a whole number"
    if kind == "value_error":
        return cut(str(error["msg"]).removeprefix("Value error, "), 300)
    return cut(error["msg"], 200)


def committed_anki_lock(root: Path) -> AnkiLock | None:
    """The note record as committed at git HEAD, or None (not in a repository, not committed,
    git missing, unreadable or invalid: then every change simply gets a new time). Only reads an
    object: no index refresh, hook, pager or fsmonitor runs."""
    import subprocess

    try:
        done = subprocess.run(["git", "-c", "core.fsmonitor=false", "--no-pager", "-C", str(root), "show",
                               f"HEAD:./{ANKI_LOCK}"], capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode or len(done.stdout) > MAX_FILE_BYTES:
        return None
    try:
        text = done.stdout.decode("utf-8")
        return None if json_too_deep(text, MAX_LOCK_DEPTH) else AnkiLock.model_validate(json.loads(text))
    except (ValueError, RecursionError, ValidationError):
        return None


class _Loader:
    """One load: reads files, collects problems, builds the Corpus if there are none."""

    def __init__(self, root: Path):
        self.root = root
        self.problems: list[Problem] = []
        self.policy = "required"  # corpus.yaml's `sources`, once read
        self.unprintable: list[Problem] = []  # characters no PDF font draws
        self._coverage: fonts.Coverage | None = None
        self.total_bytes = 0
        self.located: dict[str, Located] = {}
        self.answer_lines: dict[str, int] = {}  # where each question file's body starts
        self.media = MediaReader(root)

    # -- reading -------------------------------------------------------------------------
    def rel(self, path: Path) -> str:
        return display_path(path)

    def read_text(self, path: Path) -> str | None:
        """Read a file as UTF-8, refusing symlinks out of content/, anything but a regular file,
        huge files (judged by their size, before reading), NUL bytes and invalid UTF-8."""
        shown = self.rel(path)
        if self.total_bytes > MAX_CORPUS_BYTES:
            self.problems.append(Problem(shown, 0, "", f"corpus exceeds {MAX_CORPUS_BYTES} bytes; not read"))
            return None
        try:
            data = read_bounded(path, self.root, MAX_FILE_BYTES)
        except Refused as exc:
            self.problems.append(Problem(shown, 0, "", str(exc)))
            return None
        except OSError as exc:
            self.problems.append(Problem(shown, 0, "", f"cannot read: {exc.strerror or exc}"))
            return None
        self.total_bytes += len(data)
        if self.total_bytes > MAX_CORPUS_BYTES:
            self.problems.append(Problem(shown, 0, "", f"corpus exceeds {MAX_CORPUS_BYTES} bytes"))
            return None
        if b"\x00" in data:
            line = data[: data.index(b"\x00")].count(b"\n") + 1
            self.problems.append(Problem(shown, line, "", "contains a NUL byte (binary file?)"))
            return None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            self.problems.append(Problem(shown, line, "", f"not valid UTF-8 (byte 0x{data[exc.start]:02x})"))
            return None
        return unicodedata.normalize("NFC", text.removeprefix("\ufeff").replace("\r\n", "\n"))

    def read_mapping(self, path: Path) -> Located | None:
        text = self.read_text(path)
        if text is None:
            return None
        located, problems = parse_yaml_mapping(text, self.rel(path))
        self.problems += problems
        if located is not None:
            self.check_strings(located, self.rel(path))
        return located

    def check_strings(self, located: Located, shown: str, skip: tuple[str, ...] = ()) -> None:
        """text_problems (mojibake, control, bidi and invisible characters) on every string of a
        YAML mapping, keys included, at the line of its key or list item; `skip` names keys
        whose values are checked as Markdown (which runs text_problems itself)."""
        def walk(value: Any, field: str, line: int) -> None:
            if isinstance(value, str):
                if not (value.isascii() and value.replace("\n", " ").replace("\t", " ").isprintable()):
                    self.problems.extend(text_problems(value, shown, field, line))
            elif isinstance(value, list):
                for item in value:
                    walk(item, field, line)
            elif isinstance(value, dict):
                for key, item in value.items():
                    walk(key, field, line)
                    walk(item, f"{field}.{key}", line)

        for key, value in located.data.items():
            key_line = located.key_lines.get(str(key), located.first_line)
            walk(str(key), str(key), key_line)
            if key in skip:
                continue
            if isinstance(value, list):
                for index, item in enumerate(value):
                    walk(item, str(key), located.item_lines.get((str(key), index), key_line))
            elif isinstance(value, dict):
                for sub_key, item in value.items():
                    line = located.item_lines.get((str(key), str(sub_key)), key_line)  # type: ignore[arg-type]
                    walk(str(sub_key), f"{key}.{sub_key}", line)
                    walk(item, f"{key}.{sub_key}", line)
            else:
                walk(value, str(key), key_line)

    def validate(self, model: type[BaseModel], data: dict[str, Any], located: Located, path: str, prefix: Any = None,
                 lines: dict[str, int] | None = None) -> Any:
        """Validate `data` with `model`; every error becomes a located Problem (`lines`: the line
        of a field that is not a YAML key, such as the answer, the file's body)."""
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            for error in exc.errors():
                loc = tuple(error["loc"])
                field = ".".join(str(part) for part in loc)
                if prefix:
                    fallback = located.key_lines.get(prefix, located.first_line)
                    line = located.item_lines.get((prefix, str(loc[0])), fallback)  # type: ignore[arg-type]
                else:
                    line = (lines or {}).get(field) or located.line(loc)
                self.problems.append(Problem(path, line, field, _describe(error)))
            return None

    # -- the corpus ------------------------------------------------------------------------
    def load(self) -> Corpus:
        if not self.root.is_dir():
            where = f"no such folder ({self.root.resolve()})" if not self.root.exists() else "is not a folder"
            raise ContentErrors([Problem(self.rel(self.root), 0, "", f"content folder: {where}; give yours with "
                                         "--content DIR, or start a guide with `studykit new DIR`")])
        meta = self.load_metadata()
        self.policy = meta.sources if meta is not None else "required"
        sources = self.load_bibliography()
        sections = self.load_sections()
        anki_lock = self.load_anki_lock()
        if not self.problems and meta is not None:
            self.cross_check(sections, sources)
            self.check_sources_used(sections, sources)
        if self.total_bytes + self.media.total_bytes > MAX_CORPUS_BYTES:
            self.problems.append(Problem(self.rel(self.root), 0, "", f"corpus with its images exceeds {MAX_CORPUS_BYTES} bytes"))
        if self.unprintable and self._coverage is not None:
            missing = self._coverage.missing  # then one problem naming the fonts to install
            self.problems += [fonts.missing_fonts_problem(self.unprintable, self._coverage)] if missing else self.unprintable
        if self.problems or meta is None:
            raise ContentErrors(self.problems, counted=[(s.title, q.level, q.published) for s in sections for q in s.questions])
        return Corpus(meta=meta, sections=tuple(sections), sources=sources, anki_lock=anki_lock or AnkiLock(),
                      anki_committed=committed_anki_lock(self.root),
                      media=self.media.files)

    def check_glyphs(self, text: str | None, path: str, field: str, line: int, markdown: bool = False) -> None:
        """Characters the PDFs cannot draw (fonts.glyph_problems); the fonts are looked up once,
        on the first text that is not plain ASCII, and a clean verdict is remembered per text."""
        if not text or text.isascii():
            return
        if self._coverage is None:
            self._coverage = fonts.coverage()
        cov = self._coverage
        self.unprintable += _checked(f"glyphs {cov.digest} {markdown}", text,
                                     lambda: fonts.glyph_problems(text, path, field, line, cov, markdown))

    def load_anki_lock(self) -> AnkiLock | None:
        """The committed Anki note record, if there is one (the anki build writes it); its size
        (read_text), nesting and numbers are bounded before and while it is parsed."""
        path = self.root / ANKI_LOCK
        if not path.is_file() and not path.is_symlink():
            return None
        shown = self.rel(path)
        text = self.read_text(path)
        if text is None:
            return None
        deep = json_too_deep(text, MAX_LOCK_DEPTH)
        if deep:
            self.problems.append(Problem(shown, deep, "", f"invalid JSON: nested more than {MAX_LOCK_DEPTH} deep"))
            return None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            self.problems.append(Problem(shown, exc.lineno, "", f"invalid JSON: {exc.msg}"))
            return None
        except (ValueError, RecursionError) as exc:  # e.g. an integer of over 4300 digits
            self.problems.append(Problem(shown, 0, "", f"invalid JSON: {cut(str(exc), 200)}"))
            return None
        try:
            return AnkiLock.model_validate(data)
        except ValidationError as exc:
            for error in exc.errors():
                loc = error["loc"]
                field = ".".join(str(part) for part in loc)
                line = _json_line(text, loc)
                self.problems.append(Problem(shown, line, field, _describe(error)))
            return None

    def load_metadata(self) -> Metadata | None:
        path = self.root / "corpus.yaml"
        if not path.is_file():
            self.problems.append(Problem(self.rel(path), 0, "", "missing: the corpus metadata file"))
            return None
        located = self.read_mapping(path)
        if located is None:
            return None
        meta = self.validate(Metadata, located.data, located, self.rel(path))
        if meta is not None:
            for field in ("title", "description", "author"):
                self.check_glyphs(getattr(meta, field), self.rel(path), field, located.line((field,)))
        return meta

    def load_bibliography(self) -> dict[str, Source]:
        path = self.root / "bibliography.yaml"
        shown = self.rel(path)
        if not path.is_file():
            if self.policy == "required":
                self.problems.append(Problem(shown, 0, "", "missing: the bibliography file: create it "
                                             "(docs/content-format.md), or set `sources: optional` in corpus.yaml"))
            return {}
        located = self.read_mapping(path)
        if located is None:
            return {}
        self.located["bibliography"] = located
        sources: dict[str, Source] = {}
        for source_id, entry in located.data.items():
            line = located.key_lines.get(str(source_id), 1)
            if not isinstance(entry, dict):
                self.problems.append(Problem(shown, line, str(source_id), "expected a mapping of source fields"))
                continue
            if "id" in entry:
                self.problems.append(Problem(shown, line, f"{source_id}.id", "unknown key (the id is the entry's key)"))
                continue
            source = self.validate(Source, {"id": str(source_id), **entry}, located, shown, prefix=str(source_id))
            if source is None:
                continue
            if self.policy == "required":
                self.problems += self.required_source_fields(source, entry, shown, line)
            for field in ("authors", "title", "venue"):
                self.check_glyphs(getattr(source, field), shown, f"{source_id}.{field}",
                                  located.item_lines.get((str(source_id), field), line))
            sources[source.id] = source
        return sources

    @staticmethod
    def required_source_fields(source: Source, entry: dict, shown: str, line: int) -> list[Problem]:
        """Under `sources: required`: authors, year, and an arXiv id or a URL."""
        remedy = "or set `sources: optional` in corpus.yaml"
        problems = [Problem(shown, line, key, f"required key is missing: add it, {remedy}")
                    for key in ("authors", "year") if key not in entry]
        if not source.arxiv and not source.url:
            problems.append(Problem(shown, line, source.id, f"needs an arxiv id or a url: add one, {remedy}"))
        return problems

    def load_sections(self) -> list[Section]:
        sections: list[Section] = []
        for entry in sorted(self.root.iterdir()):
            if entry.name.startswith("."):
                continue
            if (entry.is_file() and entry.name in TOP_LEVEL_FILES) or (entry.is_dir() and entry.name == MEDIA_DIR):
                continue  # media/: images, read when an answer shows them
            match = SECTION_DIR.match(entry.name)
            if entry.is_symlink() and not inside(entry, self.root):
                self.problems.append(Problem(self.rel(entry), 0, "", "points outside the content folder (a symlink?); nothing there is read"))
                continue
            if not entry.is_dir() or not match:
                self.problems.append(Problem(self.rel(entry), 0, "", "unexpected entry: sections are folders named NN-name"))
                continue
            section = self.load_section(entry, int(match.group(1)))
            if section is not None:
                sections.append(section)
        if not sections and not self.problems:
            self.problems.append(Problem(self.rel(self.root), 0, "", "no sections found"))
        return sections

    def load_section(self, folder: Path, number: int) -> Section | None:
        meta_path = folder / "section.yaml"
        if not meta_path.is_file():
            self.problems.append(Problem(self.rel(meta_path), 0, "", "missing: every section folder needs section.yaml"))
            return None
        located = self.read_mapping(meta_path)
        questions = []
        for entry in sorted(folder.iterdir()):
            if entry.name.startswith(".") or entry.name == "section.yaml":
                continue
            if entry.is_file() and entry.suffix.lower() in SUFFIXES:
                continue  # an image beside its questions (media/ is the convention)
            if not entry.is_file() or entry.suffix != ".md":
                self.problems.append(Problem(self.rel(entry), 0, "", "unexpected entry: question files end in .md (images: .png, .jpg, .gif, .svg)"))
                continue
            question = self.load_question(entry, section_id=str(located.data.get("id", "")) if located else "")
            if question is not None:
                questions.append(question)
        if located is None:
            return None
        questions.sort(key=lambda q: LEVEL_RANK[q.level])  # stable: file order within a level
        data = {**located.data, "number": number, "questions": tuple(questions)}
        section = self.validate(Section, data, located, self.rel(meta_path))
        if section is not None:
            self.check_glyphs(section.title, self.rel(meta_path), "title", located.line(("title",)))
        return section

    def load_question(self, path: Path, section_id: str) -> Question | None:
        shown = self.rel(path)
        text = self.read_text(path)
        if text is None:
            return None
        front, body, body_line, problems = split_front_matter(text, shown)
        self.problems += problems
        if problems:
            return None
        located, problems = parse_yaml_mapping(front, shown, line_offset=1)
        self.problems += problems
        if located is None:
            return None
        if "answer" in located.data:
            self.problems.append(Problem(shown, located.line(("answer",)), "answer", "unknown key (the detailed answer is the file's body)"))
            return None
        if "file" in located.data:  # set by the loader below, never by the author
            self.problems.append(Problem(shown, located.line(("file",)), "file", "unknown key"))
            return None
        self.located[shown] = located
        self.check_strings(located, shown, skip=("question", "short_answer"))
        data = {**located.data, "answer": body, "section": section_id or "unknown", "path": shown,
                "file": path.relative_to(self.root).as_posix()}
        leading = len(body) - len(body.lstrip("\n"))
        answer_line = body_line + body[:leading].count("\n")
        question = self.validate(Question, data, located, shown, lines={"answer": answer_line})
        # The texts are checked even when a field is invalid, so one error does not hide the others.
        texts = question.model_dump(include={"question", "short_answer", "answer"}) if question else data
        if isinstance(texts.get("question"), str):
            self.problems += markdown_problems(texts["question"], shown, "question", located.line(("question",)),
                                               inline_only=True, allow_math=False)
        if isinstance(texts.get("short_answer"), str) and texts["short_answer"]:
            self.problems += markdown_problems(
                texts["short_answer"], shown, "short_answer", located.line(("short_answer",)), single_paragraph=True
            )
        self.problems += markdown_problems(texts["answer"], shown, "answer", answer_line, allow_images=True)
        if question is None:
            return None
        self.answer_lines[shown] = answer_line
        self.problems += self.media.check(question, shown, answer_line)
        self.check_glyphs(question.question, shown, "question", located.line(("question",)))
        self.check_glyphs(question.short_answer, shown, "short_answer", located.line(("short_answer",)), markdown=True)
        self.check_glyphs(question.answer, shown, "answer", answer_line, markdown=True)
        if question.published:
            if not question.short_answer:  # the detailed answer may be empty when the short one says it all
                line = located.line(("short_answer",)) if "short_answer" in located.key_lines else body_line
                self.problems.append(Problem(shown, line, "short_answer", "a published question needs a short answer "
                                             "(one to three sentences), or `status: draft` until it has one"))
            if not question.sources and self.policy == "required":
                self.problems.append(Problem(shown, located.line(("sources",)), "sources",
                                             "a published question cites at least one source: add a bibliography.yaml id "
                                             "to `sources`, or set `sources: optional` in corpus.yaml"))
        return question

    def check_sources_used(self, sections: list[Section], sources: dict[str, Source]) -> None:
        """Every bibliography entry is cited by some question (drafts included)."""
        cited = {sid for s in sections for q in s.questions for sid in q.sources}
        located = self.located.get("bibliography")
        for source_id in sources:
            if source_id not in cited:
                line = located.key_lines.get(source_id, 0) if located else 0
                self.problems.append(Problem(self.rel(self.root / "bibliography.yaml"), line, source_id, "not cited by any question: remove it or cite it"))

    def cross_check(self, sections: list[Section], sources: dict[str, Source]) -> None:
        """Rules across files: unique ids and texts, known sources and related questions."""
        seen_sections: dict[str, str] = {}
        for section in sections:
            if section.id in seen_sections:
                self.problems.append(Problem(f"{self.rel(self.root)}/{section.number:02d}", 0, "id", f"duplicate section id {section.id!r}"))
            seen_sections[section.id] = section.title
        questions = [q for s in sections for q in s.questions]
        line = lambda q, *loc: self.located[q.path].line(loc)  # noqa: E731
        by_id: dict[str, Question] = {}
        by_text: dict[str, Question] = {}
        for q in questions:
            if q.id in by_id:
                self.problems.append(Problem(q.path, line(q, "id"), "id", f"duplicate id {q.id!r} (also in {by_id[q.id].path})"))
            by_id.setdefault(q.id, q)
            key = " ".join(q.question.casefold().split())
            if key in by_text:
                self.problems.append(Problem(q.path, line(q, "question"), "question", f"duplicate question text (also in {by_text[key].path})"))
            by_text.setdefault(key, q)
        for q in questions:
            for index, source_id in enumerate(q.sources):
                if source_id not in sources:
                    self.problems.append(Problem(q.path, line(q, "sources", index), "sources", f"unknown source {source_id!r}: add it to bibliography.yaml or fix the id"))
            self.problems += citations.year_problems(q, sources, lambda index, q=q: line(q, "sources", index))
            for index, other in enumerate(q.related):
                where = line(q, "related", index)
                if other not in by_id:
                    self.problems.append(Problem(q.path, where, "related", f"unknown question id {other!r}"))
                elif other == q.id:
                    self.problems.append(Problem(q.path, where, "related", "a question cannot be related to itself"))
                elif q.published and not by_id[other].published:
                    self.problems.append(Problem(q.path, where, "related", f"{other!r} is a draft; link only published questions"))
            self.check_cross_references(q, by_id)

    def check_cross_references(self, q: Question, by_id: dict[str, Question]) -> None:
        """Every `[text](#id)` of a question's answers names another question (a published one,
        when this one is published)."""
        starts = {"short_answer": self.located[q.path].line(("short_answer",)), "answer": self.answer_lines.get(q.path, 0)}
        for field, text in (("short_answer", q.short_answer), ("answer", q.answer)):
            if not XREF_HINT.search(text):
                continue
            for target, offset in cross_references(text):
                where = starts[field] + (offset if field == "answer" else 0)
                if target not in by_id:
                    self.problems.append(Problem(q.path, where, field, f"cross-reference to unknown question id {target!r}"))
                elif target == q.id:
                    self.problems.append(Problem(q.path, where, field, "a question cannot refer to itself"))
                elif q.published and not by_id[target].published:
                    self.problems.append(Problem(q.path, where, field, f"cross-reference to {target!r}, a draft; link only published questions"))
