"""The WeasyPrint speed-ups change nothing but time: the same operators, vertices and PDF bytes."""
from __future__ import annotations

import base64
import contextlib
import random
import re
from collections import deque
from xml.etree import ElementTree

import pydyf
import pytest
from weasyprint import svg as weasy_svg
from weasyprint.svg.utils import PointError, size

from builders import mathsvg, pdf, weasyprint_speedups
from builders.build import all_formulas
from schema import cache, load_corpus

from .conftest import CONTENT

# Paths of the simple kind, including what SVG allows but ziafont does not write (repeated
# arguments, no move first, numbers run together, several subpaths), and paths the fast path
# must leave to WeasyPrint (relative commands, arcs, exponents, commas, stray numbers).
SIMPLE = ["", "M1 2L3 4Z", "M1 2 3 4 5 6Z", "M0 0Q1 1 2 2 3 3 4 4Z", "Q1 1 2 2", "L1 2", "Z", "ZZ",
          "M1 2ZM3 4L5 6Z", "M-1.5-2L3-4Z", " M 1 2 L 3 4 Z ", "M1 2ZL3 4Z", "M1 2M3 4", "M1 2Q3 4 5 6ZQ7 8 9 10Z",
          "M0.3 -0.7L0.3 -0.7Q-0.1 2.9 1 1L-3 -3.25Z"]
OTHER = ["m1 2l3 4z", "M1e2 3Z", "M1 2A1 1 0 0 1 3 4", "M1 2L3", "M1,2L3,4", "M1.5.5 2Z", "M1 2C3 4 5 6 7 8",
         "M1 2H3V4Z", "M+1 2Z", "M1 2T3 4"]


class Node(dict):
    """What a path function reads of an SVG node: its attributes and the vertices it fills."""
    def __init__(self, d: str) -> None:
        super().__init__(d=d)
        self.vertices = deque()


class Drawing:
    """What a path function reads of the SVG being drawn: the stream and length resolution."""
    def __init__(self) -> None:
        self.stream = pydyf.Stream()

    def point(self, x, y, font_size):  # noqa: ANN001, ANN201 - as weasyprint.svg.SVG.point
        return size(x, font_size, 100), size(y, font_size, 100)


def drawn(function, d: str) -> tuple[bytes, list]:  # noqa: ANN001
    """The content stream as pydyf writes it (its items joined by newlines) and the vertices."""
    drawing, node = Drawing(), Node(d)
    with contextlib.suppress(PointError):  # as weasyprint.svg.SVG.draw_node: what was drawn stays
        function(drawing, node, 12)
    return b"\n".join(drawing.stream.stream), list(node.vertices)


def random_paths(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)

    def number() -> str:
        value = rng.choice([rng.randint(-99, 99), round(rng.uniform(-50, 50), rng.randint(0, 3))])
        return str(value)

    paths = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(0, 12)):
            letter = rng.choice("MLQZ")
            arity = {"M": 2, "L": 2, "Q": 4, "Z": 0}[letter] * rng.choice([1, 1, 2])
            parts.append(letter + rng.choice(["", " "]) + " ".join(number() for _ in range(arity)))
        paths.append(rng.choice(["", " "]).join(parts))
    return paths


def formula_paths() -> list[str]:
    """Every distinct glyph path of the bundled guide's formulas, as the PDFs draw them."""
    formulas = sorted({(tex.strip(), display) for tex, display in all_formulas(load_corpus(CONTENT))})
    return sorted({d for tex, display in formulas for d in re.findall(r' d="([^"]*)"', mathsvg.formula_svg(tex, display))})


def test_the_fast_path_takes_ziafont_paths_and_leaves_the_rest():
    assert weasy_svg.TAGS["path"] is weasyprint_speedups.ORIGINAL_PATH or weasyprint_speedups.install()
    paths = formula_paths()
    assert len(paths) > 8000
    assert all(weasyprint_speedups._commands(d) is not None for d in paths + SIMPLE)
    assert all(weasyprint_speedups._commands(d) is None for d in OTHER + ["Z1"])  # (WeasyPrint 70 loops for ever on "Z1")


@pytest.mark.parametrize("source", ["formulas", "hand-made", "random"])
def test_same_operators_and_vertices_as_weasyprint(source):
    paths = {"formulas": formula_paths, "hand-made": lambda: SIMPLE + OTHER, "random": lambda: random_paths(3000)}[source]()
    expected = {d: drawn(weasyprint_speedups.ORIGINAL_PATH, d) for d in paths}
    different = [d for d in paths if drawn(weasyprint_speedups.path, d) != expected[d]]
    assert not different
    again = [d for d in paths if drawn(weasyprint_speedups.path, d) != expected[d]]
    assert not again  # each path now remembered: the same once more


