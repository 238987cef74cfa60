"""Import of each common Q&A document shape: the exact outline, then `check` and a deck with every published note."""
from __future__ import annotations

import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from anki.collection import Collection

from schema import load_corpus

from .test_anki import import_deck
from .test_readme import without_math

FIXTURES = Path(__file__).parent / "fixtures" / "import"
B, I, A, D = "basic", "intermediate", "advanced", "draft"

# fixture -> [(section title, [(question, level, published?)])]
OUTLINES = {
    "bold-emoji.md": [
        ("Statistics", [("What is a median?", B, True), ("What is variance?", B, True),
                        ("Why divide by n − 1 for a sample variance?", I, False), ("What does a p-value measure?", A, True)]),
        ("Modelling", [("What is overfitting?", B, True), ("How does regularisation help?", I, True),
                       ("What is a learning curve?", I, False), ("Explain early stopping", A, True)]),
    ],
    "numbered-subheadings.md": [
        ("Systems Interview Notes", [("What is a load balancer?", B, True), ("Explain caching", B, True), ("What is sharding?", B, True)]),
    ],
    "closed-atx.md": [
        ("Basics", [("What is a list?", B, True), ("What is a tuple?", B, True), ("What is a dict comprehension?", B, True)]),
        ("Advanced", [("What is the GIL?", A, True), ("What is a metaclass?", A, True), ("How do generators save memory?", A, False)]),
    ],
    "list-items.md": [
        ("Protocols", [("What is TCP?", B, True), ("What is UDP?", B, True), ("What is QUIC?", B, False)]),
        ("Addresses", [("What is an IP address?", B, True), ("What is a subnet mask?", B, True)]),
    ],
    "prefix.md": [
        ("Queries", [("What does GROUP BY do?", B, True), ("What is the difference between WHERE and HAVING?", B, True),
                     ("What is a LEFT JOIN?", B, True), ("What is a window function?", B, False)]),
    ],
    "details.md": [
        ("Everyday commands", [("What does git rebase do?", B, True), ("What is the staging area?", B, True),
                               ("How do you undo the last commit but keep its changes?", B, True)]),
    ],
    "list-headings.md": [
        ("Compute", [("What is a virtual machine?", B, True), ("What is a container?", B, True)]),
        ("Storage", [("What is object storage?", B, True)]),
    ],
    "same-depth-sections.md": [
        ("Files", [("How do you list hidden files?", B, True), ("What is the difference between cp and mv?", B, True)]),
        ("Processes", [("How do you see running processes?", B, True), ("Finding a process by name", B, True)]),
    ],
    "level-headings-list.md": [
        ("Basic Questions", [("What is an interface?", B, True), ("Can an interface hold fields?", B, True)]),
        ("Advanced Questions", [("What is a default method?", A, True)]),
        ("Advanced Questions (Continued)", [("Can two default methods conflict?", A, True)]),
        ("Practical Questions", [("Write an interface with one default method", B, True)]),
    ],
    "details-html.md": [
        ("Simple Questions", [("What did you automate this month?", B, False), ("Which tool do you use for notes?", B, False),
                              ("What is your favourite shell?", B, False)]),
        ("Network Questions", [("What does traceroute show?", B, False), ("Why would DNS lookups be slow?", B, True),
                               ("List three ports you should know", B, True)]),
    ],
    "tagged-list.md": [
        ("Evaluation Drill", [("What does it mean for a classifier to be calibrated?", B, False),
                              ("Why is accuracy misleading on imbalanced data?", B, False),
                              ("How would you measure calibration?", I, False), ("What is the Brier score?", I, True),
                              ("Prove that the log loss is a proper scoring rule", A, False)]),
    ],
    "templated.md": [
        ("Counting", [("How many ways can five books be ordered on a shelf?", B, True),
                      ("How many subsets does a set of four elements have?", B, False),
                      ("How many ways can a committee of two be chosen from six people?", B, False),
                      ("What is the probability of two heads in two fair coin tosses?", B, False)]),
    ],
    "table-answers.md": [
        ("Basics", [("What is hashing?", B, True), ("What is salting?", B, True), ("What is TLS?", B, True)]),
    ],
}


def outline(content: Path) -> list:
    corpus = load_corpus(content)
    return [(s.title, [(q.question, q.level, q.published) for q in s.questions]) for s in corpus.sections]


