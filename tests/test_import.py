"""`studykit import`: the seed README, round trips of generated READMEs, malformed input, all-or-nothing."""
from __future__ import annotations

import difflib
import shutil
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from builders import readme
from builders.importer import run_import as _run_import


def run_import(legacy, into):
    return _run_import(legacy, into)
from schema import ContentErrors, load_corpus

from .conftest import CONTENT, ROOT
from .test_content import SEED_QUESTIONS
from .test_fuzz import SAFE_PIECES

SEED = ROOT / "tests" / "data" / "seed-README.md"


def test_seed_import_reproduces_our_structure_and_reports_toc_defects(run, tmp_path):
    into = tmp_path / "content"
    code, out, err = run("import", str(SEED), "--into", str(into))
    assert code == 0, err
    assert "published: 12, drafts: 20 (19 no answer, 1 no sentence to use as a short answer)" in out
    assert "reversed a whole-file mis-decoding: UTF-8 that was read as mac_roman" in out
    # masking's TOC entry lands in section 1
    assert "“Intermediate Questions” points into another part of the document: “Intermediate questions” (line 69)" in out
    assert "“What Happens is We Remove Positional Encoding” links to a heading with other text" in out
    assert "question “Why is it called self-attention?” is missing from the TOC" in out
    sections = sorted(p for p in into.iterdir() if p.is_dir())
    assert len(sections) == 7  # the eighth has level headings and no question: nothing to import
    ours = load_corpus(CONTENT)
    imported = []
    for folder in sections:
        for path in sorted(folder.glob("*.md")):
            front = yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])
            imported.append((folder.name, front["question"], front["level"], front.get("status", "published")))
    assert len(imported) == 32 and sum(1 for i in imported if i[3] == "published") == 12
    section_order = [s.id for s in ours.sections]
    for qid, (section_id, level) in SEED_QUESTIONS.items():
        text = ours.question(qid).question.casefold()
        best = max(imported, key=lambda i: difflib.SequenceMatcher(None, i[1].casefold(), text).ratio())
        assert difflib.SequenceMatcher(None, best[1].casefold(), text).ratio() > 0.75, (qid, best)
        assert best[2] == level, (qid, best)
        assert int(best[0][:2]) == min(section_order.index(section_id) + 1, 7), (qid, best)
    assert "‚" not in "".join(p.read_text(encoding="utf-8") for p in into.rglob("*.md"))


def test_our_readme_round_trips(tmp_path):
    into = tmp_path / "content"
    run_import(ROOT / "README.md", into)
    a, b = load_corpus(CONTENT), load_corpus(into)
    key = lambda c: [(q.id, q.question, q.level, q.short_answer, q.answer, [c.sources[s].link for s in q.sources])  # noqa: E731
                     for q in c.published]
    assert key(a) == key(b)  # source ids are not in a README; the works they point at are
    assert [s.title for s in a.sections] == [s.title for s in b.sections]


words = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ’√ₖ-éüαβ"), min_size=3, max_size=40)


@st.composite
def corpora(draw):
    sections = []
    used: set[str] = set()
    for s in range(draw(st.integers(1, 3))):
        questions = []
        for _ in range(draw(st.integers(1, 4))):
            text = "Why " + " ".join(draw(words).split()) + "?"
            key = " ".join(text.casefold().split())
            if key in used or len(text) < 6:
                continue
            used.add(key)
            body = "Intro. " + "".join(draw(st.lists(st.sampled_from(SAFE_PIECES), min_size=1, max_size=12)))
            short = " ".join(draw(st.lists(st.sampled_from(SAFE_PIECES[:14]), min_size=1, max_size=8))).replace("\n", " ")
            questions.append({"id": f"q{len(used)}-" + draw(st.sampled_from(["a", "bb", "c-d"])), "question": text,
                              "level": draw(st.sampled_from(["basic", "intermediate", "advanced"])),
                              "short_answer": "Short: " + " ".join(short.split()), "answer": body.strip()})
        sections.append({"title": draw(st.sampled_from(["Alpha & Beta", "Self-Attention", "Output (Layer)", "Ελληνικά"])) + f" {s}",
                         "questions": questions})
    return [s for s in sections if s["questions"]]


