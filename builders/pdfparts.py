"""The handout in parts: the front matter (cover and contents), each section, the references,
laid out by WeasyPrint one by one (in parallel, and remembered by their HTML, so an edit lays out
only its own section again), then joined into one PDF with page numbers and footers (pdfjoin).

Parts are cut where the whole document has a forced page break (every section and the
references start a page), so each part is laid out exactly as in the whole document; what
crosses parts is put back after layout: page numbers in the contents (a second, small render of
the front matter), "Page N of M" footers (drawn over the joined pages from one more small
document), links between parts, the outline, named destinations and the structure tree.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable

from schema import Corpus, cache

from . import html, renderlog
from .freshness import code_version
from .linebreaks import keep_spaces
from .templating import html_env

AREA = "pdf-parts"
KEEP_BYTES = 512 * 2**20  # the laid-out documents kept under .cache/pdf-parts/, the least recently used go first
XREF = "studykit-part:"  # a link to an anchor in another part (see _linked_across)
# Each part leaves out the running footer ("Page N of M" needs the joined page count), and the
# contents take their page numbers from the parts' layouts instead of target-counter(), which
# cannot see into other parts.
PART_CSS = """
@page { @bottom-center { content: none; } }
.toc a::after { content: attr(data-page); }
"""
Task = tuple[str, bool, str]  # (HTML document without its CSS, tagged PDF, the stylesheet)
Result = tuple[bytes, list[renderlog.Warning_]]  # (PDF, the warnings WeasyPrint logged)
Runner = Callable[[Iterable[Task]], list[Result]]  # lays out documents; results in the tasks' order

_ID = re.compile(r'\sid="([^"]+)"')
_LOCAL_HREF = re.compile(r'(\shref=")#([^"]+)"')


def render_task(task: Task) -> Result:
    """One document to PDF bytes with the warnings WeasyPrint logged (runs in a worker process)."""
    from .pdf import render_pdf

    document, tagged, css = task
    with renderlog.collected() as warnings:
        data = render_pdf(document, tagged=tagged, css=css)
    return data, warnings


def serial(tasks: Iterable[Task]) -> list[Result]:
    return [render_task(task) for task in tasks]


def remembered(tasks: Iterable[Task], run: Runner) -> list[Result]:
    """Results of `tasks`, laying out (with `run`, as they come) only those not rendered before
    with the same code; a document's warnings are remembered with it and reported again."""
    results: dict[int, Result] = {}
    keys: list[str] = []

    def missing() -> Iterable[Task]:
        for i, task in enumerate(tasks):
            keys.append(cache.key(AREA, code_version(), task[0], str(task[1]), task[2]))
            data, warnings = cache.read_bytes(AREA, keys[i]), cache.read_bytes(AREA, keys[i] + ".warnings")
            if data is not None and warnings is not None:
                results[i] = (data, [tuple(w) for w in json.loads(warnings)])
            else:
                yield task

    fresh = run(missing())
    for i, result in zip([i for i in range(len(keys)) if i not in results], fresh):
        results[i] = result
        cache.write(AREA, keys[i] + ".warnings", json.dumps(result[1]))
        cache.write(AREA, keys[i], result[0])
    if fresh:
        cache.prune(AREA, KEEP_BYTES)
    return [results[i] for i in range(len(keys))]


def _linked_across(document: str, elsewhere: set[str]) -> str:
    """Links to an anchor of another part as `studykit-part:` URIs, which WeasyPrint keeps as
    links (it drops a link to an anchor it cannot find) and pdfjoin points at the anchor."""
    def link(match: re.Match[str]) -> str:
        name = match.group(2)
        return f'{match.group(1)}{XREF}{name}"' if name in elsewhere else match.group(0)

    return _LOCAL_HREF.sub(link, document)


class Handout:
    """The handout's parts: `body()` (the front matter with zeros for page numbers, which only
    tells its length, then the sections and references), then `finish()` with their results
    (the numbered front matter and the footers), then `join()`."""

    FRONT = {"front": True, "sections": [], "back": False}

    def __init__(self, corpus: Corpus, data: dict, stylesheets: tuple[str, str], groups: list[list[int]] | None = None) -> None:
        self.corpus, self.data = corpus, data
        self.footers_css, self.css = stylesheets  # (the quiz's, the parts'): see pdf.stylesheets
        contents = [s["anchor"] for s in data["sections"]] + [q["anchor"] for s in data["sections"]
                                                              for level in s["levels"] for q in level["questions"]]
        self.zeros = dict.fromkeys([*contents, "references"], 0)
        groups = groups or [[i] for i in range(len(data["sections"]))]  # one part per section (see benchmarks/pdf_parts.py)
        parts = [{"front": False, "sections": [data["sections"][i] for i in group], "back": False} for group in groups]
        if data["references"]:
            parts.append({"front": False, "sections": [], "back": True})
        self.parts = [self._document(part) for part in parts]
        front = self._document(self.FRONT, self.zeros)
        self.ids = [set(_ID.findall(document)) for document in [front, *self.parts]]
        self.everywhere = set().union(*self.ids)

    def _document(self, part: dict, pages: dict[str, int] | None = None) -> str:
        return keep_spaces(html.document(self.corpus, "handout", data=self.data, part=part, pages=pages, styled=False))

    def _front(self, pages: dict[str, int]) -> Task:
        return _linked_across(self._document(self.FRONT, pages), self.everywhere - self.ids[0]), True, self.css

    def body(self) -> list[Task]:
        """The front matter with zeros for page numbers (its page count does not depend on them:
        they are placed absolutely), then every other part."""
        return [self._front(self.zeros)] + [(_linked_across(document, self.everywhere - own), True, self.css)
                                            for document, own in zip(self.parts, self.ids[1:])]

    def finish(self, body: list[Result]) -> list[Task]:
        """From the body's layouts: the front matter with its page numbers, and the footers."""
        from .pdfjoin import layout

        layouts = [layout(data) for data, _ in body]
        self.front_pages = start = layouts[0].pages
        numbers: dict[str, int] = {}
        for found in layouts[1:]:
            numbers.update({name: start + page + 1 for name, page in found.anchors.items()})
            start += found.pages
        footers = html_env().get_template("html/page-footers.html.j2").render(
            language=self.corpus.meta.language, total=start)
        return [self._front(numbers), (footers, False, self.footers_css)]

    def join(self, body: list[Result], finished: list[Result]) -> Result:
        """The joined handout and its warnings (each once: the parts share their stylesheet)."""
        from .pdfjoin import join, layout

        (front, front_warnings), (footers, footer_warnings) = finished
        if layout(front).pages != self.front_pages:
            raise RuntimeError("the contents changed length with their page numbers")
        joined = join([front] + [data for data, _ in body[1:]], footers, XREF)
        warnings = front_warnings + [w for _, found in body[1:] for w in found] + footer_warnings
        return joined, list(dict.fromkeys(warnings))