@pytest.mark.parametrize("name", sorted(OUTLINES))
def test_each_shape_imports_to_the_exact_outline_and_builds(name, run, tmp_path):
    into = tmp_path / "content"
    code, out, err = run("import", str(FIXTURES / name), "--into", str(into), "--strict")
    assert code == 0, out + err
    assert outline(into) == OUTLINES[name]
    assert run("check", "--content", str(into))[0] == 0
    code, out, err = run("build", "anki", "json", "readme", "--content", str(into), "--out", str(tmp_path / "out"))
    assert code == 0, err
    # the README that comes out passes markdownlint, line length aside, and MD029: an imported list that
    # goes on numbering after a code block keeps its numbers (docs/import.md)
    lint = tmp_path / "lint.md"
    lint.write_text(without_math((tmp_path / "out" / "README.md").read_text(encoding="utf-8")), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "pymarkdown", "--disable-rules", "md013,md051,md029", "scan", str(lint)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    published = sum(1 for _, qs in OUTLINES[name] for q in qs if q[2])
    (tmp_path / "col").mkdir()
    col = Collection(str(tmp_path / "col" / "c.anki2"))
    try:
        import_deck(col, next((tmp_path / "out").glob("*.apkg")))
        assert col.note_count() == published
    finally:
        col.close()


def test_dry_run_prints_the_outline_and_writes_nothing(run, tmp_path):
    code, out, _ = run("import", str(FIXTURES / "bold-emoji.md"), "--into", str(tmp_path / "c"), "--dry-run")
    assert code == 0 and not (tmp_path / "c").exists()
    assert "shape: questions are bold paragraphs" in out and "levels from markers" in out
    assert "  1. Statistics (4 questions)" in out and "I  Why divide by n − 1 for a sample variance?" in out
    assert "draft: placeholder answer" in out


def test_repairs_are_counted_by_kind(run, tmp_path):
    code, out, _ = run("import", str(FIXTURES / "bold-emoji.md"), "--into", str(tmp_path / "c"))
    assert code == 0
    for kind in ("'*' and '+' bullets made '-': 2", "'_' emphasis made '*': 1", "'back to top' links removed: 2",
                 "raw HTML tags rewritten: 2", "remote images kept as links (builds never fetch them): 1", "badge lines removed: 1"):
        assert kind in out, kind
    answer = next((tmp_path / "c").glob("01-*/*what-is-variance.md")).read_text(encoding="utf-8")
    assert "σ²" in answer and "<" not in answer


def test_generated_short_answers_are_not_repeated_in_the_detail(tmp_path, run):
    run("import", str(FIXTURES / "bold-emoji.md"), "--into", str(tmp_path / "c"))
    corpus = load_corpus(tmp_path / "c")
    for q in corpus.published:
        assert q.short_answer and not q.answer.startswith(q.short_answer[:30]), q.id
        assert len(q.short_answer) <= 600 and q.short_answer.rstrip().endswith((".", "?", "!")), q.short_answer
    median = next(q for q in corpus.published if q.question == "What is a median?")
    assert median.short_answer.startswith("The median is the middle value") and median.answer.startswith("- It ignores")


def test_questions_in_a_table_of_links_read_their_answers_from_those_files(run, tmp_path):
    code, out, err = run("import", str(FIXTURES / "table-links.md"), "--into", str(tmp_path / "c"), "--strict")
    assert code == 1 and "3 question(s) link to answer files that are not beside the document (first: line 5)" in out
    assert "Traceback" not in out + err and not (tmp_path / "c").exists()
    doc = tmp_path / "doc"
    (doc / "problems").mkdir(parents=True)
    shutil.copy(FIXTURES / "table-links.md", doc / "README.md")
    (doc / "problems" / "two-sum.md").write_text("# Two sum\n\nKeep a map from value to index; one pass finds the pair.\n", encoding="utf-8")
    (doc / "problems" / "merge-intervals.md").write_text("# Merge intervals\n\n## Idea\n\nSort by start, then merge overlaps.\n", encoding="utf-8")
    code, out, err = run("import", str(doc / "README.md"), "--into", str(tmp_path / "c"))
    assert code == 0 and "answers read from the files the questions link to: 2" in out
    assert outline(tmp_path / "c") == [("Algorithm Problems", [("Two sum", B, True), ("Merge intervals", B, True), ("Word ladder", B, False)])]
    corpus = load_corpus(tmp_path / "c")
    assert corpus.published[0].short_answer == "Keep a map from value to index; one pass finds the pair."
    assert corpus.published[1].short_answer == "Sort by start, then merge overlaps." and corpus.published[1].answer == ""


def test_toc_report_names_empty_links_and_missing_questions(run, tmp_path):
    code, out, _ = run("import", str(FIXTURES / "closed-atx.md"), "--into", str(tmp_path / "c"), "--dry-run")
    assert "TOC line 7: “Q2: What is a tuple?” is an empty link" in out
    assert "question “What is a metaclass?” is missing from the TOC" in out
    assert "\\u" not in out and "'" not in out.split("problems:")[1].split("warnings:")[0].replace("'*'", "")


def test_a_toc_of_sections_only_is_not_a_defect(run, tmp_path):
    code, out, _ = run("import", str(FIXTURES / "bold-emoji.md"), "--into", str(tmp_path / "c"), "--dry-run")
    assert "problems: 0" in out


def test_options_pin_what_detection_would_guess(run, tmp_path):
    # with --question-depth 1 the H1 topics become the questions: the outline changes accordingly
    code, out, _ = run("import", str(FIXTURES / "numbered-subheadings.md"), "--into", str(tmp_path / "c"),
                       "--dry-run", "--question-depth", "3", "--level", "advanced")
    assert code == 0 and "A  How it works" in out and "A  Invalidation" in out
    code, out, _ = run("import", str(FIXTURES / "bold-emoji.md"), "--into", str(tmp_path / "c"), "--dry-run", "--levels", "none")
    assert "questions: 8 basic, 0 intermediate, 0 advanced" in out


def test_strict_fails_on_warnings_and_writes_nothing(run, tmp_path):
    legacy = tmp_path / "one.md"
    legacy.write_text("# Topics\n\n## Alpha\n\n### What is alpha?\n\nA letter.\n\n## Beta\n\n### What is beta?\n\nB.\n\n"
                      "## Gamma\n\n### What is gamma?\n\nG.\n\n## Delta\n\n### What is delta?\n\nD.\n", encoding="utf-8")
    code, out, err = run("import", str(legacy), "--into", str(tmp_path / "c"), "--strict")
    assert code == 1 and "every one of the 4 sections holds one question" in out and not (tmp_path / "c").exists()
    assert run("import", str(legacy), "--into", str(tmp_path / "c"))[0] == 0


def _png() -> bytes:
    raw = b"\x00\xff\x00\x00"
    chunk = lambda kind, data: struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))  # noqa: E731
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def test_local_images_are_copied_and_math_images_become_tex(run, tmp_path):
    doc = tmp_path / "doc"
    (doc / "img").mkdir(parents=True)
    (doc / "img" / "plot.png").write_bytes(_png())
    (doc / "README.md").write_text(
        "# Guide\n\n## Topic\n\n### What does the plot show?\n\nIt shows one red pixel.\n\n![A red pixel](img/plot.png)\n\n"
        "### What is the loss?\n\nThe loss is ![loss](https://render.githubusercontent.com/render/math?math=%5Cfrac%7B1%7D%7Bn%7D) per token.\n\n"
        "### What is outside?\n\nNothing is read outside the document's folder.\n\n![secret](../../etc/passwd)\n", encoding="utf-8")
    code, out, _ = run("import", str(doc / "README.md"), "--into", str(tmp_path / "c"))
    assert code == 0 and "local images copied into media/: 1" in out and "formula images made $TeX$: 1" in out
    media = list((tmp_path / "c" / "media").iterdir())
    assert len(media) == 1 and media[0].read_bytes() == _png()
    texts = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "c").rglob("*.md"))
    assert f"![A red pixel](../media/{media[0].name})" in texts and "$\\frac{1}{n}$" in texts and "passwd" not in texts
    assert "```text" not in texts  # nothing had to be kept verbatim
    corpus = load_corpus(tmp_path / "c")
    assert list(corpus.media) == [f"media/{media[0].name}"] and corpus.media[f"media/{media[0].name}"].data == _png()
    assert run("check", "--content", str(tmp_path / "c"))[0] == 0


