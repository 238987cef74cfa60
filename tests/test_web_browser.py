"""The bundled guide's web page in headless Chromium (issue 15, items 8-10): at 390 and 1280 px, light and dark, with and without JavaScript."""
from __future__ import annotations

from pathlib import Path

import pytest

from builders.cli import main
from tests.conftest import CONTENT
from tests.test_web_page import with_extras

MAX_PAGE_BYTES = 1_500_000
VIEWS = [(viewport, scheme) for viewport in ("phone", "desktop") for scheme in ("light", "dark")]


@pytest.fixture(scope="module")
def guide(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled guide's web page, built once for this module."""
    out = tmp_path_factory.mktemp("guide")
    assert main(["build", "html", "--content", str(CONTENT), "--out", str(out)]) == 0
    (page,) = out.glob("*.html")
    return page


def csp_watch(page) -> list[str]:  # noqa: ANN001 - a playwright Page
    """Reload `page` with its console and errors recorded: the list fills as the page reports."""
    reported: list[str] = []
    page.on("console", lambda message: reported.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: reported.append(f"pageerror: {error}"))
    page.reload()
    return reported


def no_sideways_scroll(page) -> None:  # noqa: ANN001
    assert page.evaluate("document.scrollingElement.scrollWidth") <= page.evaluate("innerWidth")


ALL_ANSWERS = "[...document.querySelectorAll('details.answers')]"
EMPTY_MATH = """[...document.querySelectorAll('math')].filter(m => {
  const box = m.getBoundingClientRect(); return !(box.width > 0 && box.height > 0); }).length"""
# Punctuation after a formula is kept with it (span.nowrap) and stands on the line of the formula's end; an
# opening bracket before it, on the line of its start.
PUNCTUATION_LINES = """[...document.querySelectorAll('span.math')].filter(m => {
  const next = m.nextSibling;
  if (!next || next.nodeType !== 3 || !/^\\u2060?[.,;:!?]/.test(next.data)) return false;
  if (!m.parentElement.classList.contains('nowrap')) return true;
  const range = document.createRange(); const at = next.data.search(/[.,;:!?]/); range.setStart(next, at); range.setEnd(next, at + 1);
  const mark = range.getBoundingClientRect(), rects = m.getClientRects(), end = rects[rects.length - 1];
  return !(Math.abs(mark.bottom - end.bottom) < end.height && mark.left >= end.right - 1);
}).length + [...document.querySelectorAll('.nowrap > span.math')].filter(m => {
  const before = m.previousSibling;
  if (!before || before.nodeType !== 3) return false;
  const range = document.createRange(); range.setStart(before, before.data.length - 1); range.setEnd(before, before.data.length);
  const mark = range.getBoundingClientRect(), start = m.getClientRects()[0];
  return !(Math.abs(mark.bottom - start.bottom) < start.height && mark.right <= start.left + 1);
}).length"""


def test_bundled_guide_page_is_small(guide: Path):
    assert guide.stat().st_size <= MAX_PAGE_BYTES


@pytest.mark.parametrize(("viewport", "scheme"), VIEWS)
def test_answers_fold_and_open_on_demand(guide: Path, open_page, viewport: str, scheme: str):
    page = open_page(guide.as_uri(), viewport=viewport, scheme=scheme)
    reported = csp_watch(page)
    count = page.evaluate(f"{ALL_ANSWERS}.length")
    assert count >= 80 and page.evaluate(f"{ALL_ANSWERS}.every(d => !d.open)")
    first = page.locator("article.question").first
    assert not first.locator(".short-answer").is_visible()
    first.locator("summary").click()
    assert first.locator(".short-answer").is_visible() and page.evaluate(f"{ALL_ANSWERS}.filter(d => d.open).length") == 1
    button = page.locator("#open-all")
    assert button.is_visible() and button.inner_text() == "Open all answers"
    button.click()
    assert page.evaluate(f"{ALL_ANSWERS}.every(d => d.open)") and button.inner_text() == "Fold all answers"
    no_sideways_scroll(page)
    if viewport == "phone":
        page.locator(".toc > summary").click()  # the contents' formulas too
    assert page.evaluate("document.querySelectorAll('math').length") > 1000 and page.evaluate(EMPTY_MATH) == 0
    assert page.evaluate(PUNCTUATION_LINES) == 0
    no_sideways_scroll(page)
    button.click()
    assert page.evaluate(f"{ALL_ANSWERS}.every(d => !d.open)")
    assert not [line for line in reported if "Content Security Policy" in line or line.startswith(("error", "pageerror"))], reported


@pytest.mark.parametrize(("viewport", "scheme"), VIEWS)
def test_contents_stay_in_view_on_a_wide_screen_and_fold_on_a_phone(guide: Path, open_page, viewport: str, scheme: str):
    page = open_page(guide.as_uri(), viewport=viewport, scheme=scheme)
    contents = page.locator("nav#contents")
    if viewport == "desktop":
        page.evaluate("scrollTo(0, document.body.scrollHeight / 2)")
        box = contents.bounding_box()
        assert contents.is_visible() and box is not None and 0 <= box["y"] < 100 and box["x"] < 400
        assert not page.locator(".to-contents").first.is_visible()  # in view already
    else:
        assert not contents.is_visible() and page.locator(".toc > summary").is_visible()
        page.locator("#q-what-is-self-attention .to-contents").click()  # the way back opens them
        assert contents.is_visible()
        page.locator(".toc > summary").click()
        assert not contents.is_visible()
    no_sideways_scroll(page)


@pytest.mark.parametrize(("viewport", "scheme"), VIEWS)
def test_formulas_take_the_text_colour_and_wide_ones_scroll_in_their_box(guide: Path, open_page, viewport: str, scheme: str):
    page = open_page(guide.as_uri(), viewport=viewport, scheme=scheme)
    page.locator("#open-all").click()
    colours = page.evaluate("[...new Set([...document.querySelectorAll('main math')].map(m => getComputedStyle(m).color))]")
    text = page.evaluate("getComputedStyle(document.querySelector('.answer p')).color")
    assert colours == [text] and text == ("rgb(228, 230, 235)" if scheme == "dark" else "rgb(28, 30, 33)")
    wide = page.evaluate("""[...document.querySelectorAll('.math.display, .scroll-x')].filter(b => b.scrollWidth > b.clientWidth)
      .map(b => [getComputedStyle(b).overflowX, getComputedStyle(b).backgroundImage.includes('gradient')])""")
    if viewport == "phone":
        assert len(wide) >= 10  # the guide's widest formulas and tables
    assert all(overflow == "auto" and shadowed for overflow, shadowed in wide)
    no_sideways_scroll(page)


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_without_javascript_the_fold_still_works(guide: Path, open_page, viewport: str):
    page = open_page(guide.as_uri(), viewport=viewport, javascript=False)
    assert page.evaluate("1 + 1") == 2  # Playwright's own evaluation, not the page's scripts
    assert not page.locator("#open-all").is_visible() and not page.locator(".known-label").first.is_visible()
    second = page.locator("article.question").nth(1)
    assert not second.locator(".answer").is_visible()
    second.locator("summary").click()
    assert second.locator(".answer").is_visible()
    if viewport == "phone":
        page.locator(".toc > summary").click()
    assert page.locator("nav#contents").is_visible()
    no_sideways_scroll(page)
    page.emulate_media(media="print")  # printed from the browser: every answer, no controls
    assert page.evaluate(f"{ALL_ANSWERS}.every(d => d.querySelector('.short-answer').getBoundingClientRect().height > 0)")
    assert not page.locator(".toc").is_visible() and not page.locator("details.answers > summary").first.is_visible()


def test_known_questions_are_remembered(guide: Path, open_page):
    page = open_page(guide.as_uri(), viewport="phone")
    box = page.locator("#q-what-is-self-attention input.known")
    box.check()
    assert "is-known" in (page.locator("#q-what-is-self-attention").get_attribute("class") or "")
    assert page.locator("#known-count").inner_text().startswith("1 of ")
    page.reload()
    assert page.locator("#q-what-is-self-attention input.known").is_checked()
    assert page.evaluate("document.querySelector('.toc a[href=\"#q-what-is-self-attention\"]').classList.contains('is-known')")


def test_a_script_the_policy_does_not_name_is_refused(tiny: Path, run, open_page):
    """The console watch sees violations: a page whose script differs from its hash reports one."""
    out = tiny.parent / "out"
    assert run("build", "html", "--content", str(with_extras(tiny)), "--out", str(out))[0] == 0
    page_file = out / "tiny.html"
    allowed = open_page(page_file.as_uri())
    assert csp_watch(allowed) == [] and allowed.locator("#open-all").is_visible()
    assert allowed.evaluate("getComputedStyle(document.querySelector('.answer pre span')).color") != \
        allowed.evaluate("getComputedStyle(document.querySelector('.answer pre')).color")  # highlighting styles allowed
    page_file.write_text(page_file.read_text(encoding="utf-8").replace("\"use strict\";", "\"use strict\"; ", 1), encoding="utf-8")
    refused = open_page(page_file.as_uri())
    reported = csp_watch(refused)
    assert any("Content Security Policy" in line for line in reported) and not refused.locator("#open-all").is_visible()
