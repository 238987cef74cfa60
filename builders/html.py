"""HTML builder: one self-contained page (embedded CSS, math as inline SVG, no JavaScript).

The same document, in handout, quiz or cheatsheet mode and with print CSS, is what the PDF
builder gives to WeasyPrint.
"""
from __future__ import annotations

from markupsafe import Markup

from schema import LEVELS, Corpus, Question
from schema.fonts import css_variables
from schema.markdown import ImageFn, render_html, render_inline_html
from schema.media import media_key

from .freshness import build_date, code_version
from .templating import TEMPLATES, html_env


def html_math(tex: str, display: bool) -> str:
    """Math as inline SVG (ziamath is imported only when a page is actually rendered)."""
    from .mathsvg import html_math as render

    return render(tex, display)


def print_math(tex: str, display: bool) -> str:
    """Math as data: SVG images, for WeasyPrint (see mathsvg.print_math)."""
    from .mathsvg import print_math as render

    return render(tex, display)


def embedded_images(corpus: Corpus, q: Question) -> ImageFn:
    """Each image of a question's answer as a data: URI, so the page (and the PDFs, whose URL
    fetcher allows only data: URIs) stay self-contained; an SVG is only ever an <img>."""
    def url(src: str) -> str | None:
        media = corpus.media.get(media_key(q.file, src))
        return media.data_uri if media else None

    return url


NAME = "html"
LEVEL_TITLES = {"basic": "Basic", "intermediate": "Intermediate", "advanced": "Advanced"}
LEVEL_SHORT = {"basic": "B", "intermediate": "I", "advanced": "A"}
KICKERS = {"web": "Study guide", "handout": "Study handout", "quiz": "Quiz", "cheatsheet": "Cheat sheet"}


def outputs(slug: str) -> list[tuple[str, str]]:
    """File names this builder writes, with a description for the README."""
    return [(f"{slug}.html", "the whole guide as one offline web page (phone-friendly, light and dark)")]


def view(corpus: Corpus, for_print: bool = False) -> dict:
    """The corpus as template data: rendered HTML fields, numbers and anchors (math as inline
    SVG for the web page, as images for the PDFs)."""
    math = print_math if for_print else html_math
    cited = corpus.cited_sources()
    refs = {sid: {"anchor": f"ref-{sid}", "number": n, "citation": corpus.sources[sid].citation,
                  "link": corpus.sources[sid].link, "label": corpus.sources[sid].label}
            for n, sid in enumerate(cited, start=1)}
    memo = f"{math.__name__} {code_version()}"  # names the cached rendering of answers
    titles = {q.id: Markup(render_inline_html(q.question, math)) for q in corpus.published}
    number = 0
    sections = []
    for section in corpus.sections:
        levels = []
        for level in LEVELS:
            questions = []
            for q in section.by_level(level):
                number += 1
                questions.append({
                    "id": q.id, "anchor": f"q-{q.id}", "number": number, "title": titles[q.id],
                    "short_answer": Markup(render_html(q.short_answer, math, memo)),
                    "answer": Markup(render_html(q.answer, math, memo, embedded_images(corpus, q))),
                    "refs": [refs[sid] for sid in q.sources],
                    "related": [{"anchor": f"q-{r}", "title": titles[r]} for r in q.related],
                })
            if questions:
                levels.append({"name": level, "title": f"{LEVEL_TITLES[level]} questions",
                               "short": LEVEL_SHORT[level], "questions": questions})
        if levels:
            sections.append({"id": section.id, "anchor": f"s-{section.id}", "number": section.number,
                             "title": section.title, "levels": levels})
    return {"sections": sections, "references": [refs[sid] for sid in cited], "question_count": number}


def document(corpus: Corpus, mode: str = "web", extra_css: str = "", data: dict | None = None) -> str:
    """The HTML document in one of the modes: web, handout, quiz, cheatsheet."""
    css = css_variables() + (TEMPLATES / "html" / "style.css").read_text(encoding="utf-8") + extra_css
    return html_env().get_template("html/guide.html.j2").render(
        meta=corpus.meta, mode=mode, css=Markup(css), date=build_date(), kicker=KICKERS[mode],
        level_letters=[(name, LEVEL_SHORT[name], LEVEL_TITLES[name]) for name in LEVELS],
        doc_title=corpus.meta.title if mode in ("web", "handout") else f"{corpus.meta.title}: {KICKERS[mode]}",
        **(data or view(corpus)),
    )


def render(corpus: Corpus) -> dict[str, bytes]:
    """The web page."""
    screen = (TEMPLATES / "html" / "screen.css").read_text(encoding="utf-8")
    return {f"{corpus.meta.slug}.html": document(corpus, "web", extra_css=screen).encode("utf-8")}
