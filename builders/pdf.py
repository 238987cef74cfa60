"""PDF builder: the HTML document with print CSS through WeasyPrint (handout, quiz, cheatsheet)."""
from __future__ import annotations

import io
from urllib.parse import urlparse

from schema import Corpus
from schema.fonts import css_variables, font_faces

from . import html
from .linebreaks import keep_spaces
from .templating import TEMPLATES

NAME = "pdf"
PAPERS = {"a4": "A4", "letter": "letter"}
MODES = ("handout", "quiz", "cheatsheet")


class FetchRefused(Exception):
    """WeasyPrint asked for a resource the build does not allow."""


def outputs(slug: str) -> list[tuple[str, str]]:
    """File names this builder writes, with a description for the README."""
    return [
        (f"{slug}-handout.pdf", "print handout: cover, contents with page numbers and level letters, every answer, references"),
        (f"{slug}-quiz.pdf", "numbered questions with ruled lines to write on (more for harder levels), a Name / Date / Score "
         "line, and an answer key that repeats each question under its section"),
        (f"{slug}-cheatsheet.pdf", "every short answer, two compact balanced columns"),
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
    """The paper size, the bundled text font, the font stacks for print (emoji by fontconfig's
    fallback, see fonts.css_variables) and print.css."""
    return (f"@page {{ size: {PAPERS[paper]}; }}\n" + font_faces() + css_variables(emoji=False, bundled=True)
            + (TEMPLATES / "html" / "print.css").read_text(encoding="utf-8"))


def open_with_bookmarks(_document, pdf) -> None:  # noqa: ANN001 - WeasyPrint's finisher signature
    """Make viewers open the PDF with its bookmarks (outline) pane shown: /PageMode /UseOutlines
    in the catalog (WeasyPrint writes no PageMode of its own)."""
    import pydyf

    pdf.catalog["PageMode"] = pydyf.name("UseOutlines")


def render_pdf(document: str) -> bytes:
    """One HTML document to PDF bytes (WeasyPrint's warnings go to its logger; a build collects
    them per job and reports each once, see renderlog)."""
    import weasyprint

    out = io.BytesIO()
    # No pdf_identifier: pydyf would serialise every object a second time to hash it (a third
    # of the render time); the file is reproducible without one.
    weasyprint.HTML(string=document, url_fetcher=url_fetcher(), base_url="about:blank").write_pdf(
        out, finisher=open_with_bookmarks, pdf_tags=True, custom_metadata=True,
    )
    return out.getvalue()


def render(corpus: Corpus, paper: str = "a4", modes: tuple[str, ...] = MODES) -> dict[str, bytes]:
    """The three PDFs (or some of them)."""
    data = html.view(corpus, for_print=True)
    files = {}
    for mode in modes:
        document = html.document(corpus, mode, extra_css=print_css(paper), data=data)
        files[f"{corpus.meta.slug}-{mode}.pdf"] = render_pdf(keep_spaces(document))
    return files
