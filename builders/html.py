"""HTML builder: one self-contained page (embedded CSS, native MathML, answers folded, a few
lines of script under a Content-Security-Policy), from templates/html/web.html.j2.

The print document (templates/html/guide.html.j2), in handout, quiz or cheatsheet mode with
print CSS and math as SVG images, is what the PDF builder gives to WeasyPrint.
"""
from __future__ import annotations

import base64
import hashlib
import html
import json
import re

from markupsafe import Markup

from schema import LEVELS, Corpus, Question, cache
from schema.fonts import css_variables
from schema.markdown import ImageFn, formulas, render_html, render_inline_html
from schema.media import media_key

from .freshness import build_date, code_version
from .templating import TEMPLATES, html_env


def web_math(tex: str, display: bool) -> str:
    """Math as native MathML, drawn by KaTeX at build time (see mathml.web_math)."""
    from .mathml import web_math as render

    return render(tex, display)


def print_math(tex: str, display: bool) -> str:
    """Math as data: SVG images, for WeasyPrint (see mathsvg.print_math)."""
    from .mathsvg import print_math as render

    return render(tex, display)


def xref_link(question_id: str) -> tuple[str, str]:
    """A cross-reference `[text](#id)` as an internal link to the question (`#q-<id>`)."""
    return f'<a class="xref" href="#q-{question_id}">', "</a>"


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
    return [(f"{slug}.html", "the whole guide as one offline web page to quiz yourself on: answers folded under "
                             "numbered questions, contents beside them (folded on a phone), formulas as native "
                             "MathML, light and dark")]


# Web page only: a formula keeps the punctuation around it on its line (with the formula's first or
# last piece when the formula itself may break, see mathml.breakable and screen.css), and a table
# scrolls sideways in its own box. (KaTeX's MathML has no <span>.)
_FORMULA_AND_PUNCTUATION = re.compile(r'([(\[{‘“]*)(<span class="math"><math(?: class="breakable")?>(?:(?!</math>).)*</math></span>)'
                                      r'([.,;:!?)\]}’”…]*)', re.DOTALL)


def _kept_together(match: re.Match[str]) -> str:
    before, formula, after = match.groups()
    return f'<span class="nowrap">{before}{formula}{after}</span>' if before or after else formula


def screen_html(fragment: str) -> str:
    """Rendered Markdown made ready for the screen (see above)."""
    fragment = _FORMULA_AND_PUNCTUATION.sub(_kept_together, fragment)
    return fragment.replace("<table>", '<div class="scroll-x"><table>').replace("</table>", "</table></div>")


def all_formulas(corpus: Corpus) -> list[tuple[str, bool]]:
    """Every formula the outputs draw: those of published short and detailed answers."""
    return [f for q in corpus.published for text in (q.short_answer, q.answer) for f in remembered_formulas(text)]


def remembered_formulas(text: str) -> list[tuple[str, bool]]:
    """formulas(text), kept in .cache/formulas/ by the text and the code: a build after an edit
    parses only the edited answers again (all of them would take a second for 80 questions)."""
    digest = cache.key(code_version(), text)
    kept = cache.read("formulas", digest)
    if kept is not None:
        return [(tex, display) for tex, display in json.loads(kept)]
    found = formulas(text)
    cache.write("formulas", digest, json.dumps(found))
    return found