def write(sections, root: Path) -> None:
    shutil.copytree(Path(__file__).parent / "fixtures" / "tiny", root)
    shutil.rmtree(root / "01-basics")
    for n, section in enumerate(sections, start=1):
        folder = root / f"{n:02d}-s{n}"
        folder.mkdir()
        (folder / "section.yaml").write_text(yaml.safe_dump({"id": f"s{n}", "title": section["title"]}, allow_unicode=True), encoding="utf-8")
        for i, q in enumerate(section["questions"], start=1):
            front = {k: q[k] for k in ("id", "question", "level", "short_answer")} | {"sources": ["vaswani2017"]}
            (folder / f"{i:02d}-{q['id']}.md").write_text("---\n" + yaml.safe_dump(front, allow_unicode=True) + "---\n" + q["answer"] + "\n", encoding="utf-8")


ROUND_TRIPS: list[int] = []


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sections=corpora())
def test_round_trip_of_generated_corpora(sections):
    if not sections:
        return
    with tempfile.TemporaryDirectory() as tmp:
        original = Path(tmp) / "content"
        write(sections, original)
        try:
            corpus = load_corpus(original)
        except ContentErrors:
            assume(False)  # only valid corpora can be rendered to a README
        text = readme.render(corpus)["README.md"]
        (Path(tmp) / "README.md").write_bytes(text)
        run_import(Path(tmp) / "README.md", Path(tmp) / "imported")
        again = load_corpus(Path(tmp) / "imported")
        # the README tidies what markdownlint flags (trailing spaces, tabs, blank-line runs), which renders the same
        key = lambda c: [(q.id, q.question, q.level, q.short_answer, readme.tidy(q.answer)) for q in c.published]  # noqa: E731
        assert key(again) == key(corpus)
        ROUND_TRIPS.append(len(corpus.published))


def test_the_property_test_round_tripped_real_corpora():
    """Runs after the property test (file order): it must have exercised many multi-question corpora."""
    assert len(ROUND_TRIPS) >= 20 and sum(ROUND_TRIPS) >= 60, ROUND_TRIPS


def test_document_without_level_headings_uses_the_chosen_level(run, tmp_path):
    legacy = tmp_path / "legacy.md"
    legacy.write_text("# Guide\n\n## Topic\n\n### What is X?\n\nX is a thing.\n\n### What is Y?\n", encoding="utf-8")
    code, out, _ = run("import", str(legacy), "--into", str(tmp_path / "c"), "--level", "advanced")
    assert code == 0 and "0 basic, 0 intermediate, 2 advanced" in out and "published: 1, drafts: 1 (1 no answer)" in out


def test_malformed_inputs_give_clear_errors_or_reports(run, tmp_path):
    cases = {
        "no-headings.md": ("Just a paragraph.\n", 1, "no questions found"),
        "headings-only.md": ("# T\n\n## Section\n\n### Q one?\n\n### Q two?\n", 0, "drafts: 2 (2 no answer)"),
        "question-without-section.md": ("### Lonely question?\n\nAn answer.\n", 0, "sections: 1"),
        "binary.md": (b"\x89PNG\r\n\x1a\n\x00\x00\x00", 1, "NUL bytes"),
        "invalid-utf8.md": (b"# T\n\n## S\n\n### Q?\n\n\xff\xfe bad\n", 1, "not valid UTF-8"),
        "title-only.md": ("# Only a title\n", 1, "no questions found"),
    }
    for name, (content, expected_code, fragment) in cases.items():
        legacy = tmp_path / name
        legacy.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        code, out, err = run("import", str(legacy), "--into", str(tmp_path / f"out-{name}"))
        assert code == expected_code, (name, out, err)
        assert fragment in out + err, (name, out, err)
        assert "Traceback" not in out + err
        if code:
            assert not (tmp_path / f"out-{name}").exists()


def test_refuses_to_overwrite_and_leaves_nothing_half_written(run, tmp_path):
    into = tmp_path / "content"
    into.mkdir()
    (into / "keep.txt").write_text("mine", encoding="utf-8")
    code, _, err = run("import", str(SEED), "--into", str(into))
    assert code == 1 and "exists and is not empty; use --force" in err
    assert [p.name for p in into.iterdir()] == ["keep.txt"]
    code, _, _ = run("import", str(SEED), "--into", str(into), "--force")
    assert code == 0 and not (into / "keep.txt").exists() and (into / "corpus.yaml").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["content"]  # no staging folders left behind
