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

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from schema import Corpus, cache

from . import html, renderlog
from .freshness import code_version
from .linebreaks import keep_spaces
from .templating import html_env

if TYPE_CHECKING:
    from .pdfjoin import Layout

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
# A runner may also have `once_laid_out(tasks, make)`: once those of `tasks` it is laying out have
# their pages laid out (before they are drawn and written), call make({index in tasks: Layout})
# and lay out the tasks it returns at once, giving their results when they are asked for
# (pdf.render_with_warnings makes the numbered contents and the footers that way, while the
# edited part is still being written; build._pool_runner has it).

_ID = re.compile(r'\sid="([^"]+)"')
_LOCAL_HREF = re.compile(r'(\shref=")#([^"]+)"')


def render_task(task: Task) -> Result:
    """One document to PDF bytes with the warnings WeasyPrint logged (runs in a worker process)."""
    from .pdf import render_pdf
    from .workers import report_layout

    document, tagged, css = task
    with renderlog.collected() as warnings:
        data = render_pdf(document, tagged=tagged, css=css,
                          laid_out=lambda pages, anchors: report_layout(document, pages, anchors))
    return data, warnings


def serial(tasks: Iterable[Task]) -> list[Result]:
    return [render_task(task) for task in tasks]


def _key(task: Task) -> str:
    return cache.key(AREA, code_version(), task[0], str(task[1]), task[2])


def laid_out_before(task: Task) -> bool:
    """Whether `remembered` has this document's result (without reading it)."""
    key = _key(task)
    return cache.exists(AREA, key) and cache.exists(AREA, key + ".warnings")


def remembered(tasks: Iterable[Task], run: Runner) -> list[Result]:
    """Results of `tasks`, laying out (with `run`, as they come) only those not rendered before
    with the same code; a document's warnings are remembered with it and reported again."""
    results: dict[int, Result] = {}
    keys: list[str] = []

    def missing() -> Iterable[Task]:
        for i, task in enumerate(tasks):
            keys.append(_key(task))
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


def part_layout(data: bytes) -> Layout:
    """pdfjoin.layout of a rendered document, remembered by its bytes (after an edit, reading
    every part again took a quarter of a second)."""
    from .pdfjoin import Layout, layout

    digest = cache.key(AREA, "layout", code_version(), hashlib.sha256(data).hexdigest())
    saved = cache.read_bytes(AREA, digest)
    if saved is not None:
        try:
            pages, anchors, adopted, headed = json.loads(saved)
            return Layout(int(pages), {str(name): int(page) for name, page in anchors.items()},
                          *(tuple((int(number), int(generation)) for number, generation in objgens)
                            for objgens in (adopted, headed)))
        except (ValueError, TypeError, AttributeError):
            pass  # damaged: read the document again
    found = layout(data)
    cache.write(AREA, digest, json.dumps([found.pages, found.anchors, found.adopted, found.headed]))
    return found


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

    def _footers(self, total: int) -> Task:
        footers = html_env().get_template("html/page-footers.html.j2").render(
            language=self.corpus.meta.language, total=total)
        return footers, False, self.footers_css

    def _numbered(self, layouts: list[Layout]) -> list[Task]:
        """The front matter with its page numbers and the footers, from the body's layouts."""
        start = layouts[0].pages
        numbers: dict[str, int] = {}
        for found in layouts[1:]:
            numbers.update({name: start + page + 1 for name, page in found.anchors.items()})
            start += found.pages
        return [self._front(numbers), self._footers(start)]

    def finish(self, body: list[Result]) -> list[Task]:
        """From the body's layouts: the front matter with its page numbers, and the footers."""
        self.layouts = [part_layout(data) for data, _ in body]
        self.front_pages = self.layouts[0].pages
        return self._numbered(self.layouts)

    def finish_early(self, body: list[Task], reported: dict[int, Layout]) -> list[Task]:
        """What finish() will return (those not laid out before), from the layouts the workers
        `reported` for the parts being laid out (by their index in `body`) and the remembered
        layouts of the others: sent while the edited part is still being written."""
        layouts = []
        for i, task in enumerate(body):
            if i in reported:
                layouts.append(reported[i])
                continue
            data = cache.read_bytes(AREA, _key(task))
            if data is None:
                return []  # forgotten since: finish() numbers the contents once it is laid out again
            layouts.append(part_layout(data))
        return [task for task in self._numbered(layouts) if not laid_out_before(task)]

    def join(self, body: list[Result], finished: list[Result]) -> Result:
        """The joined handout and its warnings (each once: the parts share their stylesheet)."""
        from .pdfjoin import join

        (front, front_warnings), (footers, footer_warnings) = finished
        front_layout = part_layout(front)
        if front_layout.pages != self.front_pages:
            raise RuntimeError("the contents changed length with their page numbers")
        joined = join([front] + [data for data, _ in body[1:]], [front_layout, *self.layouts[1:]], footers, XREF)
        warnings = front_warnings + [w for _, found in body[1:] for w in found] + footer_warnings
        return joined, list(dict.fromkeys(warnings))
