"""The JSON export: DESIGN's shape, valid against the committed JSON Schema, schema fresh."""
from __future__ import annotations

import json

from builders import json_export
from schema import load_corpus
from schema.export import ExportCorpus, export_json_schema

from .conftest import CONTENT, ROOT


def test_committed_schema_is_fresh():
    assert (ROOT / "schema" / "export.schema.json").read_text(encoding="utf-8") == export_json_schema()


def test_export_shape_of_tiny_corpus(tiny):
    data = json.loads(json_export.render(load_corpus(tiny))["tiny.json"])
    assert list(data) == ["title", "slug", "sections", "sources"]
    question = data["sections"][0]["questions"][0]
    assert list(question) == ["id", "level", "question", "short_answer", "answer", "sources"]
    assert question["id"] == "first" and question["level"] == "basic" and "$$" in question["answer"]
    assert [q["id"] for q in data["sections"][0]["questions"]] == ["first", "second"]  # the draft is left out
    assert data["sources"]["vaswani2017"]["url"] == "https://arxiv.org/abs/1706.03762"
    ExportCorpus.model_validate(data)


def test_export_of_the_guide_validates_and_is_deterministic():
    corpus = load_corpus(CONTENT)
    first = json_export.render(corpus)
    assert first == json_export.render(load_corpus(CONTENT))
    data = json.loads(next(iter(first.values())))
    ExportCorpus.model_validate(data)
    cited = {s for sec in data["sections"] for q in sec["questions"] for s in q["sources"]}
    assert cited == set(data["sources"])
    assert sum(len(s["questions"]) for s in data["sections"]) == len(corpus.published)
