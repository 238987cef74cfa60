"""Pydantic models of the corpus: metadata, sources, sections and questions (all frozen)."""
from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

LEVELS: tuple[str, ...] = ("basic", "intermediate", "advanced")
Level = Literal["basic", "intermediate", "advanced"]
Status = Literal["published", "draft"]
SourcePolicy = Literal["required", "optional"]
ReadmeKind = Literal["guide", "project"]
Slug = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=80),
]
SourceId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=80)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]

# A source's URL: https, a host name (and port), then RFC 3986 characters only, none of which
# can end a Markdown link or an HTML attribute early; parentheses are percent-encoded on output.
URL_PATTERN = r"^https://[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::\d{1,5})?(?:[/?#](?:%[0-9A-Fa-f]{2}|[A-Za-z0-9._~:/?#@!$&*+,;=()-])*)?$"
_URL_UNSAFE = re.compile(r"[^A-Za-z0-9._~:/?#@!$&*+,;=%-]")


def safe_url(url: str) -> str:
    """A URL with every character outside a conservative RFC 3986 set (parentheses, quotes,
    spaces, `<`, `>`, backslash, backtick, non-ASCII) percent-encoded as UTF-8, so it can be a
    Markdown link destination or an HTML attribute as it is (idempotent)."""
    return _URL_UNSAFE.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode("utf-8")), url)


MAX_SHORT_ANSWER = 600
MAX_MTIME = 253_402_300_799  # 9999-12-31T23:59:59Z: later times overflow dates in Anki and in Python
MAX_ANSWER = 20_000


class Strict(BaseModel):
    """Base: frozen; unknown keys are errors (pydantic never turns numbers into text)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Metadata(Strict):
    """The corpus's own description (`content/corpus.yaml`)."""

    title: Text = Field(description="Title of the guide, used for the README, PDFs and the deck")
    slug: Slug = Field(description="File-name stem of every output, e.g. SLUG.json")
    description: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)] = Field(
        description="One-paragraph introduction shown at the top of the README and the handout"
    )
    author: Text = Field(description="Author shown on the cover and in document metadata")
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")] = Field(
        default="en", description="BCP 47 language tag of the content"
    )
    keywords: tuple[Text, ...] = Field(default=(), description="Keywords for document metadata")
    sources: SourcePolicy = Field(
        default="required",
        description="Source policy: `required` (every published question cites a source; every bibliography "
                    "entry has authors, year and an arXiv id or URL) or `optional` (questions may cite "
                    "nothing; an entry needs only a title, as in an imported guide)",
    )
    readme: ReadmeKind = Field(
        default="guide",
        description="What README.md holds besides the questions: `guide` (how to rebuild it and use the outputs) "
                    "or `project` (how to set up, test and extend the studykit repository it lives in: the "
                    "bundled guide)",
    )


class Source(Strict):
    """One bibliography entry: a paper (arXiv id), an official document (URL) or, under
    `sources: optional`, any work with a title."""

    id: SourceId = Field(description="Key used by questions' `sources` lists")
    authors: Text | None = Field(
        default=None, description="Authors, e.g. 'Vaswani, Shazeer, Parmar' or 'Brown et al.' (required unless `sources: optional`)"
    )
    title: Text = Field(description="Title of the work")
    year: int | None = Field(default=None, ge=1900, le=2100, description="Year of publication (required unless `sources: optional`)")
    venue: Text | None = Field(default=None, description="Conference, journal or report series")
    arxiv: Annotated[str, StringConstraints(pattern=r"^\d{4}\.\d{4,5}$")] | None = Field(
        default=None, description="arXiv identifier, e.g. 1706.03762 (this or `url` is required unless `sources: optional`)"
    )
    url: Annotated[str, StringConstraints(pattern=URL_PATTERN, max_length=500)] | None = Field(
        default=None, description="Link for works without an arXiv id: https only, a host name, then only RFC 3986 "
                                  "characters (no spaces, quotes, `<`, `>`, `[`, `]`, backslashes or backticks; `%` "
                                  "followed by two hex digits)"
    )

    @property
    def link(self) -> str:
        """Where to read the work: the arXiv abstract page, else the URL, else '' (no link)."""
        return f"https://arxiv.org/abs/{self.arxiv}" if self.arxiv else safe_url(self.url or "")

    @property
    def citation(self) -> str:
        """One-line citation: authors, title, venue, year and arXiv id (the pieces the entry has)."""
        return self.cite(arxiv=True)

    def cite(self, arxiv: bool) -> str:
        """The citation, with or without the arXiv id (left out where a link prints it)."""
        authors = (self.authors if self.authors.endswith(".") else self.authors + ".") if self.authors else ""
        title = self.title if self.title.endswith((".", "?", "!")) else self.title + "."
        when = " ".join(p for p in (self.venue or "", str(self.year) if self.year else "") if p)
        tail = ", ".join(p for p in (when, f"arXiv:{self.arxiv}" if self.arxiv and arxiv else "") if p)
        return " ".join(p for p in (authors, title, tail + "." if tail else "") if p)

    @property
    def label(self) -> str:
        """Short label, as prose cites a work: 'Press & Wolf 2017', 'Vaswani et al. 2017', else the title."""
        group = re.sub(r"\s*\(.*\)", "", self.authors or "")  # 'BigScience Workshop (Le Scao, ...)': the group
        names = [n.strip() for n in group.split(",") if n.strip()]
        if not names:
            name = self.title if len(self.title) <= 40 else self.title[:39].rstrip() + "…"
        elif len(names) > 2 or names[0].endswith(" et al."):
            name = names[0].removesuffix(" et al.") + " et al."
        else:
            name = " & ".join(names)
        return f"{name} {self.year}" if self.year else name

    @property
    def sort_key(self) -> tuple[str, int, str]:
        """Reference-list order: authors (else title), year, id."""
        return ((self.authors or self.title).casefold(), self.year or 0, self.id)


