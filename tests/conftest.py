"""Shared fixtures: paths, a copy of the tiny corpus, and an in-process CLI runner."""
from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from builders.cli import main

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
TINY = Path(__file__).resolve().parent / "fixtures" / "tiny"


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A writable copy of the tiny valid corpus."""
    target = tmp_path / "content"
    shutil.copytree(TINY, target)
    return target


@pytest.fixture(scope="session")
def bundled_pdfs():
    """The bundled guide's three PDFs, rendered once per session: (corpus, {name: bytes}, the
    WeasyPrint warnings logged while rendering)."""
    from builders import pdf
    from schema import load_corpus

    corpus = load_corpus(CONTENT)
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep(logging.WARNING)
    logging.getLogger("weasyprint").addHandler(handler)
    try:
        files = pdf.render(corpus)
    finally:
        logging.getLogger("weasyprint").removeHandler(handler)
    return corpus, files, records


@pytest.fixture(scope="session")
def bundled_readers(bundled_pdfs) -> dict:
    """A pypdf reader of each bundled PDF, shared by the test modules, so that the text pypdf
    extracts from them is extracted once (pdf_lines.page_texts)."""
    from io import BytesIO

    from pypdf import PdfReader

    _, files, _ = bundled_pdfs
    return {name.rsplit("-", 1)[1].removesuffix(".pdf"): PdfReader(BytesIO(data)) for name, data in files.items()}


@pytest.fixture
def run(capsys):
    """Run the CLI in-process: returns (exit code, stdout, stderr)."""

    def runner(*args: str) -> tuple[int, str, str]:
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse usage errors
            code = exc.code if isinstance(exc.code, int) else 1
        out, err = capsys.readouterr()
        return code, out, err

    return runner


pytest_plugins = ["tests.browser"]


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Keep each phase's report on the item, so fixtures can tell a failed test (for screenshots)."""
    report = yield
    setattr(item, "rep_" + report.when, report)
    return report
