"""PDF builder: the HTML document with print CSS through WeasyPrint (handout, quiz, cheatsheet)."""
from __future__ import annotations

import atexit
import gc
import io
from collections.abc import Callable, Iterator
from functools import lru_cache
from urllib.parse import urlparse

from schema import Corpus
from schema.fonts import css_variables, font_faces

from . import html, pdfparts, renderlog
from .linebreaks import keep_spaces
from .templating import TEMPLATES

NAME = "pdf"
PAPERS = {"a4": "A4", "letter": "letter"}
MODES = ("handout", "quiz", "cheatsheet")
# A render makes millions of objects that live until its end: the cyclic collector runs every
# 20,000 allocations instead of 700, and its older generations less often (about a sixth faster).
RENDER_GC_THRESHOLD = (20000, 10, 10)


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


_FONT_CONFIGS: list = []  # of the parsed stylesheets: see release_fonts


def release_fonts() -> None:
    """Delete the font files WeasyPrint unpacked into a temporary folder for each cached
    stylesheet. A FontConfiguration deletes its folder when it is collected, which never happens
    to a cached one: a worker ends with os._exit, and at interpreter shutdown its __del__ fails."""
    import shutil

    for font_config in _FONT_CONFIGS:
        folder = getattr(font_config, "_folder", None)
        if folder:
            shutil.rmtree(folder, ignore_errors=True)
            font_config._folder = None  # noqa: SLF001 - so its own __del__ has nothing left to do
    _FONT_CONFIGS.clear()
    parsed_stylesheet.cache_clear()


@lru_cache(maxsize=4)
def parsed_stylesheet(css: str):  # noqa: ANN201 - (weasyprint.CSS, its FontConfiguration, warnings)
    """`css` parsed once per process (a megabyte with the bundled fonts' data: URIs), with the
    font configuration its @font-face rules were added to, which the render must use too, and
    the warnings the parse logged, which every render with it logs again (so each document
    reports them, whichever process parsed the stylesheet first)."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    font_config = FontConfiguration()
    if not _FONT_CONFIGS:
        atexit.register(release_fonts)  # before a worker's os._exit (atexit runs the latest first)
    _FONT_CONFIGS.append(font_config)
    with renderlog.collected() as warnings:
        sheet = weasyprint.CSS(string=css, font_config=font_config, url_fetcher=url_fetcher(), base_url="about:blank")
    return sheet, font_config, tuple(warnings)


def stylesheets(paper: str) -> tuple[str, str]:
    """The two stylesheets of the PDF documents: a whole document's (quiz, cheat sheet, the
    handout's footers), and a handout part's."""
    return html.stylesheet(print_css(paper)), html.stylesheet(print_css(paper) + pdfparts.PART_CSS)


def warm_up(paper: str) -> None:
    """In a worker, while the build makes the documents: import WeasyPrint, parse the
    stylesheets the documents will use and read the formula drawings earlier builds saved
    (about two seconds a worker, spent before the first document arrives rather than after);
    this worker's renders save their new drawings in turn."""
    for css in stylesheets(paper):
        parsed_stylesheet(css)
    if _speed_up():
        from . import weasyprint_speedups

        weasyprint_speedups.remember_saved(weasyprint_speedups.drawing_version())


@lru_cache(maxsize=1)
def _speed_up() -> bool:
    """WeasyPrint's SVG images drawn by weasyprint_speedups (installed once per process; False
    where WeasyPrint is not the version they were made for)."""
    from . import weasyprint_speedups

    return weasyprint_speedups.install()


