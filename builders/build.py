"""Run builders on a validated Corpus: stage every output, then commit them all or none."""
from __future__ import annotations

import sys
from pathlib import Path

from schema import Corpus
from schema.export import export_json_schema

from .formats import FORMATS
from .output import Staging

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema" / "export.schema.json"


def log(message: str) -> None:
    """Progress goes to stderr, never stdout."""
    print(message, file=sys.stderr, flush=True)


def target_path(format_name: str, file_name: str, out_dir: Path, readme_dir: Path) -> Path:
    """Where an output goes: the README to `readme_dir` (the repo root by default), the rest to `out_dir`."""
    return (readme_dir if format_name == "readme" else out_dir) / file_name


def render_all(corpus: Corpus, formats: list[str], out_dir: Path, readme_dir: Path) -> dict[Path, bytes]:
    """Render the requested formats in memory: {target path: bytes}."""
    rendered: dict[Path, bytes] = {}
    for name in formats:
        for file_name, data in FORMATS[name].render(corpus).items():
            rendered[target_path(name, file_name, out_dir, readme_dir)] = data
    return rendered


def build(corpus: Corpus, formats: list[str], out_dir: Path, readme_dir: Path) -> list[Path]:
    """Render everything first, then move all outputs into place; a failure leaves old outputs as they were."""
    staging = Staging()
    try:
        rendered = render_all(corpus, formats, out_dir, readme_dir)
        for path, data in rendered.items():
            staging.write_bytes(path, data)
        written = staging.commit()
    except BaseException:
        staging.discard()
        raise
    for path in written:
        log(f"wrote {path}")
    return written


def stale_outputs(corpus: Corpus, formats: list[str], out_dir: Path, readme_dir: Path) -> list[str]:
    """Committed generated files that differ from a fresh render (README.md, the export JSON Schema)."""
    stale = []
    committed = [name for name in formats if name == "readme"]
    for path, data in render_all(corpus, committed, out_dir, readme_dir).items():
        if not path.is_file() or path.read_bytes() != data:
            stale.append(f"{path} is stale: run `make` (or `studykit build readme`) and commit it")
    if "json" in formats and (not SCHEMA_FILE.is_file() or SCHEMA_FILE.read_text(encoding="utf-8") != export_json_schema()):
        stale.append(f"{SCHEMA_FILE} is stale: run `.venv/bin/python -m schema.export` and commit it")
    return stale
