"""PDF builder: the HTML document with print CSS through WeasyPrint (handout, quiz, cheatsheet)."""
from __future__ import annotations

import io
import logging
from urllib.parse import urlparse

from schema import Corpus

from . import html
from .templating import TEMPLATES

NAME = "pdf"
PAPERS = {"a4": "A4", "letter": "letter"}
MODES = ("handout", "quiz", "cheatsheet")


class FetchRefused(Exception):
    """WeasyPrint asked for a resource the build does not allow."""


def outputs(slug: str) -> list[tuple[str, str]]:
    """File names this builder writes, with a description for the README."""
    return [
        (f"{slug}-handout.pdf", "print handout: cover, contents with page numbers, every answer, references"),
        (f"{slug}-quiz.pdf", "numbered questions with room to write, answer key at the end"),
        (f"{slug}-cheatsheet.pdf", "every short answer, two compact columns"),
    ]


def url_fetcher():  # noqa: ANN201 - a weasyprint.urls.URLFetcher
    """A fetcher for data: URIs only (the build makes its own); no files, no network, no redirects.

    Content images arrive as data: URIs made from the bytes the loader read, and content cannot
    name stylesheets or remote images (`check` rejects them), so anything else reaching
    WeasyPrint (an SVG's own reference, say) stops the render loudly rather than being fetched.
    """
    from weasyprint.urls import URLFetcher

    class DataOnly(URLFetcher):
        def fetch(self, url: str, headers=None):  # noqa: ANN001, ANN202 - WeasyPrint's signature
            if urlparse(url).scheme != "data":
                raise FetchRefused(f"refused to fetch {url!r}: builds load nothing outside the document")
            return super().fetch(url, headers)

    return DataOnly(allowed_protocols=("data",), allow_redirects=False, fail_on_errors=True)


def print_css(paper: str) -> str:
    return f"@page {{ size: {PAPERS[paper]}; }}\n" + (TEMPLATES / "html" / "print.css").read_text(encoding="utf-8")


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def render_pdf(document: str) -> tuple[bytes, list[str]]:
    """One HTML document to PDF bytes, with WeasyPrint's warnings."""
    import weasyprint

    handler = _Collect()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        out = io.BytesIO()
        # No pdf_identifier: pydyf would serialise every object a second time to hash it (a
        # third of the render time); the file is reproducible without one.
        weasyprint.HTML(string=document, url_fetcher=url_fetcher(), base_url="about:blank").write_pdf(
            out, pdf_tags=True, custom_metadata=True,
        )
        return out.getvalue(), handler.messages
    finally:
        logger.removeHandler(handler)


def render(corpus: Corpus, paper: str = "a4", modes: tuple[str, ...] = MODES) -> dict[str, bytes]:
    """The three PDFs (or some of them)."""
    data = html.view(corpus, for_print=True)
    files = {}
    for mode in modes:
        document = html.document(corpus, mode, extra_css=print_css(paper), data=data)
        pdf, warnings = render_pdf(document)
        for message in warnings:
            logging.getLogger("studykit").warning("WeasyPrint (%s): %s", mode, message)
        files[f"{corpus.meta.slug}-{mode}.pdf"] = pdf
    return files
