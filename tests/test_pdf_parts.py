"""The handout laid out in parts and joined (builders/pdfparts.py, pdfjoin.py) is the handout laid
out as one document, as a reader sees it: pages, text, outline, links, contents numbers; one
structure tree covers every page; an edit lays out only its own part again."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from io import BytesIO
from pathlib import Path

import pikepdf
import pytest
from pypdf import PdfReader

from builders import html, pdf, pdfparts
from schema import load_corpus

from .conftest import CONTENT, TINY

PDF_NAME = "transformer-interview-handout.pdf"


# -- what a reader sees --------------------------------------------------------------------------

def page_texts(data: bytes) -> list[str]:
    """Each page's text as poppler lays it out (positions kept), and as pypdf reads the content streams."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(data)
        handle.flush()
        poppler = subprocess.run(["pdftotext", "-layout", handle.name, "-"], capture_output=True, text=True,
                                 check=True).stdout.split("\f")[:-1]
        words = subprocess.run(["pdftotext", "-bbox", handle.name, "-"], capture_output=True, text=True,
                               check=True).stdout
    pages = words.split("<page ")[1:]
    return [f"{layout}\n--- pypdf ---\n{page.extract_text()}\n--- words ---\n{boxes}"
            for layout, page, boxes in zip(poppler, PdfReader(BytesIO(data)).pages, pages, strict=True)]


