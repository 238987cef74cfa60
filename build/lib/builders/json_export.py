"""JSON builder: output/SLUG.json, the published guide in the shape of schema/export.schema.json."""
from __future__ import annotations

import json

from schema import Corpus
from schema.export import export_corpus

NAME = "json"


def outputs(slug: str) -> list[tuple[str, str]]:
    """File names this builder writes, with a description for the README."""
    return [(f"{slug}.json", "every published question as JSON (schema: `schema/export.schema.json`)")]


def render(corpus: Corpus) -> dict[str, bytes]:
    """Serialise the published corpus; deterministic (stable order, no timestamps)."""
    data = export_corpus(corpus).model_dump(mode="json")
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return {f"{corpus.meta.slug}.json": text.encode("utf-8")}
