"""Models of the JSON export (the public shape) and the generator of its JSON Schema."""
from __future__ import annotations

import json

from pydantic import BaseModel, ConfigDict, Field

from .media import media_key, rewrite_images
from .models import Corpus, Level


class _Export(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ExportSource(_Export):
    """A cited work."""

    id: str = Field(description="Bibliography key, as used in questions' `sources`")
    authors: str | None = Field(description="Authors (null only in a guide with `sources: optional`)")
    title: str = Field(description="Title")
    year: int | None = Field(description="Year (null only in a guide with `sources: optional`)")
    venue: str | None = Field(description="Venue, if any")
    arxiv: str | None = Field(description="arXiv id, if any")
    url: str | None = Field(description="Where to read it (arXiv abstract page or official URL); null when the entry has no link")


class ExportQuestion(_Export):
    """A published question."""

    id: str = Field(description="Stable question id (slug)")
    level: Level = Field(description="basic, intermediate or advanced")
    question: str = Field(description="The question (inline Markdown)")
    short_answer: str = Field(description="Interview-ready short answer (Markdown; a link to `#ID` is a cross-reference to the question with that id)")
    answer: str = Field(description="Detailed answer (Markdown, TeX math between $ and $$; image paths relative to the content folder; a link to `#ID` is a cross-reference to the question with that id)")
    sources: list[str] = Field(description="Ids of cited works, keys of the top-level `sources`")


class ExportSection(_Export):
    """A section and its published questions, in guide order."""

    id: str = Field(description="Stable section id")
    title: str = Field(description="Section title")
    questions: list[ExportQuestion]


class ExportCorpus(_Export):
    """The whole published guide: `output/SLUG.json`."""

    title: str = Field(description="Title of the guide")
    slug: str = Field(description="Slug of the guide (output file stem)")
    sections: list[ExportSection]
    sources: dict[str, ExportSource] = Field(description="Every work cited by a published question")


def export_corpus(corpus: Corpus) -> ExportCorpus:
    """The published part of the corpus in the export shape."""
    cited = {s for q in corpus.published for s in q.sources}
    return ExportCorpus(
        title=corpus.meta.title,
        slug=corpus.meta.slug,
        sections=[
            ExportSection(
                id=section.id,
                title=section.title,
                questions=[
                    ExportQuestion(id=q.id, level=q.level, question=q.question, short_answer=q.short_answer,
                                   answer=rewrite_images(q.answer, lambda src, q=q: media_key(q.file, src)),
                                   sources=list(q.sources))
                    for q in section.published
                ],
            )
            for section in corpus.sections
        ],
        sources={
            sid: ExportSource(id=sid, authors=s.authors, title=s.title, year=s.year, venue=s.venue,
                              arxiv=s.arxiv, url=s.link or None)
            for sid, s in sorted(corpus.sources.items()) if sid in cited
        },
    )


def export_json_schema() -> str:
    """JSON Schema of the export, as committed in schema/export.schema.json."""
    schema = ExportCorpus.model_json_schema()
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "export.schema.json", **schema}
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":  # python -m schema.export  (rewrites the committed JSON Schema)
    from pathlib import Path

    Path(__file__).with_name("export.schema.json").write_text(export_json_schema(), encoding="utf-8")
