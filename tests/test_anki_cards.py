"""Anki cards in headless Chromium at 390 px: whole words, tables scrolling in their own box, night mode.

Each card is the back side Anki's own backend renders for a note of the bundled deck (templates,
fields and CSS as a learner's Anki fills them), shown in a page whose body has the classes
Anki gives it. No MathJax is loaded (it is not available offline), so formulas stay as their
`\\( \\)` source text: these are structure tests, not tests of typeset math.
"""
from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

from builders import anki as anki_builder
from schema import load_corpus

from .conftest import CONTENT

NIGHT_CLASSES = ("nightMode", "night_mode")  # Anki desktop, AnkiDroid and older versions

# Problems in the page: sideways scrolling, tables outside the card, words split across lines.
LAYOUT = r"""() => {
  const problems = [];
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth > width)
    problems.push(`the page scrolls sideways: ${document.documentElement.scrollWidth} > ${width}`);
  for (const table of document.querySelectorAll('table')) {
    const box = table.getBoundingClientRect();
    if (box.left < -0.5 || box.right > width + 0.5) problems.push(`a table's box leaves the card: ${box.left}..${box.right}`);
    for (const cell of table.querySelectorAll('th, td')) {
      const style = getComputedStyle(cell);
      if (style.overflowWrap !== 'normal' || style.wordBreak !== 'normal')
        problems.push(`a cell may break words: overflow-wrap ${style.overflowWrap}, word-break ${style.wordBreak}`);
    }
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node; (node = walker.nextNode());) {
    if (node.parentElement.closest('pre, style, .tex')) continue;
    const block = node.parentElement.closest('td, th, li, p, div, section');
    const room = block ? block.clientWidth : width;
    // letters and digits (with inner . and ,): no line-break opportunity inside, unless a word is shredded
    const words = /[\p{L}\p{N}](?:[\p{L}\p{N}.,]*[\p{L}\p{N}])?/gu;
    for (let m; (m = words.exec(node.data));) {
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const rects = [...range.getClientRects()].filter((r) => r.width > 0);
      const lines = new Set(rects.map((r) => Math.round(r.top)));
      const total = rects.reduce((sum, r) => sum + r.width, 0);
      const inTable = !!node.parentElement.closest('table');
      if (lines.size > 1 && (inTable || total <= room))
        problems.push(`word split across lines: "${m[0]}"${inTable ? ' in a table' : ''}`);
    }
  }
  return problems;
}"""

# Every element's colours: text, background and the colours of the borders it draws.
COLOURS = r"""() => [...document.body.querySelectorAll('*')].filter((e) => e.tagName !== 'STYLE').map((e) => {
  const s = getComputedStyle(e);
  const borders = ['Top', 'Right', 'Bottom', 'Left']
    .filter((side) => parseFloat(s[`border${side}Width`]) > 0 && s[`border${side}Style`] !== 'none')
    .map((side) => s[`border${side}Color`]);
  let bg = 'rgba(0, 0, 0, 0)';
  for (let a = e; a; a = a.parentElement) {
    const c = getComputedStyle(a).backgroundColor;
    if (!/rgba\(.*, 0\)$/.test(c)) { bg = c; break; }
  }
  const text = [...e.childNodes].some((n) => n.nodeType === 3 && n.data.trim());
  return {tag: e.tagName.toLowerCase(), cls: e.className, color: s.color, background: s.backgroundColor,
          borders: borders.join(' '), effective: bg, text, keep: !!e.closest('pre, img.figure')};
})"""