def test_same_pdf_bytes_as_weasyprint_unpatched(monkeypatch):
    """A document with over a hundred formulas of the guide, each twice, inline and in a table."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    formulas = sorted({(tex.strip(), display) for tex, display in all_formulas(load_corpus(CONTENT))})[::8]
    math = "".join(mathsvg.print_math(tex, display) + " and " for tex, display in formulas)
    document = f'<html lang="en"><body><p>Formulas: {math}</p><table><tr><td>{math}</td></tr></table></body></html>'
    css = pdf.stylesheets("a4")[0]
    pdf.render_pdf("<p>first</p>", css=css)  # installs the speed-up
    assert weasy_svg.TAGS["path"] is weasyprint_speedups.path
    fast = pdf.render_pdf(document, css=css)
    weasyprint_speedups.uninstall()
    try:
        shipped = pdf.render_pdf(document, css=css)
    finally:
        assert weasyprint_speedups.install()
    assert len(formulas) > 100
    assert fast == shipped


def test_other_weasyprint_versions_left_alone(monkeypatch):
    weasyprint_speedups.uninstall()
    try:
        monkeypatch.setattr(cache, "installed_versions", lambda *names: "weasyprint=71.0")
        assert not weasyprint_speedups.install()
        assert weasy_svg.TAGS["path"] is weasyprint_speedups.ORIGINAL_PATH
    finally:
        monkeypatch.undo()
        assert weasyprint_speedups.install()


CLIPPED = ('<svg xmlns="http://www.w3.org/2000/svg" width="12" height="12" viewBox="0 0 12 12"><defs><clipPath id="c">'
           '<rect width="6" height="6"/></clipPath></defs><path clip-path="url(#c)" d="M0 0L12 0L12 12Z"/></svg>')
FADED = ('<svg xmlns="http://www.w3.org/2000/svg" width="12" height="12" viewBox="0 0 12 12">'
         '<path opacity="0.5" fill="#c00" d="M0 0L12 0L12 12Z"/><rect x="2" y="2" width="3" height="3" fill-opacity="0.25"/></svg>')


def image(svg: str) -> str:
    return f'<img src="data:image/svg+xml;base64,{base64.b64encode(svg.encode()).decode()}" alt="">'


def test_drawings_repeated_from_memory_and_from_disk_give_the_same_bytes(monkeypatch, tmp_path):
    """Formulas after black and after coloured text (the graphics state a drawing starts from),
    in a faded block (its own resources) and a table, and images that are never repeated (a clip
    path, opacity); drawn by WeasyPrint as shipped, then with the speed-ups: remembered in this
    process, then read back from what an earlier process saved."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    monkeypatch.setenv("STUDYKIT_CACHE", str(tmp_path / "cache"))
    formulas = sorted({(tex.strip(), display) for tex, display in all_formulas(load_corpus(CONTENT))})[::16]
    math = "".join(f'{mathsvg.print_math(tex, display)} <span style="color: #c00">red</span> '
                   f'{mathsvg.print_math(tex, display)} and ' for tex, display in formulas)
    others = image(CLIPPED) + image(FADED)
    document = (f'<html lang="en"><body><p>{math}{others}</p><div style="opacity: 0.6; color: #06c">{math}{others}</div>'
                f'<table><tr><td>{math}</td></tr></table></body></html>')
    css = pdf.stylesheets("a4")[0]
    weasyprint_speedups.uninstall()
    try:
        shipped = pdf.render_pdf(document, css=css)
    finally:
        assert weasyprint_speedups.install()
    stored: list[str] = []
    remember = weasyprint_speedups._remember
    monkeypatch.setattr(weasyprint_speedups, "_remember", lambda key, drawing, new: (stored.append(key) if new else None,
                                                                                    remember(key, drawing, new)))
    weasyprint_speedups.forget()
    weasyprint_speedups.remember_saved("test-version")
    first = pdf.render_pdf(document, css=css)  # saves what it drew
    drawn_first = len(stored)
    again = pdf.render_pdf(document, css=css)  # from this process's memory
    weasyprint_speedups.forget()  # as a new process
    weasyprint_speedups.remember_saved("test-version")
    from_disk = pdf.render_pdf(document, css=css)
    weasyprint_speedups.forget()
    weasyprint_speedups.remember_saved("another-version")  # saved drawings of other code are not used
    other_code = pdf.render_pdf(document, css=css)
    weasyprint_speedups.forget()
    assert first == again == from_disk == other_code == shipped
    assert drawn_first > len(formulas)  # each formula at least once, and again after a colour
    assert len(stored) == 2 * drawn_first  # none drawn again, in this process nor after reading them back; all again for other code


