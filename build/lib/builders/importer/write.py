"""Write an imported corpus as content files: corpus.yaml, bibliography.yaml, sections, media/."""
from __future__ import annotations

from pathlib import Path

import yaml

from .questions import Imported, make_id


def _dump(data: object) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def front_matter(q: dict) -> str:
    data = {"id": q["id"], "question": q["question"], "level": q["level"]}
    if q["status"] == "draft":
        data["status"] = "draft"
    if q["short_answer"]:
        data["short_answer"] = q["short_answer"]
    if q["sources"]:
        data["sources"] = q["sources"]
    return _dump(data)


def write_content(imported: Imported, into: Path) -> None:
    """Write the corpus into `into` (which must not exist yet)."""
    into.mkdir(parents=True)
    meta = {"title": imported.title[:300], "slug": imported.slug,
            "description": (imported.description or f"Questions and answers imported from {imported.title}.")[:1000],
            "author": "unknown", "language": "en", "sources": "optional"}
    (into / "corpus.yaml").write_text(_dump(meta), encoding="utf-8")
    cited = {sid for q in imported.questions for sid in q["sources"]}
    sources = {sid: entry for sid, entry in imported.sources.items() if sid in cited}
    (into / "bibliography.yaml").write_text(_dump(sources) if sources else "{}\n", encoding="utf-8")
    if imported.images:
        (into / "media").mkdir()
        for name, data in imported.images.items():
            (into / "media" / name).write_bytes(data)
    used: set[str] = set()
    for number, section in enumerate(imported.sections, start=1):
        base = make_id(section["title"], 40, f"section-{number}")
        sid = base if base not in used else f"{base}-{number}"
        used.add(sid)
        folder = into / f"{number:02d}-{sid}"
        folder.mkdir()
        (folder / "section.yaml").write_text(_dump({"id": sid, "title": section["title"][:300]}), encoding="utf-8")
        for index, q in enumerate(section["questions"], start=1):
            body = q["answer"] + "\n" if q["answer"] else ""
            (folder / f"{index:03d}-{q['id'][:50]}.md").write_text("---\n" + front_matter(q) + "---\n" + body, encoding="utf-8")
