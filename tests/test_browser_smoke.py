"""The browser harness itself: Chromium starts, opens a built web page, and honours viewport and colour scheme."""
from __future__ import annotations

from pathlib import Path


def test_web_page_opens_at_both_widths_and_schemes(tiny: Path, run, open_page) -> None:
    out = tiny.parent / "out"
    assert run("build", "html", "--content", str(tiny), "--out", str(out))[0] == 0
    page_file = next(out.glob("*.html"))
    for viewport, width in (("phone", 390), ("desktop", 1280)):
        for scheme in ("light", "dark"):
            page = open_page(page_file.as_uri(), viewport=viewport, scheme=scheme)
            assert page.evaluate("window.innerWidth") == width
            assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") == (scheme == "dark")
            assert page.locator("h1").count() >= 1