def test_what_a_drawing_may_not_be_repeated_for(tmp_path, monkeypatch):
    monkeypatch.setenv("STUDYKIT_CACHE", str(tmp_path))

    class Image:
        def __init__(self, svg: str) -> None:
            self._svg = type("SVG", (), {"tree": type("Tree", (), {"_etree_node": ElementTree.fromstring(svg)})})()

    formula = mathsvg.formula_svg(r"\sqrt{d_k}", False)
    assert weasyprint_speedups._plain(Image(formula))
    assert weasyprint_speedups._plain(Image(mathsvg.formula_svg(r"M_{\text{mask}} + \text{clip}", False)))  # words in the label
    for svg in (CLIPPED, FADED, formula.replace("<path", '<path style="opacity: 0.5"', 1),
                formula.replace("<path", '<use href="#a"/><path', 1), formula.replace("<path", '<text>x</text><path', 1),
                formula.replace("<path", '<path fill="url(#g)"', 1), formula.replace("<path", '<path fill-opacity="0.5"', 1)):
        assert not weasyprint_speedups._plain(Image(svg))
    assert weasyprint_speedups._names([b"q", b"/a1.0 gs", b"/A0.5 gs", b"1 0 0 1 2 3 cm"]) == ("A0.5", "a1.0")
    for other in (b"/s3 gs", b"/x0 Do", b"/f1 12 Tf", b"/lab-d65 cs"):
        assert weasyprint_speedups._names([b"q", other]) is None
    assert weasyprint_speedups._names([b"q", "/P BMC"]) is None  # not bytes: not ours to repeat
    cache.write(weasyprint_speedups.AREA, "damaged0000000000-1", b"{not json")  # a damaged entry is skipped
    cache.write(weasyprint_speedups.AREA, "damaged0000000000-2", b'{"k": [[1], [], []]}')
    weasyprint_speedups.forget()
    weasyprint_speedups.remember_saved("damaged0000000000")
    assert weasyprint_speedups._DRAWINGS == {}
    weasyprint_speedups.forget()


def test_a_drawing_is_repeated_only_from_the_graphics_state_it_was_drawn_from():
    """WeasyPrint skips setting a colour the stream already has: the same formula writes
    different operators after black was set than from a fresh state, and each is repeated only
    where it was drawn (compared with WeasyPrint's own drawing at each state, in both orders)."""
    import pydyf as pdf_objects
    from weasyprint.images import SVGImage
    from weasyprint.pdf.stream import Stream

    svg = mathsvg.formula_svg(r"\sqrt{d_k}", False)
    url = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
    black = ("srgb", 0.0, 0.0, 0.0)

    def draw(function, color: tuple | None, opacity_state: bool = True) -> list[bytes]:
        resources = pdf_objects.Dictionary({kind: pdf_objects.Dictionary() for kind in ("ExtGState", "XObject", "Pattern", "Shading")})
        resources["ColorSpace"] = pdf_objects.Dictionary()
        if opacity_state:  # as text drawn before leaves it
            resources["ExtGState"]["a1.0"] = pdf_objects.Dictionary({"ca": 1.0})
        stream = Stream({}, (0, 0, 100, 100), resources, {}, None, {}, None)
        stream.set_alpha(1)  # as weasyprint.draw.draw_replacedbox, before the image
        stream._current_color = color
        start = len(stream.stream)
        function(SVGImage(ElementTree.fromstring(svg), url, None, None), stream, 20.5, 11.25, None)
        assert all(name.decode() in resources["ExtGState"] for name in re.findall(rb"/(\S+) gs", b" ".join(stream.stream)))
        return stream.stream[start:]

    expected = {color: draw(weasyprint_speedups.ORIGINAL_IMAGE_DRAW, color) for color in (black, None)}
    assert expected[black] != expected[None]
    for order in ((black, None), (None, black)):
        weasyprint_speedups.forget()
        for color in order * 2:  # drawn, then repeated
            assert draw(weasyprint_speedups.image_draw, color) == expected[color]
    assert len(weasyprint_speedups._DRAWINGS) == 2
    weasyprint_speedups.forget()
    for _ in range(2):  # in a document without the opacity state the drawing adds it: never repeated
        assert draw(weasyprint_speedups.image_draw, None, opacity_state=False) == draw(
            weasyprint_speedups.ORIGINAL_IMAGE_DRAW, None, opacity_state=False)
    assert weasyprint_speedups._DRAWINGS == {}