@pytest.fixture(scope="module")
def cards(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str]]:
    """(question id, back side HTML with its <style>) of every note of the bundled deck, as Anki
    renders them. Built in a thread of its own: the first formula check starts a V8 context,
    which must not see the asyncio loop Playwright's sync API runs in the test thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(rendered_cards, tmp_path_factory.mktemp("cards")).result()


def rendered_cards(folder: Path) -> list[tuple[str, str]]:
    files = anki_builder.render(load_corpus(CONTENT))
    apkg = folder / "deck.apkg"
    apkg.write_bytes(next(data for name, data in files.items() if name.endswith(".apkg")))
    (folder / "collection").mkdir()
    col = Collection(str(folder / "collection" / "collection.anki2"))
    try:
        col.import_anki_package(ImportAnkiPackageRequest(package_path=str(apkg), options=ImportAnkiPackageOptions()))
        rendered = [(col.get_note(nid)["Id"], col.get_note(nid).cards()[0].answer()) for nid in col.find_notes("")]
    finally:
        col.close()
    return sorted(rendered)


TEX = re.compile(r"\\\((.*?)\\\)|\\\[(.*?)\\\]", re.S)


def card_page(answer: str, classes: str = "") -> str:
    """A card as Anki shows it: the rendered side inside a body of class `card` (plus night
    classes). Without MathJax, each formula's TeX source is marked (`.tex`) and left out of the
    word checks: it is not prose, and MathJax would replace it."""
    answer = TEX.sub(lambda m: f'<span class="tex">{m.group(0)}</span>', answer)
    return ('<!doctype html><html><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
            f'<body class="card {classes}">{answer}</body></html>')


def luminance(css: str) -> float:
    r, g, b = (int(v) / 255 for v in re.findall(r"[\d.]+", css)[:3])
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_tables_and_words_stay_whole_on_a_phone(cards, open_page) -> None:
    page = open_page("about:blank", viewport="phone")
    with_tables = 0
    for qid, answer in cards:
        page.set_content(card_page(answer))
        with_tables += "<table" in answer
        assert page.evaluate(LAYOUT) == [], qid
    assert with_tables >= 30  # the bundled guide's tables are all checked


def test_a_wide_table_scrolls_inside_its_own_box(open_page) -> None:
    header = "".join(f"<th>column{n}heading</th>" for n in range(8))
    answer = f"<style>{anki_builder.model().css}</style><table><tr>{header}</tr></table>"
    page = open_page("about:blank", viewport="phone")
    page.set_content(card_page(answer))
    assert page.evaluate(LAYOUT) == []
    assert page.evaluate("(() => { const t = document.querySelector('table'); return t.scrollWidth > t.clientWidth; })()")


def test_the_layout_check_sees_a_shredded_table(open_page) -> None:
    """The check itself: with the old `overflow-wrap: anywhere` a narrow table's words split."""
    css = anki_builder.model().css + "\n.card table, .card table * { overflow-wrap: anywhere; }"
    cells = "".join(f"<td>transformer{n} layernormalisation</td>" for n in range(6))
    page = open_page("about:blank", viewport="phone")
    page.set_content(card_page(f"<style>{css}</style><table><tr>{cells}</tr></table>"))
    problems = page.evaluate(LAYOUT)
    assert any("cell may break words" in p for p in problems) and any("word split" in p for p in problems)


def test_back_labels_the_short_answer_and_sets_off_the_detailed_one(cards, open_page) -> None:
    page = open_page("about:blank", viewport="phone")
    qid, answer = next((qid, a) for qid, a in cards if "<table" in a)
    page.set_content(card_page(answer))
    assert page.locator(".short-answer > .label").inner_text().strip().lower() == "short answer"
    assert page.locator(".detailed-answer > .label").inner_text().strip().lower() == "detailed answer"
    short_box = page.locator(".short-answer").bounding_box()
    detail_box = page.locator(".detailed-answer").bounding_box()
    assert detail_box["y"] >= short_box["y"] + short_box["height"], qid
    assert page.evaluate("getComputedStyle(document.querySelector('.detailed-answer')).borderTopStyle") != "none"


def test_night_mode_styles_every_element_under_both_class_names(cards, open_page) -> None:
    page = open_page("about:blank", viewport="phone")
    sample = [c for c in cards if "<table" in c[1]][:3] + [c for c in cards if "\\[" in c[1]][:3]
    sample += [c for c in cards if 'class="xref-target"' in c[1]][:2]
    assert len(sample) == 8
    for qid, answer in sample:
        page.set_content(card_page(answer))
        light = page.evaluate(COLOURS)
        night = {}
        for name in NIGHT_CLASSES:
            page.set_content(card_page(answer, name))
            night[name] = page.evaluate(COLOURS)
        assert night["nightMode"] == night["night_mode"], qid  # both names give exactly the same card
        for day, dark in zip(light, night["nightMode"], strict=True):
            where = f"{qid}: <{day['tag']} class={day['cls']!r}>"
            for mode in (day, dark):
                if mode["text"]:
                    assert contrast(mode["color"], mode["effective"]) >= 4.5, (where, mode)
            if day["keep"]:
                continue  # code blocks and figures keep their light box on purpose
            if day["text"]:
                assert dark["color"] != day["color"], where
            if day["borders"]:
                assert dark["borders"] != day["borders"], where
            if not re.search(r", 0\)$", day["background"]):
                assert dark["background"] != day["background"], where


def test_card_css_names_both_night_classes_in_every_night_rule() -> None:
    css = re.sub(r"/\*.*?\*/", "", anki_builder.model().css, flags=re.S)
    for rule in re.findall(r"([^{}]+)\{", css):
        selectors = [s.strip() for s in rule.split(",")]
        day = [s for s in selectors if "nightMode" in s]
        other = {s.replace("nightMode", "night_mode") for s in day}
        assert other <= set(selectors), rule
        assert len(day) == len([s for s in selectors if "night_mode" in s]), rule

