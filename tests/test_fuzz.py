"""Fuzzing: random Markdown and metadata through the loader and every renderer; only ContentErrors may escape."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders import anki, html, json_export, readme
from schema import ContentErrors, load_corpus

from .conftest import TINY

PIECES = [
    "$", "$$\n", "\n$$\n", "$x_i$", "$\\frac{a}{b}$", "$\\foo$", "$\\frac{a}{$", "\\$", "*", "**", "_", "`",
    "<b>", "<script>alert(1)</script>", "[x](https://a.example/b)", "[y](javascript:z)", "![i](p.png)",
    "\n", "\n\n", "# ", "- ", "1. ", "> ", "|a|b|\n|-|-|\n|$c$|d|\n", "\\", "{", "}", "^", "&amp;", "√dₖ",
    "‚àöd‚Çñ", "\t", "   ", "```\ncode\n```\n", "~~s~~", "<!-- c -->", "&#0;", "\u202e", "日本語",
]
markdown = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=12)), max_size=25).map("".join)
scalar = st.one_of(st.text(max_size=30), st.integers(), st.none(), st.booleans(), st.floats(allow_nan=False))
front = st.fixed_dictionaries(
    {
        "id": st.one_of(st.sampled_from(["fuzz", "first", "Bad Id", ""]), scalar),
        "question": st.one_of(markdown, scalar),
        "level": st.one_of(st.sampled_from(["basic", "intermediate", "advanced", "expert"]), scalar),
        "short_answer": st.one_of(markdown, scalar),
        "sources": st.one_of(st.just(["vaswani2017"]), st.lists(scalar, max_size=3), scalar),
    },
    optional={
        "status": st.one_of(st.sampled_from(["draft", "published"]), scalar),
        "related": st.one_of(st.lists(st.sampled_from(["first", "second", "nope"]), max_size=2), scalar),
        "tags": st.one_of(st.lists(st.text(max_size=8), max_size=3), scalar),
        "extra": scalar,
    },
)
meta = st.fixed_dictionaries(
    {"title": st.one_of(markdown, scalar), "slug": st.one_of(st.just("fuzz"), scalar),
     "description": st.one_of(markdown, scalar), "author": st.one_of(st.text(max_size=20), scalar)},
    optional={"language": scalar, "keywords": st.one_of(st.lists(st.text(max_size=8)), scalar)},
)


SAFE_PIECES = [
    "word ", "Attention ", "is ", "all ", "you need. ", "$x_i$ ", "$\\sqrt{d_k}$ ", "\\$5 ", "*it* ", "**bold** ",
    "`code` ", "[link](https://example.com/a_b) ", "√dₖ ", "Ελληνικά ", "a < b & c > d ", "\n", "\n\n",
    "\n\n$$\n\\frac{QK^\\top}{\\sqrt{d_k}}\n$$\n\n", "\n\n- item $y$\n- item\n\n", "\n\n1. one\n2. two\n\n",
    "\n\n| a | b |\n|---|---|\n| $c$ | d |\n\n", "\n\n> quoted text\n\n", "\n\n```\nx = 1 < 2\n```\n\n",
]
safe_markdown = st.lists(st.sampled_from(SAFE_PIECES), min_size=1, max_size=30).map(lambda parts: "Intro. " + "".join(parts))
# letters of the scripts the PDF fonts draw (Latin, Greek, Cyrillic: `check` rejects others)
safe_text = st.text(st.characters(whitelist_categories=("Lu", "Ll", "Nd"), max_codepoint=0x4FF, whitelist_characters=" ?’√ₖ-"),
                    min_size=3, max_size=60)
safe_front = st.fixed_dictionaries(
    {"id": st.just("fuzz"), "question": safe_text.map(lambda t: "Why " + t.strip() + "?"),
     "level": st.sampled_from(["basic", "intermediate", "advanced"]),
     "short_answer": safe_markdown.map(lambda t: " ".join(t.split()).replace("$$", "")[:500]),
     "sources": st.just(["vaswani2017"])},
    optional={"related": st.just(["first"]), "tags": st.lists(st.sampled_from(["a", "b-c", "x1"]), max_size=3, unique=True)},
)
RESULTS = {"valid": 0, "rejected": 0}


def render_everything(content: Path) -> None:
    try:
        corpus = load_corpus(content)
    except ContentErrors as exc:
        RESULTS["rejected"] += 1
        assert exc.problems and all(p.path and p.message for p in exc.problems)
        return
    RESULTS["valid"] += 1
    readme.render(corpus)
    json_export.render(corpus)
    html.render(corpus)
    for section in corpus.sections:
        for q in section.published:
            anki.note_fields(corpus, section, q)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(front=front, body=markdown)
def test_random_question_files(front, body):
    with tempfile.TemporaryDirectory() as tmp:
        content = Path(tmp) / "content"
        shutil.copytree(TINY, content)
        text = "---\n" + yaml.safe_dump(front, allow_unicode=True) + "---\n" + body
        (content / "01-basics" / "05-fuzz.md").write_text(text, encoding="utf-8", errors="surrogatepass")
        render_everything(content)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(front=safe_front, body=safe_markdown)
def test_random_valid_looking_questions_render_everywhere(front, body):
    before = RESULTS["valid"]
    with tempfile.TemporaryDirectory() as tmp:
        content = Path(tmp) / "content"
        shutil.copytree(TINY, content)
        text = "---\n" + yaml.safe_dump(front, allow_unicode=True) + "---\n" + body
        (content / "01-basics" / "05-fuzz.md").write_text(text, encoding="utf-8")
        render_everything(content)
    assert RESULTS["valid"] == before + 1 or RESULTS["rejected"] > 0


def test_fuzzing_reached_the_renderers():
    """Runs after the property tests above (file order): most safe inputs must have rendered."""
    assert RESULTS["valid"] >= 100, RESULTS


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(metadata=meta)
def test_random_metadata(metadata):
    with tempfile.TemporaryDirectory() as tmp:
        content = Path(tmp) / "content"
        shutil.copytree(TINY, content)
        (content / "corpus.yaml").write_text(yaml.safe_dump(metadata, allow_unicode=True), encoding="utf-8", errors="surrogatepass")
        render_everything(content)


@settings(max_examples=60, deadline=None)
@given(raw=st.binary(max_size=300))
def test_random_bytes_as_a_question_file(raw):
    with tempfile.TemporaryDirectory() as tmp:
        content = Path(tmp) / "content"
        shutil.copytree(TINY, content)
        (content / "01-basics" / "05-raw.md").write_bytes(b"---\n" + raw)
        render_everything(content)
