"""The bundled text font: licensed, loaded by the print CSS as data: URIs, counted by `check`."""
from __future__ import annotations

from fontTools.ttLib import TTFont

from builders import pdf
from schema import fonts


def bundled_points() -> set[int]:
    points: set[int] = set()
    for file, _, _ in fonts.BUNDLED:
        with TTFont(fonts.BUNDLED_DIR / file) as font:
            points.update(font.getBestCmap())
    return points


def test_bundled_files_and_licence_are_there():
    assert (fonts.BUNDLED_DIR / "OFL-STIXTwoText.txt").read_text(encoding="utf-8").count("SIL Open Font License") >= 1
    for file, _, _ in fonts.BUNDLED:
        with TTFont(fonts.BUNDLED_DIR / file) as font:
            assert "STIX Two Text" in font["name"].getDebugName(1)


def test_print_css_loads_each_face_from_a_data_uri_and_names_it_first():
    css = pdf.print_css("a4")
    assert css.count("@font-face") == len(fonts.BUNDLED)
    assert css.count('src: url("data:font/ttf;base64,') == len(fonts.BUNDLED)
    assert '--font-serif: "STIX Two Text", "DejaVu Serif"' in css
    assert "STIX Two Text" not in fonts.css_variables()  # the web page is left as it was


def test_glyph_coverage_counts_the_bundled_font():
    cov = fonts.coverage(fonts=())  # no installed font asked for: only the bundled one counts
    points = bundled_points()
    assert 0x0416 in points and 0x1EA0 in points  # Cyrillic Zhe, Vietnamese A with dot below
    assert all(cov.prints(chr(p)) for p in points)
    assert not cov.prints("\u4e2d")  # a CJK character: no bundled glyph