def view(corpus: Corpus, for_print: bool = False) -> dict:
    """The corpus as template data: rendered HTML fields, numbers and anchors (math as native
    MathML for the web page, as SVG images for the PDFs)."""
    if for_print:
        math, screen = print_math, str
    else:
        from .mathml import prepare

        # every formula in one call to KaTeX, not one call each
        prepare(all_formulas(corpus))
        math, screen = web_math, screen_html
    cited = corpus.cited_sources()
    # An arXiv id is printed once: as the link's text, left out of the citation before it.
    refs = {sid: {"anchor": f"ref-{sid}", "number": n, "citation": src.cite(arxiv=False),
                  "link": src.link, "link_text": f"arXiv:{src.arxiv}" if src.arxiv else src.link, "label": src.label}
            for n, (sid, src) in enumerate(((sid, corpus.sources[sid]) for sid in cited), start=1)}
    memo = f"{math.__name__} {code_version()}"  # names the cached rendering of answers
    titles = {q.id: Markup(screen(render_inline_html(q.question, math))) for q in corpus.published}
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
                    "short_answer": Markup(screen(render_html(q.short_answer, math, memo, xref=xref_link))),
                    "answer": Markup(screen(render_html(q.answer, math, memo, embedded_images(corpus, q), xref_link))),
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


def source_hash(text: str) -> str:
    """A CSP source naming exactly this inline script or style element's text."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


_STYLE_ATTRIBUTE = re.compile(r'<[^>]* style="([^"]*)"')
_CSP = "\x00csp\x00"  # stands for the policy until the page it describes is written


def csp(page: str, style: str, script: str) -> str:
    """The web page's Content-Security-Policy, allowing exactly what `page` uses: its own
    <script> and <style> elements by hash, the style attributes of highlighted code by hash,
    data: images if it has any; nothing else loads, no form posts, no <base>."""
    attributes = sorted({source_hash(html.unescape(value)) for value in _STYLE_ATTRIBUTE.findall(page)})
    styles = " ".join([source_hash(style), *(["'unsafe-hashes'", *attributes] if attributes else [])])
    images = " img-src data:;" if "<img " in page else ""
    return (f"default-src 'none'; script-src {source_hash(script)}; style-src {styles};{images} "
            "base-uri 'none'; form-action 'none'")


def page_script() -> str:
    """The text of the web page's one <script> element (templates/html/web.js), hashed into its policy."""
    return "\n" + (TEMPLATES / "html" / "web.js").read_text(encoding="utf-8")


def stylesheet(extra_css: str = "") -> str:
    """The CSS of a document: font stacks, style.css, then `extra_css` (screen or print)."""
    return css_variables() + (TEMPLATES / "html" / "style.css").read_text(encoding="utf-8") + extra_css


def document(corpus: Corpus, mode: str = "web", extra_css: str = "", data: dict | None = None,
             part: dict | None = None, pages: dict[str, int] | None = None, styled: bool = True) -> str:
    """The HTML document in one of the modes: web (templates/html/web.html.j2), handout, quiz,
    cheatsheet (templates/html/guide.html.j2). For the handout in parts (pdfparts), `part` picks
    what the document holds ({"front", "sections", "back"}), `pages` gives the contents its
    page numbers ({anchor: page}), and `styled=False` leaves the CSS out (WeasyPrint is given
    stylesheet(extra_css) once per process instead of parsing it again for every part)."""
    css = stylesheet(extra_css) if styled else ""
    common = {"meta": corpus.meta, "mode": mode, "date": build_date(), "kicker": KICKERS[mode],
              "level_letters": [(name, LEVEL_SHORT[name], LEVEL_TITLES[name]) for name in LEVELS],
              "doc_title": corpus.meta.title if mode in ("web", "handout") else f"{corpus.meta.title}: {KICKERS[mode]}",
              **(data or view(corpus, for_print=mode != "web"))}
    if mode != "web":
        return html_env().get_template("html/guide.html.j2").render(css=Markup(css), part=part, pages=pages, **common)
    style = "\n" + css + "\n"
    script = page_script()
    page = html_env().get_template("html/web.html.j2").render(style=Markup(style), script=Markup(script), csp=_CSP, **common)
    return page.replace(_CSP, csp(page, style, script), 1)


def render(corpus: Corpus) -> dict[str, bytes]:
    """The web page."""
    screen = (TEMPLATES / "html" / "screen.css").read_text(encoding="utf-8")
    return {f"{corpus.meta.slug}.html": document(corpus, "web", extra_css=screen).encode("utf-8")}
