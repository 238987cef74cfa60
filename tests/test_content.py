"""The bundled guide: every seed question kept, the seed's mojibake reversed, content valid."""
from __future__ import annotations

from pathlib import Path

import pytest

from schema import load_corpus
from schema.checks import is_mojibake

from .conftest import CONTENT, ROOT

SEED = ROOT / "tests" / "data" / "seed-README.md"  # the hand-edited README we migrated from
SEED_QUESTIONS = {  # id: (section, level) for the 32 questions of the original README
    "what-is-token-embedding": ("embeddings", "basic"), "why-positional-encoding": ("embeddings", "basic"),
    "remove-positional-encoding": ("embeddings", "basic"), "why-attention-ignores-order": ("embeddings", "intermediate"),
    "sinusoidal-vs-learned-positions": ("embeddings", "intermediate"), "why-add-not-concatenate": ("embeddings", "intermediate"),
    "rope-vs-absolute": ("embeddings", "advanced"), "why-relative-positions": ("embeddings", "advanced"),
    "positions-and-extrapolation": ("embeddings", "advanced"),
    "what-is-self-attention": ("self-attention", "basic"), "query-key-value": ("self-attention", "basic"),
    "why-called-self-attention": ("self-attention", "basic"), "why-scale-by-sqrt-dk": ("self-attention", "intermediate"),
    "what-softmax-does": ("self-attention", "intermediate"), "attention-vs-convolution-rnn": ("self-attention", "intermediate"),
    "remove-sqrt-dk-scaling": ("self-attention", "advanced"), "quadratic-complexity": ("self-attention", "advanced"),
    "long-range-dependencies": ("self-attention", "advanced"),
    "why-multiple-heads": ("multi-head-attention", "basic"), "what-heads-learn": ("multi-head-attention", "basic"),
    "what-is-attention-mask": ("masking", "basic"), "why-causal-mask-gpt": ("masking", "basic"),
    "role-of-ffn": ("feed-forward", "basic"),
    "why-residual-connections": ("residuals-layernorm", "basic"), "what-layernorm-solves": ("residuals-layernorm", "basic"),
    "layernorm-vs-batchnorm": ("residuals-layernorm", "intermediate"), "why-pre-ln": ("residuals-layernorm", "advanced"),
    "residuals-and-vanishing-gradients": ("residuals-layernorm", "advanced"),
    "encoder-vs-decoder": ("encoder-decoder", "basic"), "encoder-only-vs-decoder-only": ("encoder-decoder", "basic"),
    "why-gpt-decoder-only": ("encoder-decoder", "intermediate"),
    "why-translation-encoder-decoder": ("encoder-decoder", "intermediate"),
}


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(CONTENT)


def test_eight_sections_in_the_seed_order(corpus):
    assert [s.id for s in corpus.sections] == [
        "embeddings", "self-attention", "multi-head-attention", "masking", "feed-forward",
        "residuals-layernorm", "encoder-decoder", "output-objective",
    ]


def test_every_seed_question_is_kept_at_its_level(corpus):
    found = {q.id: (q.section, q.level) for q in corpus.questions}
    assert len(SEED_QUESTIONS) == 32
    for qid, place in SEED_QUESTIONS.items():
        assert found.get(qid) == place, qid


def test_no_mojibake_anywhere_in_content():
    bad = [(p, line) for p in CONTENT.rglob("*") if p.is_file()
           for line in p.read_text(encoding="utf-8").splitlines() if is_mojibake(line)]
    assert not bad


def test_the_seed_mojibake_is_mac_roman_and_reverses_cleanly():
    damaged = SEED.read_text(encoding="utf-8")
    repaired = damaged.encode("mac_roman").decode("utf-8")
    assert "‚àöd‚Çñ" in damaged and "√dₖ" in repaired
    assert any(is_mojibake(line) for line in damaged.splitlines())
    assert not any(is_mojibake(line) for line in repaired.splitlines())


def test_every_section_and_level_is_filled_and_nothing_is_draft(corpus):
    assert len(corpus.published) >= 72
    assert all(q.published for q in corpus.questions)
    for section in corpus.sections:
        for level in ("basic", "intermediate", "advanced"):
            assert len(section.by_level(level)) >= 3, (section.id, level)


def sentences(text: str) -> list[str]:
    import re

    text = re.sub(r"\$[^$]*\$", "X", text)
    text = re.sub(r"\b(e\.g|i\.e|et al|vs|cf|approx|Fig|Eq|Sec)\.", r"\1", text)
    text = re.sub(r"(\d)\.(\d)", r"\1\2", text)
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


def test_short_answers_are_one_to_three_sentences(corpus):
    too_long = [(q.id, len(sentences(q.short_answer))) for q in corpus.published if len(sentences(q.short_answer)) > 3]
    assert not too_long


def test_detailed_answers_are_substantial_and_not_boilerplate(corpus):
    paragraphs: dict[str, str] = {}
    for q in corpus.published:
        assert len(q.answer.split()) >= 80, f"{q.id}: detailed answer is too thin"
        for paragraph in q.answer.split("\n\n"):
            key = " ".join(paragraph.split()).casefold()
            if len(key) > 80 and not key.startswith(("$$", "|")):
                assert key not in paragraphs, f"{q.id} repeats a paragraph of {paragraphs.get(key)}"
                paragraphs[key] = q.id


def test_every_question_cites_a_source_and_every_source_is_cited(corpus):
    cited = {s for q in corpus.questions for s in q.sources}
    assert all(q.sources for q in corpus.published)
    assert cited == set(corpus.sources)
