"""The ziamath speed-ups change nothing but time: same SVG bytes as ziamath as shipped."""
from __future__ import annotations

import random

import pytest
from ziamath.nodes.mrow import Mrow

from builders import mathsvg, ziamath_speedups
from builders.build import all_formulas
from schema import cache, load_corpus

from .conftest import CONTENT

# Stretchy fences at several depths, \middle, big delimiters, matrices, roots, limits, accents:
# the cases where the skipped measuring pass would matter if the skip were wrong.
STRETCHY = [
    (r"\left( \frac{QK^\top}{\sqrt{d_k}} \right)", True),
    (r"\mathrm{softmax}\!\left(\frac{QK^\top}{\sqrt{d_k}} + M\right)V", False),
    (r"\left\{ x \;\middle|\; \frac{x^2}{2} > \sum_{i=1}^{n} a_i \right\}", True),
    (r"\left[ \left( \frac{a}{b} \right)^{2} + \left\| \frac{x}{\sqrt{y}} \right\| \right]", True),
    (r"\left. \frac{\partial \mathcal{L}}{\partial W} \right|_{W = W_0}", True),
    (r"\bigl( a + \bigl[ b \bigr] \bigr) \Bigg( \frac{1}{2} \Bigg)", False),
    (r"\begin{pmatrix} q_1 & \frac{1}{\sqrt{d_k}} \\ \left( x \right) & e^{-x} \end{pmatrix}", True),
    (r"\begin{cases} \frac{a}{b} & i \le j \\ -\infty & \text{otherwise} \end{cases}", True),
    (r"\sqrt{\frac{\sum_{t=1}^{n} (x_t - \mu)^2}{n}}", True),
    (r"\langle \frac{q}{2}, k \rangle \quad \lVert x \rVert_2 \quad |x| \quad \{a, b\}", False),
    (r"\hat{y} = \widehat{\frac{a}{b}} + \overline{x_{i}^{(5)}} + \vec{v}", False),
    (r"x_{i}^{(42)} = \frac{7}{\sqrt{d_n}}", False),
    (r"\prod_{h=1}^{H} \left( 1 + \frac{1}{h} \right) \xrightarrow{n \to \infty} e", True),
]


ATOMS = ["x", "y_i", "d_k", "K^\\top", "\\sum_{i=1}^{n} a_i", "\\int_0^1 f", "e^{-x}", "|x|", "\\|x\\|", "(a)",
         "\\{c\\}", "\\langle q, k \\rangle", "\\max_j z_j", "\\hat{y}", "\\overline{x}", "\\sqrt{2}", "\\uparrow"]
FENCES = [("\\left(", "\\right)"), ("\\left[", "\\right]"), ("\\left\\{", "\\right\\}"), ("\\left.", "\\right|"),
          ("\\bigl(", "\\bigr)"), ("\\Big[", "\\Big]"), ("(", ")"), ("\\left\\lVert", "\\right\\rVert")]


def generated(count: int, seed: int = 1) -> list[tuple[str, bool]]:
    """Random nestings of fractions, fences (with \\middle), scripts, roots, matrices and cases."""
    rng = random.Random(seed)

    def expr(depth: int) -> str:
        if depth <= 0 or rng.random() < 0.3:
            return rng.choice(ATOMS)
        a, b = expr(depth - 1), expr(depth - 1)
        opening, closing = rng.choice(FENCES)
        middle = f" \\middle| {b}" if opening.startswith("\\left") and rng.random() < 0.3 else ""
        return rng.choice([f"\\frac{{{a}}}{{{b}}}", f"{opening} {a}{middle} {closing}", f"{a}^{{{b}}}", f"{a}_{{{b}}}",
                           f"\\sqrt{{{a}}}", f"\\begin{{pmatrix}} {a} & {b} \\\\ {b} & {a} \\end{{pmatrix}}",
                           f"\\begin{{cases}} {a} & x > 0 \\\\ {b} & \\text{{otherwise}} \\end{{cases}}", f"{a} = {b}"])

    return [(expr(rng.randrange(1, 5)), rng.random() < 0.4) for _ in range(count)]


def _render_all(formulas):
    rendered = []
    for tex, display in formulas:
        try:
            rendered.append(mathsvg._render(tex, display))
        except Exception as error:  # noqa: BLE001 - some generated TeX is beyond ziamath: it must fail the same way
            rendered.append(f"{type(error).__name__}: {error}")
    return rendered


def test_same_svg_bytes_as_ziamath_unpatched():
    formulas = sorted({(tex.strip(), display) for tex, display in all_formulas(load_corpus(CONTENT))}) + STRETCHY + generated(200)
    assert len(formulas) > 1000
    mathsvg._ziamath()
    assert Mrow._get_height_nostretch is ziamath_speedups._row_height  # installed by mathsvg
    fast = _render_all(formulas)
    ziamath_speedups.uninstall()
    try:
        assert Mrow._get_height_nostretch is ziamath_speedups.ORIGINAL_ROW_HEIGHT
        shipped = _render_all(formulas)
    finally:
        assert ziamath_speedups.install()
    different = [tex for (tex, _), a, b in zip(formulas, fast, shipped) if a != b]
    assert not different


@pytest.mark.parametrize("tex, display, measured", [*((tex, display, True) for tex, display in STRETCHY[:3]),
                                                   (r"x_{i}^{(42)} = \frac{7}{\sqrt{d_n}}", False, False),
                                                   (r"O(n^2 d) + \|x\|", False, False)])
def test_only_rows_with_stretchy_operators_are_measured(tex, display, measured, monkeypatch):
    """A row with a stretchy fence takes ziamath's own measuring pass; a row without skips it."""
    calls = []
    original = ziamath_speedups.ORIGINAL_ROW_HEIGHT

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(ziamath_speedups, "ORIGINAL_ROW_HEIGHT", counting)
    mathsvg._render(tex, display)
    assert bool(calls) == measured


def test_other_ziamath_versions_left_alone(monkeypatch):
    ziamath_speedups.uninstall()
    try:
        monkeypatch.setattr(cache, "installed_versions", lambda *names: "ziamath=0.14")
        assert not ziamath_speedups.install()
        assert Mrow._get_height_nostretch is ziamath_speedups.ORIGINAL_ROW_HEIGHT
    finally:
        monkeypatch.undo()
        assert ziamath_speedups.install()
