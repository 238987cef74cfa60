"""`studykit import`: a hand-written Markdown Q&A document to validated content files (see docs/import.md)."""
from __future__ import annotations

import os
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .decode import ImportError_, decode
from .outline import find_outline
from .prepare import prepare
from .questions import build_questions
from .report import outline_lines, summary_lines, toc_problems, warnings
from .write import write_content

__all__ = ["ImportError_", "ImportOptions", "run_import"]


@dataclass
class ImportOptions:
    """What the user pinned; None or 'auto' means: detect it."""

    questions: str = "auto"
    question_depth: int | None = None
    section_depth: int | None = None
    levels: str = "auto"
    default_level: str = "basic"
    source: str | None = None
    title: str | None = None
    dry_run: bool = False
    strict: bool = False
    force: bool = False
    faithful: bool = False  # a studykit README: keep every answer exactly as it is
    extra: dict = field(default_factory=dict)


def run_import(legacy: Path, into: Path, force: bool = False, default_level: str = "basic",
               options: ImportOptions | None = None) -> tuple[list[str], list[str]]:
    """Import `legacy` into the content folder `into`, all or nothing. Returns (report lines, warnings)."""
    options = options or ImportOptions(force=force, default_level=default_level)
    try:
        if not legacy.is_file():
            raise ImportError_(f"{legacy}: not found (give the path of a Markdown file)" if not legacy.exists() else f"{legacy}: not a regular file")
        if legacy.stat().st_size > 20_000_000:
            raise ImportError_(f"{legacy}: {legacy.stat().st_size} bytes; a Q&A document over 20 MB is not supported")
        data = legacy.read_bytes()
    except OSError as exc:
        raise ImportError_(f"{legacy}: cannot read: {exc.strerror or exc}") from None
    if not options.dry_run and into.exists() and (not into.is_dir() or any(into.iterdir())) and not options.force:
        raise ImportError_(f"{into} exists and is not empty; use --force to replace it")
    text, repairs = decode(data, str(legacy))
    options.faithful = "<!-- studykit:id " in text
    text, prepared, summaries = prepare(text)
    outline = find_outline(text, summaries, options.questions, options.question_depth, options.section_depth, options.levels)
    done = Counter(prepared)
    for kind, _ in repairs:
        done[kind] += 1
    imported = build_questions(outline, text, legacy, options, done)
    imported.repairs = [detail for _, detail in repairs]
    imported.problems = toc_problems(text, outline) + imported.problems
    found = warnings(imported, outline)
    report = outline_lines(imported, outline) if options.dry_run else []
    report += summary_lines(imported, done, found)
    if not imported.questions:
        raise ImportError_(f"{legacy}: no questions found" + (" (" + "; ".join(found) + ")" if found else
                           ": use --questions to say how questions are marked (see docs/import.md)"))
    if options.dry_run or options.strict and found:
        return report, found
    into.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{into.name}.import-", dir=into.parent))
    try:
        write_content(imported, staging / "content")
        if into.exists():
            os.replace(into, staging / "previous")
        os.replace(staging / "content", into)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return report, found