class Question(Strict):
    """One question with its short answer (front matter) and detailed answer (body)."""

    id: Slug = Field(description="Stable identity: JSON id, Anki GUID, HTML/PDF link target")
    question: Text = Field(description="The question, plain inline Markdown (no math or links)")
    level: Level = Field(description="Difficulty: basic, intermediate or advanced")
    status: Status = Field(default="published", description="Drafts are validated but not published")
    short_answer: Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_SHORT_ANSWER)] = Field(
        default="", description="Interview-ready answer in one to three sentences (Markdown)"
    )
    answer: Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_ANSWER)] = Field(
        default="", description="Detailed answer (Markdown), the body of the question file"
    )
    sources: tuple[SourceId, ...] = Field(default=(), description="Bibliography ids cited")
    related: tuple[Slug, ...] = Field(default=(), description="Ids of questions to read next")
    tags: tuple[Slug, ...] = Field(default=(), description="Extra tags (Anki tags, search)")
    section: Slug = Field(description="Id of the section the question belongs to")
    path: str = Field(description="Content file the question was loaded from", exclude=True)
    file: str = Field(default="", description="The question file's path inside the content folder (image paths are relative to it)")

    @property
    def published(self) -> bool:
        """True when the question appears in outputs."""
        return self.status == "published"


class Section(Strict):
    """A folder of questions with a title; its number orders it in the guide."""

    id: Slug = Field(description="Stable section id, used in tags and anchors")
    title: Text = Field(description="Section title")
    number: int = Field(ge=1, description="Position in the guide (from the folder name)")
    questions: tuple[Question, ...] = Field(default=(), description="Questions, drafts included")

    @property
    def published(self) -> tuple[Question, ...]:
        """Published questions only, in guide order."""
        return tuple(q for q in self.questions if q.published)

    def by_level(self, level: str) -> tuple[Question, ...]:
        """Published questions of one level."""
        return tuple(q for q in self.published if q.level == level)


class NoteRecord(Strict):
    """What the last release shipped for one Anki note: its fingerprint and modification time."""

    fingerprint: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")] = Field(
        description="sha256 of the note's fields, tags and deck"
    )
    mtime: int = Field(ge=0, le=MAX_MTIME, description="The note's modification time (Unix seconds, at most 9999-12-31), sent to Anki")


class NoteTypeRecord(Strict):
    """What the last release shipped for the note type: its fingerprint and modification time."""

    fingerprint: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")] = Field(
        description="sha256 of the note type's name, fields, templates and CSS"
    )
    mtime: int = Field(ge=0, le=MAX_MTIME, description="The note type's modification time (Unix seconds), sent to Anki")


class AnkiLock(Strict):
    """`content/anki-notes.lock.json`: per-note fingerprints and times, committed with the content."""

    version: Literal[1] = Field(default=1, description="Format version of this file")
    note_type: NoteTypeRecord | None = Field(default=None, description="The note type's record (absent in older files)")
    notes: dict[Slug, NoteRecord] = Field(default_factory=dict, description="Question id -> record")


class Media(Strict):
    """An image file of the content, read once by the loader (`Corpus.media`)."""

    data: bytes = Field(exclude=True, repr=False, description="The file's bytes (left out of dumps)")
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")] = Field(description="sha256 of the bytes")
    mime: Literal["image/png", "image/jpeg", "image/gif", "image/svg+xml"] = Field(description="Type, by the bytes")

    @property
    def suffix(self) -> str:
        return {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/svg+xml": ".svg"}[self.mime]

    @property
    def data_uri(self) -> str:
        """The image as a data: URI (for the web page and the PDFs)."""
        import base64

        return f"data:{self.mime};base64,{base64.b64encode(self.data).decode('ascii')}"


class Corpus(Strict):
    """Everything a builder needs, validated and frozen."""

    meta: Metadata
    sections: tuple[Section, ...]
    sources: dict[str, Source]
    anki_lock: AnkiLock = Field(default_factory=AnkiLock, description="Anki note times (may be empty)")
    anki_committed: AnkiLock | None = Field(
        default=None, description="The note record as last committed (git HEAD), when the content is in a git "
                                  "repository: a note edited and then changed back gets its committed time back")
    media: dict[str, Media] = Field(default_factory=dict, description="Images of answers, by path inside the content folder")

    @property
    def questions(self) -> tuple[Question, ...]:
        """Every question, drafts included, in guide order."""
        return tuple(q for s in self.sections for q in s.questions)

    @property
    def published(self) -> tuple[Question, ...]:
        """Published questions in guide order."""
        return tuple(q for q in self.questions if q.published)

    def cited_sources(self) -> list[str]:
        """Ids of the works cited by published questions, in reference-list order (authors, year, id)."""
        cited = {sid for q in self.published for sid in q.sources}
        return sorted(cited, key=lambda sid: self.sources[sid].sort_key)

    def question(self, question_id: str) -> Question:
        """Look a question up by id."""
        return next(q for q in self.questions if q.id == question_id)
