"""ziamath print fixes at the SVG level: a unary minus spaced as unary, scripts clear of what follows."""
from __future__ import annotations

import re

import ziamath

from builders import mathsvg, ziamath_fixes


def glyph_starts(tex: str) -> list[float]:
    """The x of each glyph outline's first point, left to right, as ziamath draws `tex`."""
    svg = ziamath.Latex(tex, size=mathsvg.SIZE, inline=True).svg()
    return [float(x) for x in re.findall(r'<path d="M ?([-\d.]+)', svg)]


def test_a_unary_minus_sits_close_to_its_operand():
    braced = glyph_starts(ziamath_fixes.unary_minus("[-1, 1]"))
    as_given = glyph_starts("[-1, 1]")
    # '[' '-' '1': the gap from the minus to the 1 shrinks to a prefix operator's (no binary space)
    assert braced[2] - braced[1] < as_given[2] - as_given[1] - 2
    assert ziamath_fixes.unary_minus("a - b") == "a - b"
    assert ziamath_fixes.unary_minus("x = -1, (-y), e^{-z}") == "x = {-}1, ({-}y), e^{-z}"


def test_a_subscript_leaves_room_before_a_parenthesis():
    tex = r"x_j(y)"
    fixed = glyph_starts(tex)
    ziamath_fixes.uninstall()
    try:
        shipped = glyph_starts(tex)
    finally:
        ziamath_fixes.install()
    # x, j, '(' ...: the parenthesis moves right by the MATH table's space after a script
    assert fixed[:2] == shipped[:2]
    assert fixed[2] > shipped[2] + 0.3


def test_the_print_svg_uses_both_fixes():
    svg = mathsvg._render("[-1, 1]", display=False)
    assert 'aria-label="[-1, 1]"' in svg
    assert svg.replace("[-1, 1]", "") == mathsvg._render("[{-}1, 1]", display=False).replace("[{-}1, 1]", "")