def outline(reader: PdfReader) -> list[tuple]:
    found = []

    def walk(items: list, depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                found.append((depth, item.title, reader.get_destination_page_number(item), round(float(item.top), 2)))

    walk(reader.outline, 0)
    return found


def links(reader: PdfReader) -> list[tuple]:
    """Every link: its page and rectangle, and the page and height it lands on (or its URI)."""
    named = reader.named_destinations
    found = []
    for number, page in enumerate(reader.pages):
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            rect = tuple(round(float(x), 2) for x in annotation["/Rect"])
            if "/Dest" in annotation:
                dest = named[str(annotation["/Dest"])]
                found.append((number, rect, reader.get_destination_page_number(dest), round(float(dest.top), 2),
                              str(annotation.get("/Contents"))))
            else:
                found.append((number, rect, str(annotation["/A"]["/URI"]), str(annotation.get("/Contents"))))
    return found


def contents_numbers(data: bytes) -> list[tuple[str, int, int]]:
    """Each contents entry: (its text, the page number printed at its end, the page its link lands on)."""
    reader = PdfReader(BytesIO(data))
    named = reader.named_destinations
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(data)
        handle.flush()
        pages = subprocess.run(["pdftotext", "-bbox", handle.name, "-"], capture_output=True, text=True,
                               check=True).stdout.split("<page ")[1:]
    word = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')
    entries = []
    body = min(reader.get_destination_page_number(dest) for name, dest in named.items() if name.startswith("s-"))
    for number, page in enumerate(reader.pages[:body]):  # the pages before the first section
        height = float(page.mediabox.height)
        words = [(float(y1), float(x1), float(x2), float(y2), text) for x1, y1, x2, y2, text in word.findall(pages[number])]
        boxes: dict[str, list[float]] = {}  # a link is drawn as several rectangles: their union
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            if "/Dest" in annotation and str(annotation["/Dest"]).startswith(("s-", "q-", "references")):
                x1, y1, x2, y2 = (float(v) for v in annotation["/Rect"])
                box = boxes.setdefault(str(annotation["/Dest"]), [x1, y1, x1, y1])
                box[:] = [min(box[0], x1, x2), min(box[1], y1, y2), max(box[2], x1, x2), max(box[3], y1, y2)]
        for name, (x1, y1, x2, y2) in boxes.items():
            top, bottom = height - y2, height - y1  # poppler measures from the top
            inside = [(round(wy2 / 4), wx2, text) for wy1, wx1, wx2, wy2, text in words
                      if x1 <= (wx1 + wx2) / 2 <= x2 and top <= (wy1 + wy2) / 2 <= bottom]
            *title, (_, _, printed) = sorted(inside)  # the number ends the entry's last line
            entries.append((" ".join(text for *_, text in title), int(printed), reader.get_destination_page_number(named[name]) + 1))
    return entries


def structure(data: bytes) -> tuple[list[tuple], set[int], int]:
    """The structure tree in document order as (depth, role, page, alt text) and marked-content ids;
    the pages its elements are on; how many pages there are. Fails on a page reference that is not
    one of the document's pages, and on a second structure tree root."""
    with pikepdf.open(BytesIO(data)) as document:
        pages = {page.objgen: i for i, page in enumerate(document.pages)}
        roots = [o for o in document.objects if isinstance(o, pikepdf.Dictionary) and o.get("/Type") == pikepdf.Name.StructTreeRoot]
        assert len(roots) == 1
        root = document.Root.StructTreeRoot
        found, on = [("root", sorted(root.keys()), sorted(root.K[0].keys()))], set()
        stack = [(document.Root.StructTreeRoot.K[0], 0)]
        while stack:
            element, depth = stack.pop()
            if element.get("/Type") == pikepdf.Name.OBJR:
                found.append((depth, "OBJR", pages[element.Pg.objgen]))
                continue
            page = pages[element.Pg.objgen] if "/Pg" in element else None  # KeyError: not a page of this PDF
            on.add(page)
            found.append((depth, str(element.S), page, str(element.get("/Alt", ""))))
            kids = element.get("/K")
            for kid in reversed(list(kids) if isinstance(kids, pikepdf.Array) else []):
                if isinstance(kid, pikepdf.Dictionary):
                    stack.append((kid, depth + 1))
                else:
                    found.append((depth + 1, "MCID", int(kid)))
        parent_tree = document.Root.StructTreeRoot.ParentTree.Nums
        keys = [int(parent_tree[i]) for i in range(0, len(parent_tree), 2)]
        assert keys == sorted(keys) and len(set(keys)) == len(keys)
        assert [int(page.StructParents) for page in document.pages] == list(range(len(document.pages)))
        for page in document.pages:  # every marked content id of a page has its element
            ids = {int(m) for m in re.findall(rb"/MCID (\d+)", b"".join(s.read_bytes() for s in _streams(page)))}
            mapped = parent_tree[keys.index(int(page.StructParents)) * 2 + 1]
            assert ids == set(range(len(mapped))), page.index
        return found, on - {None}, len(document.pages)


def _streams(page: pikepdf.Page) -> list:
    contents = page.obj.Contents
    return list(contents) if isinstance(contents, pikepdf.Array) else [contents]


def assert_same_for_a_reader(joined: bytes, whole: bytes) -> None:
    a, b = PdfReader(BytesIO(joined)), PdfReader(BytesIO(whole))
    assert len(a.pages) == len(b.pages)
    assert page_texts(joined) == page_texts(whole)
    assert outline(a) == outline(b) and outline(a)
    assert links(a) == links(b)
    assert a.metadata == b.metadata
    catalog_a, catalog_b = a.trailer["/Root"], b.trailer["/Root"]
    assert sorted(catalog_a.keys()) == sorted(catalog_b.keys())
    for key in ("/Lang", "/PageMode", "/MarkInfo", "/ViewerPreferences"):
        assert catalog_a[key] == catalog_b[key], key
    assert not any(pdfparts.XREF in str(link) for link in links(a))
    numbers = contents_numbers(joined)
    assert numbers and all(printed == target for _, printed, target in numbers), numbers
    assert numbers == contents_numbers(whole)
    tree_a, on_a, count = structure(joined)
    tree_b, _, _ = structure(whole)
    assert tree_a == tree_b
    assert on_a == set(range(count))  # the structure tree covers every page
    assert any(role == "/Figure" and alt for _, role, _, alt in (t for t in tree_a if len(t) == 4))
    assert any(role == "/H2" for _, role, *_ in tree_a)


# -- the bundled guide -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def bundled_whole(bundled_pdfs):
    corpus, files, _ = bundled_pdfs
    return pdf.render_whole(corpus, "handout"), files[PDF_NAME]


def test_the_joined_handout_is_the_whole_handout_for_a_reader(bundled_whole):
    whole, joined = bundled_whole
    assert_same_for_a_reader(joined, whole)


def test_pages_look_the_same(bundled_whole, tmp_path):
    """Rasterised pages are identical (the footers drawn over the parts hide nothing)."""
    whole, joined = bundled_whole
    for name, data in (("whole", whole), ("joined", joined)):
        (tmp_path / f"{name}.pdf").write_bytes(data)
        subprocess.run(["pdftoppm", "-r", "30", "-gray", str(tmp_path / f"{name}.pdf"), str(tmp_path / name)], check=True)
    pages = sorted(tmp_path.glob("whole-*.pgm"))
    assert len(pages) == len(PdfReader(BytesIO(whole)).pages)
    for page in pages:
        assert page.read_bytes() == (tmp_path / page.name.replace("whole", "joined")).read_bytes(), page.name


# -- empty and single-question sections, a table in two parts, links across parts -------------------

SINGLE = """---
id: single
question: What does a one-question section hold?
level: advanced
short_answer: One answer, linked to [the first question](#first).
sources: [vaswani2017]
related: [first, second]
---
A table, whose header cells get ids in the structure tree:

| $h$ | $d_k$ |
|---|---|
| 8 | 64 |

See also [the second question](#second).
"""
TABLE = """---
id: tabled
question: Which table comes first?
level: basic
short_answer: Another table, in another part.
sources: [vaswani2017]
---
| a | b |
|---|---|
| 1 | 2 |
"""


@pytest.fixture(scope="module")
def sections_corpus(tmp_path_factory) -> Path:
    content = tmp_path_factory.mktemp("sections") / "content"
    shutil.copytree(TINY, content)
    (content / "01-basics" / "04-tabled.md").write_text(TABLE, encoding="utf-8")
    for folder, ident, title in (("02-empty", "empty", "Nothing yet"), ("03-single", "single", "One question"),
                                 ("04-twin", "twin", "Its twin")):
        (content / folder).mkdir()
        (content / folder / "section.yaml").write_text(f"id: {ident}\ntitle: {title}\n", encoding="utf-8")
    (content / "02-empty" / "01-draft.md").write_text("---\nid: draft\nquestion: Not yet?\nlevel: basic\nstatus: draft\n---\n",
                                                      encoding="utf-8")
    (content / "03-single" / "01-single.md").write_text(SINGLE, encoding="utf-8")
    # the same shape again: its table's structure elements get the same object numbers in its part
    (content / "04-twin" / "01-twin.md").write_text(SINGLE.replace("id: single", "id: twin").replace("What does a one", "What else does a one"), encoding="utf-8")
    return content


def test_sections_empty_and_single_join_as_laid_out_whole(sections_corpus, tmp_path, monkeypatch):
    monkeypatch.setenv("STUDYKIT_CACHE", str(tmp_path / "cache"))
    corpus = load_corpus(sections_corpus)
    assert [len(s.by_level("advanced")) + len(s.by_level("basic")) for s in corpus.sections][1:] == [0, 1, 1]
    joined = pdf.render(corpus, modes=("handout",))["tiny-handout.pdf"]
    whole = pdf.render_whole(corpus, "handout")
    assert_same_for_a_reader(joined, whole)
    with pikepdf.open(BytesIO(joined)) as document:
        headers = [str(o.ID) for o in document.objects if isinstance(o, pikepdf.Dictionary) and "/ID" in o and o.get("/S") == pikepdf.Name.TH]
    assert len(headers) == 6 and len(set(headers)) == 6, headers  # three tables, in three parts: ids unique


# -- only what changed is laid out again ----------------------------------------------------------

class Counting:
    """A runner that records the documents it lays out."""

    def __init__(self) -> None:
        self.laid_out: list[str] = []

    def __call__(self, tasks):  # noqa: ANN001, ANN204
        tasks = list(tasks)
        self.laid_out += [task[0] for task in tasks]
        return pdfparts.serial(tasks)


def _part_titles(documents: list[str]) -> list[str]:
    """Which part each document is: the section titles it holds, 'front', 'footers', 'whole'."""
    names = []
    for document in documents:
        if 'class="footer-page"' in document:
            names.append("footers")
        elif '<nav class="toc"' in document:
            names.append("front")
        elif '<header class="cover">' in document:
            names.append("whole")
        else:
            names.append(" ".join(re.findall(r'<h2 class="section-title">([^<]*)</h2>', document)))
    return names


def test_an_edit_lays_out_only_its_own_part(sections_corpus, tmp_path, monkeypatch):
    monkeypatch.setenv("STUDYKIT_CACHE", str(tmp_path / "cache"))
    content = tmp_path / "content"
    shutil.copytree(sections_corpus, content)
    first = Counting()
    before = pdf.render(load_corpus(content), run=first)
    assert sorted(_part_titles(first.laid_out)) == sorted(["whole", "whole", "front", "1. Basics &amp; More",
                                                           "3. One question", "4. Its twin", "References", "front", "footers"])
    again = Counting()
    assert pdf.render(load_corpus(content), run=again) == before and again.laid_out == []

    single = content / "03-single" / "01-single.md"
    single.write_text(single.read_text(encoding="utf-8") + "\nOne more sentence in the detailed answer.\n", encoding="utf-8")
    edit = Counting()
    after = pdf.render(load_corpus(content), run=edit)
    # the quiz and cheat sheet show no detailed answer; the page count did not change, so the
    # contents and the footers are the same documents as before
    assert _part_titles(edit.laid_out) == ["3. One question"]
    assert after["tiny-handout.pdf"] != before["tiny-handout.pdf"]
    assert b"One more sentence" not in before["tiny-handout.pdf"]
    assert "One more sentence" in "".join(page_texts(after["tiny-handout.pdf"]))

    single.write_text(single.read_text(encoding="utf-8") + "\n" + "A much longer answer. " * 400 + "\n", encoding="utf-8")
    longer = Counting()
    grown = pdf.render(load_corpus(content), run=longer)["tiny-handout.pdf"]
    # more pages: the contents (their numbers) and the footers (the page count) follow
    assert sorted(_part_titles(longer.laid_out)) == ["3. One question", "footers", "front"]
    assert_same_for_a_reader(grown, pdf.render_whole(load_corpus(content), "handout"))


def test_the_contents_and_footers_go_to_a_worker_once_the_edited_part_is_laid_out(sections_corpus, tmp_path, monkeypatch):
    """With the workers, a build sends the numbered contents and the footers as soon as a worker
    reports the edited part's layout (while it still draws and writes that part): each is laid
    out once, and the handout is the whole-document one for a reader."""
    import threading
    import time

    from builders import build, workers

    monkeypatch.setenv("STUDYKIT_CACHE", str(tmp_path / "cache"))
    content = tmp_path / "content"
    shutil.copytree(sections_corpus, content)
    before = pdf.render(load_corpus(content), modes=("handout",))["tiny-handout.pdf"]
    single = content / "03-single" / "01-single.md"
    single.write_text(single.read_text(encoding="utf-8") + "\n" + "A longer answer. " * 150 + "\n", encoding="utf-8")
    pool = workers.start_workers(2, "a4")
    submitted = []
    submit = pool.submit
    monkeypatch.setattr(pool, "submit", lambda fn, *args: args and submitted.append(
        (_part_titles([args[0][0]])[0], threading.current_thread().name)) or submit(fn, *args))
    finish = pdfparts.Handout.finish

    def finish_late(self, body):  # noqa: ANN001, ANN202 - this process slower than the report, whatever the timing
        deadline = time.monotonic() + 30
        while len(submitted) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        return finish(self, body)

    monkeypatch.setattr(pdfparts.Handout, "finish", finish_late)
    try:
        grown = pdf.render(load_corpus(content), modes=("handout",), run=build._pool_runner(pool, []))["tiny-handout.pdf"]  # noqa: SLF001
    finally:
        workers.stop_workers(pool)
    assert len(PdfReader(BytesIO(grown)).pages) > len(PdfReader(BytesIO(before)).pages)
    assert submitted == [("3. One question", "MainThread"), ("front", "layouts"), ("footers", "layouts")]
    assert_same_for_a_reader(grown, pdf.render_whole(load_corpus(content), "handout"))


def test_render_pdf_in_two_steps_writes_what_weasyprint_writes_in_one():
    """render_pdf lays out, reports, then writes (HTML.render, Document.write_pdf): the bytes are
    those of HTML.write_pdf with the same options, with a stylesheet and tags, and without."""
    import weasyprint

    document = '<html lang="en"><h1 id="a">A $x$</h1><p>Text <a href="#a">back</a>.</p><table><tr><th>h</th></tr></table></html>'
    sheet, font_config, _ = pdf.parsed_stylesheet(pdf.stylesheets("a4")[1])
    for tagged, styled in ((True, True), (False, False)):
        options = {"stylesheets": [sheet], "font_config": font_config} if styled else {}
        one_step = weasyprint.HTML(string=document, url_fetcher=pdf.url_fetcher(), base_url="about:blank").write_pdf(
            finisher=pdf.open_with_bookmarks, pdf_tags=tagged, custom_metadata=True, **options)
        assert pdf.render_pdf(document, tagged=tagged, css=pdf.stylesheets("a4")[1] if styled else None) == one_step


def test_the_layout_reported_before_writing_is_the_written_one():
    """render_pdf's report (pages laid out, not yet drawn) gives what the PDF's destinations say,
    and asking for it changes no byte."""
    document = ('<html lang="en"><h1 id="a">A</h1><p id="b" style="break-before: page">B <span id="c">C</span></p>'
                '<p id="d" style="break-before: page">D</p></html>')
    reported = []
    data = pdf.render_pdf(document, laid_out=lambda pages, anchors: reported.append((pages, anchors)))
    assert data == pdf.render_pdf(document)
    from builders.pdfjoin import layout
    assert reported == [(3, {"a": 0, "b": 1, "c": 1, "d": 2})] == [(layout(data).pages, layout(data).anchors)]


def test_warnings_of_a_remembered_part_are_reported_again(sections_corpus, tmp_path, monkeypatch):
    monkeypatch.setenv("STUDYKIT_CACHE", str(tmp_path / "cache"))
    real = pdf.print_css
    monkeypatch.setattr(pdf, "print_css", lambda paper: real(paper) + "\nbody { frobnicate: 1; }\n")
    corpus = load_corpus(sections_corpus)
    first = pdf.render_with_warnings(corpus, modes=("handout",))
    second = pdf.render_with_warnings(corpus, modes=("handout",), run=Counting())
    assert first == second
    (_, warnings), = second.values()
    assert len([m for _, m in warnings if "frobnicate" in m]) == 1, warnings  # once, not once per part


def test_a_layout_is_read_once_then_remembered_by_the_bytes(tmp_path, monkeypatch):
    """A part's page count and anchors are read from its PDF once, then come from the cache,
    equal to reading it; other bytes are read, and so is a part whose entry is damaged."""
    from builders import pdfjoin

    monkeypatch.setenv("STUDYKIT_CACHE", str(tmp_path))
    read = []
    real = pdfjoin.layout
    monkeypatch.setattr(pdfjoin, "layout", lambda data: read.append(data) or real(data))
    two = pdf.render_pdf('<html lang="en"><h1 id="a">A</h1><p id="b" style="break-before: page">B</p></html>')
    one = pdf.render_pdf('<html lang="en"><h1 id="c">C</h1></html>')
    found = pdfparts.part_layout(two)
    assert (found.pages, found.anchors) == (2, {"a": 0, "b": 1}) and found.adopted and len(read) == 1
    assert pdfparts.part_layout(two) == found == real(two) and len(read) == 1
    assert pdfparts.part_layout(one) == real(one) and len(read) == 2
    for entry in (tmp_path / pdfparts.AREA).glob("*/*"):
        entry.write_text('[2, {"a": ', encoding="utf-8")
    assert pdfparts.part_layout(two) == found and len(read) == 3
    assert pdfparts.part_layout(two) == found and len(read) == 3


def test_parts_are_cut_where_the_whole_document_breaks_pages():
    """Every part starts where print.css forces a page break, or the parts would lay out differently."""
    css = (Path(html.__file__).resolve().parent.parent / "templates" / "html" / "print.css").read_text(encoding="utf-8")
    assert ".section { break-before: page; }" in css
    assert ".references { break-before: page; }" in css
    assert ".toc { break-after: page; }" in css


def test_the_parts_cache_keeps_what_was_used_last(tmp_path, monkeypatch):
    from schema import cache

    monkeypatch.setenv("STUDYKIT_CACHE", str(tmp_path))
    for i, name in enumerate(["old", "used", "new"]):
        cache.write("area", cache.key(name), b"x" * 1000)
        stamp = 1_700_000_000 + i
        os.utime(tmp_path / "area" / cache.key(name)[:2] / cache.key(name), (stamp, stamp))
    assert cache.read_bytes("area", cache.key("old")) == b"x" * 1000  # reading it makes it the latest used
    cache.prune("area", 2000)
    assert cache.read_bytes("area", cache.key("old")) is not None
    assert cache.read_bytes("area", cache.key("used")) is None
    assert cache.read_bytes("area", cache.key("new")) is not None


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_build_leaves_no_unpacked_fonts_behind(tiny, tmp_path, jobs):
    """WeasyPrint unpacks the bundled fonts into a temporary folder per parsed stylesheet; the
    build (and each worker) deletes them when it ends."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {"PATH": "/usr/bin:/bin", "TMPDIR": str(temporary), "STUDYKIT_CACHE": str(tmp_path / "cache")}
    result = subprocess.run([str(Path(sys.executable).parent / "studykit"), "build", "pdf", "-j", jobs, "--content", str(tiny),
                             "--out", str(tmp_path / "out")], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "tiny-handout.pdf").is_file()
    assert list(temporary.glob("weasyprint-*")) == []
    assert "Exception ignored" not in result.stderr
