"""The web page's markup (issue 15, items 8-10): folded answers, Q-numbers as in the quiz, native MathML, an exact Content-Security-Policy."""
from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from builders import html, mathml
from schema import load_corpus

EXTRA = """---
id: extra
question: Which extras does the page carry?
level: advanced
short_answer: Code, a picture, a wide table and formulas followed by $a$, $b$; and $c$ ($d$).
sources: [vaswani2017]
---
Highlighted code:

```python
def attention(q, k):
    return q @ k.T  # scores
```

A picture: ![A red box](../media/box.svg)

| model | layers | heads | width | feed-forward | dropout | label smoothing | warm-up steps |
|---|---|---|---|---|---|---|---|
| base | 6 | 8 | 512 | 2048 | 0.1 | 0.1 | 4000 |

$$
\\mathbb{E}[q \\cdot k] = \\sum_{i=1}^{d_k} \\mathbb{E}[q_i]\\,\\mathbb{E}[k_i] + \\mathcal{L}_{\\mathrm{total}} + \\mathbf{W}_{\\mathrm{out}} + a_1 + a_2 + a_3 + a_4 + a_5 + a_6 + a_7 + a_8 + a_9
$$

The end, with $\\sqrt{d_k}$.
"""
BOX = b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20" fill="#c00"/></svg>\n'


def with_extras(content: Path) -> Path:
    """The tiny corpus plus a question with highlighted code, an image, a wide table and formulas."""
    (content / "media").mkdir(exist_ok=True)
    (content / "media" / "box.svg").write_bytes(BOX)
    (content / "01-basics" / "04-extra.md").write_text(EXTRA, encoding="utf-8")
    return content


def sha256_source(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def policy(page: str) -> dict[str, list[str]]:
    meta = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', page)
    assert meta is not None and page.index(meta.group(0)) < page.index("<style>")  # before anything it governs
    return {d.split()[0]: d.split()[1:] for d in meta.group(1).replace("&#39;", "'").split(";") if d.strip()}


def test_policy_allows_exactly_the_pages_own_script_style_and_images(tiny: Path):
    page = html.render(load_corpus(with_extras(tiny)))["tiny.html"].decode()
    rules = policy(page)
    (script,) = re.findall(r"<script>(.*?)</script>", page, re.DOTALL)
    (style,) = re.findall(r"<style>(.*?)</style>", page, re.DOTALL)
    attributes = {sha256_source(v) for v in re.findall(r' style="([^"]*)"', page)}
    assert attributes, "the highlighted code should carry style attributes"
    assert rules["default-src"] == ["'none'"] and rules["script-src"] == [sha256_source(script)]
    assert rules["style-src"] == [sha256_source(style), "'unsafe-hashes'", *sorted(attributes)]
    assert rules["img-src"] == ["data:"] and rules["base-uri"] == ["'none'"] and rules["form-action"] == ["'none'"]
    assert "unsafe-inline" not in page[:page.index("<style>")]


def test_policy_of_a_page_without_images_or_code_allows_neither(tiny: Path):
    rules = policy(html.render(load_corpus(tiny))["tiny.html"].decode())
    assert "img-src" not in rules and len(rules["style-src"]) == 1


def test_answers_fold_under_numbered_questions_with_the_quiz_numbers(tiny: Path):
    corpus = load_corpus(with_extras(tiny))
    page = html.render(corpus)["tiny.html"].decode()
    quiz = html.document(corpus, "quiz", data=html.view(corpus, for_print=True))
    quiz_numbers = dict(re.findall(r'<li class="quiz-question[^"]*" id="q-([^"]+)"><span class="qnum">Q(\d+)\.</span>', quiz))
    articles = re.findall(r'<article class="question" id="q-([^"]+)">\s*<h4 class="question-title"><a class="qnum" href="#q-\1"[^>]*>Q(\d+)</a>'
                          r'.*?</h4>\s*<details class="answers">\s*<summary>', page, re.DOTALL)
    assert len(articles) == len(corpus.published) >= 3 and dict(articles) == quiz_numbers
    assert "<details class=\"answers\" open" not in page
    toc = re.findall(r'<a href="#q-([^"]+)"><span class="toc-num">Q(\d+)</span>', page)
    assert toc == articles


def test_formulas_are_native_mathml_and_punctuation_stays_with_them(tiny: Path):
    page = html.render(load_corpus(with_extras(tiny)))["tiny.html"].decode()
    assert "<svg" not in page and page.count("<math") == page.count("</math>") >= 7
    assert '<div class="math display"><math display="block">' in page
    for mark in (",", ";", "."):  # "$a$, $b$;" and "$\sqrt{d_k}$."
        assert re.search(r'<span class="nowrap"><span class="math"><math(?: class="breakable")?>(?:(?!</math>).)*</math></span>' + re.escape(mark) + "</span>", page, re.DOTALL)
    assert re.search(r'<span class="nowrap">\(<span class="math"><math>(?:(?!</math>).)*</math></span>\)\.</span>', page, re.DOTALL)
    assert len(re.findall(r"</math></span>[.,;:!?)]", page)) == page.count('<span class="nowrap">')  # none outside one
    assert '<div class="scroll-x"><table>' in page and "</table></div>" in page


def test_styled_letters_become_mathematical_alphanumerics():
    drawn = mathml.formula_mathml(r"\mathbb{R} + \mathcal{L} + \mathbf{x} + \mathbf{2} + \mathrm{softmax} + \mathcal{B} + \mathbb{Z}", False)
    assert "mathvariant=\"double-struck\"" not in drawn and "mathvariant=\"script\"" not in drawn and "mathvariant=\"bold\"" not in drawn
    for char in ("\u211d", "\u2112", "\U0001d431", "\U0001d7d0", "\u212c", "\u2124"):  # ℝ ℒ 𝐱 𝟐 ℬ ℤ
        assert char in drawn
    assert '<mi mathvariant="normal">softmax</mi>' in drawn
    assert mathml._styled("h", "italic") == "\u210e" and mathml._styled("-", "bold") == "-"


def test_inline_formulas_may_break_after_a_binary_operator_or_relation_only():
    pieces = re.findall(r"<mrow>((?:(?!<mrow|</mrow>).)*)</mrow>", mathml.formula_mathml(r"a + b = [-k, k] - c", False))
    assert mathml.formula_mathml(r"a + b = [-k, k] - c", False).startswith('<math class="breakable">')
    assert [re.sub("<[^>]+>", "", p) for p in pieces] == ["a+", "b=", "[\u2212k,k]\u2212", "c"]  # not after the unary minus
    assert '<mrow class="edge"><mrow><mi>c</mi></mrow></mrow>' in mathml.formula_mathml(r"a + b = [-k, k] - c", False)
    assert 'class="breakable"' not in mathml.formula_mathml(r"-x", False) + mathml.formula_mathml(r"a + b", True)