def render_pdf(document: str, tagged: bool = True, css: str | None = None,
               laid_out: Callable[[int, dict[str, int]], None] | None = None) -> bytes:
    """One HTML document to PDF bytes, styled by its own <style> or by `css` (WeasyPrint's
    warnings go to its logger; a build collects them per job and reports each once, see renderlog).
    `laid_out(pages, anchors)` is called once the pages are laid out, before they are drawn and
    written (about a third of the time): the page count, and the page index of each anchor (the
    first, as WeasyPrint names destinations)."""
    import weasyprint

    _speed_up()
    font_config, options = None, {**weasyprint.DEFAULT_OPTIONS, "pdf_tags": tagged, "custom_metadata": True}
    if css is not None:
        stylesheet, font_config, warnings = parsed_stylesheet(css)
        renderlog.replay(list(warnings))
        options["stylesheets"] = [stylesheet]
    out = io.BytesIO()
    threshold = gc.get_threshold()
    gc.set_threshold(*RENDER_GC_THRESHOLD)
    try:
        # What HTML.write_pdf does, in two steps. No pdf_identifier: pydyf would serialise every
        # object a second time to hash it (a third of the render time); the file is reproducible
        # without one.
        rendered = weasyprint.HTML(string=document, url_fetcher=url_fetcher(), base_url="about:blank").render(
            font_config, None, None, **options)
        if laid_out is not None:
            anchors: dict[str, int] = {}
            for number, page in enumerate(rendered.pages):
                for name in page.anchors:
                    anchors.setdefault(name, number)
            laid_out(len(rendered.pages), anchors)
        rendered.write_pdf(out, 1, open_with_bookmarks, **options)  # every key a default option's
    finally:
        gc.set_threshold(*threshold)
    if _speed_up():
        from . import weasyprint_speedups

        weasyprint_speedups.save()
    return out.getvalue()


def whole_task(corpus: Corpus, mode: str, paper: str, data: dict) -> pdfparts.Task:
    """A PDF laid out as one document: the quiz, the cheat sheet (the handout goes in parts)."""
    document = keep_spaces(html.document(corpus, mode, data=data, styled=False))
    return document, True, stylesheets(paper)[0]


def render_whole(corpus: Corpus, mode: str, paper: str = "a4", data: dict | None = None) -> bytes:
    """One PDF laid out as one document, uncached (for the handout: what its parts must equal)."""
    data, warnings = pdfparts.render_task(whole_task(corpus, mode, paper, data or html.view(corpus, for_print=True)))
    renderlog.replay(warnings)
    return data


def render_with_warnings(corpus: Corpus, paper: str = "a4", modes: tuple[str, ...] = MODES,
                         run: pdfparts.Runner = pdfparts.serial) -> dict[str, pdfparts.Result]:
    """The three PDFs (or some of them) with the warnings of each: every document (the quiz, the
    cheat sheet, the handout's parts) laid out by `run`, the big ones first, then the handout's
    numbered contents and footers, then the handout joined."""
    data = html.view(corpus, for_print=True)
    whole = [mode for mode in modes if mode != "handout"]
    handout = None

    def first() -> Iterator[pdfparts.Task]:
        nonlocal handout
        for mode in whole:
            yield whole_task(corpus, mode, paper, data)
        if "handout" in modes:  # its parts are made while the workers lay out the documents above
            handout = pdfparts.Handout(corpus, data, stylesheets(paper))
            body = handout.body()
            yield from body
            if hasattr(run, "once_laid_out"):  # the contents, as soon as the pages they number are laid out
                run.once_laid_out(body, lambda reported: handout.finish_early(body, reported))

    results = pdfparts.remembered(first(), run)
    files = {f"{corpus.meta.slug}-{mode}.pdf": result for mode, result in zip(whole, results)}
    if handout is not None:
        body = results[len(whole):]
        files[f"{corpus.meta.slug}-handout.pdf"] = handout.join(body, pdfparts.remembered(handout.finish(body), run))
    return {name: files[name] for name in (f"{corpus.meta.slug}-{mode}.pdf" for mode in modes)}


def render(corpus: Corpus, paper: str = "a4", modes: tuple[str, ...] = MODES,
           run: pdfparts.Runner = pdfparts.serial) -> dict[str, bytes]:
    """The three PDFs (or some of them); their warnings are logged again here, for renderlog."""
    files = {}
    for name, (data, warnings) in render_with_warnings(corpus, paper, modes, run).items():
        renderlog.replay(warnings)
        files[name] = data
    return files
