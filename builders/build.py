"""Run builders on a validated Corpus: stage every output, then commit them all or none."""
from __future__ import annotations

import sys
from pathlib import Path

from schema import Corpus
from schema.export import export_json_schema

from . import anki
from .formats import FORMATS
from .output import Staging

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema" / "export.schema.json"


def log(message: str) -> None:
    """Progress goes to stderr, never stdout."""
    print(message, file=sys.stderr, flush=True)


class Targets:
    """Where outputs go: README to the repo root (or --out), the Anki note record beside the
    content it describes, everything else to the output folder."""

    def __init__(self, out_dir: Path, readme_dir: Path, content_dir: Path, paper: str = "a4"):
        self.out_dir, self.readme_dir, self.content_dir = out_dir, readme_dir, content_dir
        self.paper = paper

    def path(self, format_name: str, file_name: str) -> Path:
        if format_name == "readme":
            return self.readme_dir / file_name
        if format_name == "anki" and file_name == anki.LOCK_FILE:
            return self.content_dir / file_name
        return self.out_dir / file_name


def render_all(corpus: Corpus, formats: list[str], targets: Targets) -> dict[Path, bytes]:
    """Render the requested formats in memory: {target path: bytes}."""
    rendered: dict[Path, bytes] = {}
    for name in formats:
        options = {"paper": targets.paper} if name == "pdf" else {}
        log(f"building {name}")
        for file_name, data in FORMATS[name].render(corpus, **options).items():
            rendered[targets.path(name, file_name)] = data
    return rendered


def build(corpus: Corpus, formats: list[str], targets: Targets) -> list[Path]:
    """Render everything first, then move all outputs into place; a failure leaves old outputs as they were."""
    staging = Staging()
    try:
        rendered = render_all(corpus, formats, targets)
        for path, data in rendered.items():
            if path.is_file() and path.read_bytes() == data:
                continue  # unchanged: leave the file (and its timestamp) alone
            staging.write_bytes(path, data)
        written = staging.commit()
    except BaseException:
        staging.discard()
        raise
    for path in written:
        log(f"wrote {path}")
    return written


def stale_outputs(corpus: Corpus, formats: list[str], targets: Targets) -> list[str]:
    """Committed generated files that differ from a fresh render (README.md, the export JSON
    Schema, the Anki note record)."""
    stale = []
    committed = [name for name in formats if name == "readme"]
    for path, data in render_all(corpus, committed, targets).items():
        if not path.is_file() or path.read_bytes() != data:
            stale.append(f"{path} is stale: run `make` (or `studykit build readme`) and commit it")
    if "json" in formats and (not SCHEMA_FILE.is_file() or SCHEMA_FILE.read_text(encoding="utf-8") != export_json_schema()):
        stale.append(f"{SCHEMA_FILE} is stale: run `.venv/bin/python -m schema.export` and commit it")
    if "anki" in formats and anki.stale_lock(corpus):
        stale.append(f"{targets.content_dir / anki.LOCK_FILE} is stale: run `studykit build anki` and commit it")
    return stale
