"""Cross-references `[text](#question-id)`: resolved in every output, kept as written in JSON, round-tripped by import."""
from __future__ import annotations

import json
from pathlib import Path

from builders import anki, html, json_export, readme
from builders.anki import anki_math
from schema import load_corpus
from schema.markdown import render_html
from schema.xrefs import cross_references, rewrite_xrefs

SECOND_ANCHOR = "why-is-the-second-question-advanced"  # GitHub's anchor for the tiny guide's second question


def with_xref(tiny: Path) -> Path:
    first = tiny / "01-basics" / "01-first.md"
    first.write_text(first.read_text(encoding="utf-8") + "\nCompare [the second one](#second), and `#second` in code stays.\n",
                     encoding="utf-8")
    return tiny


def test_cross_references_are_found_with_their_lines() -> None:
    assert cross_references("One.\n\nSee [a](#x-y) and\n[b *c*](#z).") == [("x-y", 2), ("z", 3)]
    assert cross_references("`[a](#x)` and [web](https://example.org)") == []


def test_rewriting_touches_only_the_links() -> None:
    text = "See [a\ntext](#x), [b](#y) and [web](https://example.org)."
    assert rewrite_xrefs(text, lambda x: "new-" + x) == "See [a\ntext](#new-x), [b](#new-y) and [web](https://example.org)."
    assert rewrite_xrefs(text, lambda x: None if x == "y" else x) == "See [a\ntext](#x), b and [web](https://example.org)."


def test_rendering_without_a_resolver_keeps_the_text_only() -> None:
    assert render_html("See [the other](#other).", anki_math) == "<p>See the other.</p>\n"
    wrapped = render_html("See [the *other*](#other).", anki_math, xref=lambda qid: (f"<a href='#{qid}'>", "</a>"))
    assert wrapped == "<p>See <a href='#other'>the <em>other</em></a>.</p>\n"


def test_readme_links_the_questions_github_anchor(tiny: Path) -> None:
    text = readme.render(load_corpus(with_xref(tiny)))["README.md"].decode("utf-8")
    assert f"Compare [the second one](#{SECOND_ANCHOR})" in text
    assert "#### Why is the second question `advanced`?" in text  # the anchor's heading
    assert "`#second` in code stays" in text  # code is left alone


def test_web_page_and_pdfs_link_inside_the_document(tiny: Path) -> None:
    corpus = load_corpus(with_xref(tiny))
    for for_print in (False, True):
        view = html.view(corpus, for_print=for_print)
        first = next(q for s in view["sections"] for lv in s["levels"] for q in lv["questions"] if q["id"] == "first")
        assert '<a class="xref" href="#q-second">the second one</a>' in first["answer"]
        assert "<code>#second</code>" in first["answer"]
    page = html.render(corpus)[f"{corpus.meta.slug}.html"].decode("utf-8")
    assert 'href="#q-second"' in page and 'id="q-second"' in page


def test_anki_shows_the_text_and_the_question_it_refers_to(tiny: Path) -> None:
    corpus = load_corpus(with_xref(tiny))
    section = corpus.sections[0]
    fields = anki.note_fields(corpus, section, corpus.question("first"))
    detailed = fields[anki.FIELDS.index("DetailedAnswer")]
    assert ('<span class="xref">the second one</span> <span class="xref-target">(→ <i>Why is the second question '
            '<code>advanced</code>?</i>)</span>') in detailed
    assert 'href="#' not in detailed and "<code>#second</code>" in detailed  # no link to follow on a card


def test_json_keeps_the_markdown(tiny: Path) -> None:
    corpus = load_corpus(with_xref(tiny))
    data = json.loads(json_export.render(corpus)[f"{corpus.meta.slug}.json"])
    answers = [q["answer"] for s in data["sections"] for q in s["questions"]]
    assert any("[the second one](#second)" in a for a in answers)


LEGACY = """# A guide

## Introduction

Some words.

## Questions

### What is A?

A is a letter. See [the B question](#why-is-b-second), [the introduction](#introduction)
and [nowhere](#nowhere).

### Why is B second?

Because it follows A.
"""


def test_import_turns_links_to_question_headings_into_cross_references(run, tmp_path: Path) -> None:
    legacy = tmp_path / "README.md"
    legacy.write_text(LEGACY, encoding="utf-8")
    into = tmp_path / "content"
    code, out, err = run("import", str(legacy), "--into", str(into))
    assert code == 0, err
    corpus = load_corpus(into)
    a = next(q for q in corpus.published if q.question == "What is A?")
    b = next(q for q in corpus.published if q.question == "Why is B second?")
    text = a.short_answer + "\n" + a.answer
    assert f"[the B question](#{b.id})" in text
    assert "the introduction" in text and "nowhere" in text  # links to other headings become their text
    assert "(#introduction)" not in text and "(#nowhere)" not in text
    assert "cross-references" in out
