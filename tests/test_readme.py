"""README.md: every TOC link lands on the heading it names, which has an answer; it is fresh and lint-clean."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest

from builders import readme
from builders.slugger import Slugger
from schema import load_corpus
from schema.checks import is_mojibake
from schema.markdown import RENDERER, inline_text

from .conftest import CONTENT, ROOT

README = ROOT / "README.md"
TOC_LINK = re.compile(r"^(\s*)- \[(.+)\]\(#([^)]+)\)$")


def headings(markdown: str) -> list[tuple[int, str, str, int]]:
    """(level, rendered text, GitHub anchor, line) of every heading, in document order."""
    tokens = RENDERER.parse(markdown)
    slugger = Slugger()
    out = []
    for i, token in enumerate(tokens):
        if token.type == "heading_open":
            text = inline_text(tokens[i + 1].content)
            out.append((int(token.tag[1]), text, slugger.slug(text), token.map[0]))
    return out


def toc_entries(markdown: str) -> list[tuple[int, str, str]]:
    """(depth, link text, decoded anchor) of every entry of the Contents list."""
    section = markdown.split("\n## Contents\n", 1)[1].split("\n## ", 1)[0]
    entries = []
    for line in section.strip().splitlines():
        match = TOC_LINK.match(line)
        assert match, f"not a TOC entry: {line!r}"
        entries.append((len(match.group(1)) // 2, inline_text(match.group(2)), unquote(match.group(3))))
    return entries


def section_body(markdown: str, line: int) -> str:
    """Text from a heading to the next heading."""
    lines = markdown.splitlines()[line + 1 :]
    body = []
    for text in lines:
        if text.startswith("#"):
            break
        body.append(text)
    return "\n".join(body)


@pytest.fixture(scope="module")
def committed() -> str:
    return README.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(CONTENT)


def test_committed_readme_equals_a_fresh_render(committed, corpus):
    assert readme.render(corpus)["README.md"].decode("utf-8") == committed, "run `make` and commit README.md"


def test_every_toc_link_lands_on_the_heading_it_names_and_that_has_an_answer(committed, corpus):
    found = {anchor: (level, text, line) for level, text, anchor, line in headings(committed)}
    question_texts = {inline_text(q.question): q for q in corpus.published}
    for depth, text, anchor in toc_entries(committed):
        assert anchor in found, f"TOC entry {text!r} points at #{anchor}, which no heading has"
        level, heading_text, line = found[anchor]
        assert heading_text == text, f"#{anchor} is the heading {heading_text!r}, not {text!r}"
        if depth == 2:  # a question
            assert level == 4 and text in question_texts
            body = section_body(committed, line)
            short = re.search(r"\*\*Short answer:\*\* (\S.*)", body)
            assert short, f"{text!r} has no short answer"
            rest = body.split(short.group(0), 1)[1].split("**Sources:**")[0]
            assert len(rest.split()) >= 20, f"{text!r} has no detailed answer"
            assert "**Sources:** [" in body


def test_every_published_question_is_in_the_toc_exactly_once(committed, corpus):
    listed = [text for depth, text, _ in toc_entries(committed) if depth == 2]
    expected = [inline_text(q.question) for s in corpus.sections for lv in ("basic", "intermediate", "advanced") for q in s.by_level(lv)]
    assert listed == expected
    assert len(set(listed)) == len(listed)


def test_drafts_are_not_published(committed, corpus):
    for q in corpus.questions:
        if not q.published:
            assert f"#### {q.question}\n" not in committed


def test_all_anchors_are_unique(committed):
    anchors = [anchor for _, _, anchor, _ in headings(committed)]
    assert len(anchors) == len(set(anchors))


def test_math_stays_in_github_syntax(committed, corpus):
    assert "$\\sqrt{d_k}$" in committed or "\\sqrt{d_k}" in committed
    assert "\\(" not in committed and "<svg" not in committed


def test_no_mojibake(committed):
    bad = [line for line in committed.splitlines() if is_mojibake(line)]
    assert not bad


def without_math(markdown: str) -> str:
    """Math replaced by neutral text: pymarkdown, unlike markdownlint, has no math syntax and
    reads `$x_i$ ... $y_j$` as underscore emphasis."""
    markdown = re.sub(r"^(\s*)\$\$\n.*?\n\s*\$\$$", r"\1```text\n\1math\n\1```", markdown, flags=re.S | re.M)
    return re.sub(r"(?<![\\$])\$[^$\n]+?\$", "`math`", markdown)


def test_markdownlint_clean(tmp_path):
    """pymarkdown implements markdownlint's rules; line length (MD013) is off, as in .markdownlint.json.

    MD051 (link fragments) is checked by the tests above with the github-slugger port:
    pymarkdown's own MD051 mis-slugs headings containing `&` (it slugs the `&amp;` entity).
    """
    copy = tmp_path / "README.md"
    copy.write_text(without_math(README.read_text(encoding="utf-8")), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pymarkdown", "--disable-rules", "md013,md051", "scan", str(copy)],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_readme_of_a_tiny_corpus_has_the_expected_shape(tiny):
    text = readme.render(load_corpus(tiny))["README.md"].decode()
    entries = toc_entries(text)
    assert [(d, t) for d, t, _ in entries[:5]] == [
        (0, "1. Basics & More"), (1, "1.1 Basic questions"), (2, "What is the first question?"),
        (1, "1.3 Advanced questions"), (2, "Why is the second question advanced?"),
    ]
    assert "What will be answered later?" not in text  # a draft
    assert "[Why is the second question `advanced`?](#why-is-the-second-question-advanced)" in text


def test_duplicate_heading_texts_get_github_suffixes(tiny):
    (tiny / "01-basics" / "04-refs.md").write_text(
        "---\nid: refs\nquestion: References\nlevel: basic\nshort_answer: A.\nsources: [vaswani2017]\n---\nBody.\n",
        encoding="utf-8",
    )
    text = readme.render(load_corpus(tiny))["README.md"].decode()
    assert "- [References](#references)\n" in text  # the question comes first in the document
    assert "- [References](#references-1)\n" in text  # the References section
