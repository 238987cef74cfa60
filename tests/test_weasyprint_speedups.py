"""The WeasyPrint speed-up changes nothing but time: the same operators, vertices and PDF bytes."""
from __future__ import annotations

import contextlib
import random
import re
from collections import deque

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
