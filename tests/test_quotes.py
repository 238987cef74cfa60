"""Typographic quotes in prose, in every output; code, math, URLs and escapes keep straight ones."""
from __future__ import annotations

from pathlib import Path

from builders import anki, html, readme
from builders.anki import anki_math
from schema import load_corpus
from schema.markdown import render_html, render_inline_html
from schema.quotes import curl_quotes

SAMPLE = """It's "quoted", 'single' and et al.'s, `code "x" it's`, $f'("x")$,
[a 'link'](https://example.org/it's "ti'tle"), <https://example.org/a'b>, \\"escaped\\" -- (c) ...

```
print("hi")  # it's
```

$$
x' = "y"
$$

| "head" | it's |
|---|---|
| `'c'` | $x'$ |
"""


def tex(source: str, display: bool) -> str:
    return f"[{source}]"


def test_prose_quotes_are_curled_and_nothing_else_is() -> None:
    out = render_html(SAMPLE, tex)
    assert "It’s “quoted”, ‘single’ and et al.’s" in out
    assert "<code>code &quot;x&quot; it's</code>" in out and "[f'(\"x\")]" in out  # code span, inline math
    assert '<a href="https://example.org/it\'s" title="ti\'tle">a ‘link’</a>' in out  # URL and title as written
    assert ">https://example.org/a'b</a>" in out  # an autolink's text is its URL
    assert "&quot;escaped&quot;" in out  # a backslash-escaped quote stays straight
    assert "-- (c) ..." in out  # markdown-it's other typographic replacements stay off
    assert "print(&quot;hi&quot;)  # it's" in out  # code block
    assert "x' = \"y\"" in out  # display math
    assert "<th>“head”</th>" in out and "<th>it’s</th>" in out and "<code>'c'</code>" in out and "[x']" in out


def test_questions_are_curled_too() -> None:
    assert render_inline_html("What's the \"residual stream\" in `x'`?", tex) == "What’s the “residual stream” in <code>x'</code>?"


def test_the_source_is_curled_exactly_where_the_renderer_curls() -> None:
    curled = curl_quotes(SAMPLE)
    assert curled.startswith("It’s “quoted”, ‘single’ and et al.’s, `code \"x\" it's`, $f'(\"x\")$,")
    assert "[a ‘link’](https://example.org/it's \"ti'tle\"), <https://example.org/a'b>, \\\"escaped\\\"" in curled
    assert 'print("hi")  # it\'s' in curled and "x' = \"y\"" in curled and "| `'c'` | $x'$ |" in curled
    assert render_html(curled, tex) == render_html(SAMPLE, tex)
    assert curl_quotes(curled) == curled


def test_the_source_is_left_alone_when_it_cannot_be_curled_exactly() -> None:
    """An indented code block is not in the source scan: its quote would be miscounted, so the
    text is returned as written (the README then shows it straight; rendered outputs still curl)."""
    text = "A list:\n\n    print(\"indented code\")  # it's\n\nand \"prose\"."
    assert curl_quotes(text) == text
    assert "and “prose”." in render_html(text, tex) and "print(&quot;indented code&quot;)  # it's" in render_html(text, tex)


def quoted(tiny: Path) -> Path:
    first = tiny / "01-basics" / "01-first.md"
    text = first.read_text(encoding="utf-8").replace("question: What is the first question?",
                                                      "question: What's the \"first\" question?")
    first.write_text(text + "\nThe model's \"view\", with `code \"as is\"` and $a'$.\n", encoding="utf-8")
    return tiny


def test_every_output_shows_typographic_quotes(tiny: Path) -> None:
    corpus = load_corpus(quoted(tiny))
    text = readme.render(corpus)["README.md"].decode("utf-8")
    assert "#### What’s the “first” question?" in text
    assert "(#whats-the-first-question)" in text  # GitHub drops the quotes from the anchor
    assert "The model’s “view”, with `code \"as is\"` and $a'$." in text
    for for_print in (False, True):  # web page; PDFs
        view = html.view(corpus, for_print=for_print)
        first = view["sections"][0]["levels"][0]["questions"][0]
        assert first["title"] == "What’s the “first” question?"
        assert "The model’s “view”, with <code>code &quot;as is&quot;</code>" in first["answer"]
    fields = anki.note_fields(corpus, corpus.sections[0], corpus.question("first"))
    assert fields[0] == "What’s the “first” question?"
    assert "The model’s “view”, with <code>code &quot;as is&quot;</code> and \\(a'\\)." in fields[2]
    assert anki_math("a'", False) == "\\(a'\\)"