def test_hostile_lines_import_in_bounded_time(tmp_path):
    """Lines built to make regexes backtrack (runs of spaces, brackets, backticks, unclosed comments,
    summaries and links) import in linear time: a cubic scan of these 3000-character lines would
    take minutes, far past the timeout (a bound against hangs, not a speed target: see
    benchmarks/import_scale.py)."""
    n = 3000
    lines = ["# T", "", "## S", ""]
    for s in ["<summary>" * n, "<a " * n, "[" * n, "*" * n, "_" * n, "$" * n, " " * n + "x", "**" + " " * n + "x" + " " * n + "**a",
              "### " + " " * n + "x" + " " * n + "y", "1. **" + "a" * n + "** " + " " * n + "?", "|" * n, "![" * n, "](" * n, "x`" * n, "<!--" * n]:
        lines += [f"### What is {len(lines)}?", "", "Answer: " + s, "", s, ""]
    legacy = tmp_path / "hostile.md"
    legacy.write_text("\n".join(lines), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "builders.cli", "import", str(legacy), "--into", str(tmp_path / "c"), "--dry-run"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert "questions: 15 basic" in result.stdout


def test_reference_style_links_become_inline_and_their_definitions_go(run, tmp_path):
    legacy = tmp_path / "refs.md"
    legacy.write_text("# Refs\n\n## S\n\n### What is a reference?\n\nSee [the spec][spec] and [CommonMark], not `[spec]` in code.\n\n"
                      "[spec]: https://spec.example/0.31/ \"Spec\"\n[CommonMark]: <https://commonmark.example>\n\n"
                      "```text\n[spec]: https://keep.example/\n```\n", encoding="utf-8")
    code, out, _ = run("import", str(legacy), "--into", str(tmp_path / "c"))
    assert code == 0 and "reference definitions removed (their links made inline): 2" in out
    q = load_corpus(tmp_path / "c").published[0]
    assert q.short_answer == "See [the spec](https://spec.example/0.31/) and [CommonMark](https://commonmark.example), not `[spec]` in code."
    assert q.answer == "```text\n[spec]: https://keep.example/\n```"
