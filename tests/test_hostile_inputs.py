"""Hostile content (issue 18): YAML alias bombs, reads outside the content folder, a malformed
note record, escape sequences in messages, bidi and invisible characters, a read-only content
folder. Each case ends quickly in a clean `Error:` naming the file, exit 1, no traceback."""
from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from builders import anki, freshness, output
from builders.build import NotWritten, Targets, build
from schema import ContentErrors, load_corpus
from schema.errors import printable
from schema.models import MAX_MTIME

STUDYKIT = Path(sys.executable).parent / "studykit"
QUESTION = "---\nid: third\nquestion: {question}\nlevel: basic\nshort_answer: {short}\nsources: [vaswani2017]\n{extra}---\n{body}\n"


def question(tiny: Path, question: str = "Third question?", short: str = "A short answer.", extra: str = "",
             body: str = "An answer.") -> Path:
    path = tiny / "01-basics" / "04-third.md"
    path.write_text(QUESTION.format(question=question, short=short, extra=extra, body=body), encoding="utf-8")
    return path


def clean_failure(code: int, err: str, *needles: str) -> None:
    assert code == 1, err
    assert "Traceback" not in err and err.startswith(("checking", "Error:")), err
    for needle in needles:
        assert needle in err, err


# -- 1. YAML anchors, aliases and merge keys ---------------------------------------------------
def alias_bomb(levels: int = 9, width: int = 10) -> str:
    lines = ["a0: &a0 [" + ", ".join(["x"] * width) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]" for i in range(1, levels)]
    return "\n".join(lines) + f"\nlevel: *a{levels - 1}\n"


def test_a_yaml_alias_bomb_in_front_matter_is_refused_before_expansion(tiny, run):
    path = tiny / "01-basics" / "04-bomb.md"
    path.write_text("---\nid: bomb\nquestion: Bomb?\n" + alias_bomb() + "---\nAn answer.\n", encoding="utf-8")
    start = time.perf_counter()
    code, _, err = run("check", "--content", str(tiny))
    assert time.perf_counter() - start < 10
    clean_failure(code, err, "04-bomb.md:4: YAML anchors (&a0) are not allowed")
    assert len(err) < 1000


@pytest.mark.parametrize("name, text, message", [
    ("corpus.yaml", "title: &t Tiny\nslug: tiny\ndescription: *t\nauthor: A\n", "corpus.yaml:1: YAML anchors (&t)"),
    ("bibliography.yaml", "x: {title: T}\ny: *x\n", "bibliography.yaml:2: YAML aliases (*x)"),
    ("01-basics/section.yaml", "id: basics\n<<: {title: Basics}\n", "section.yaml:2: YAML merge keys (<<)"),
])
def test_anchors_aliases_and_merge_keys_are_refused_in_every_yaml_file(tiny, run, name, text, message):
    (tiny / name).write_text(text, encoding="utf-8")
    clean_failure(*run("check", "--content", str(tiny))[::2], message)


@pytest.mark.parametrize("value", ["x" * 500_000, "[" + ", ".join(["x"] * 100_000) + "]", "1" * 5000, "2024-13-45"])
def test_huge_or_odd_yaml_values_give_short_messages(tiny, run, value):
    question(tiny, extra=f"tags: {value}\n" if value.startswith("[") else f"when: {value}\n")
    path = tiny / "01-basics" / "04-third.md"
    path.write_text(path.read_text(encoding="utf-8").replace("level: basic", f"level: {value}"), encoding="utf-8")
    code, _, err = run("check", "--content", str(tiny))
    clean_failure(code, err, "04-third.md:")
    assert max(len(line) for line in err.splitlines()) < 400


# -- 11. nothing is read outside the content folder, nor a huge file ------------------------------
@pytest.fixture
def opened(monkeypatch) -> list[str]:
    """Every path opened through os.open, open() or Path.read_bytes/read_text while the test runs."""
    seen: list[str] = []
    real_open, real_builtin = os.open, open

    def spy_open(path, *args, **kwargs):  # noqa: ANN001
        seen.append(os.path.realpath(path))
        return real_open(path, *args, **kwargs)

    def spy_builtin(file, *args, **kwargs):  # noqa: ANN001
        if isinstance(file, (str, Path)):
            seen.append(os.path.realpath(file))
        return real_builtin(file, *args, **kwargs)

    monkeypatch.setattr(os, "open", spy_open)
    monkeypatch.setattr("builtins.open", spy_builtin)
    monkeypatch.setattr("io.open", spy_builtin)
    return seen


def hostile_files(tiny: Path, tmp_path: Path) -> tuple[Path, Path]:
    secret = tmp_path / "secret.md"
    secret.write_text("---\nid: secret\n---\nsecret\n", encoding="utf-8")
    (tiny / "01-basics" / "04-link.md").symlink_to(secret)
    (tiny / "01-basics" / "05-dirlink").symlink_to(tmp_path)
    huge = tiny / "01-basics" / "06-huge.md"
    with open(huge, "wb") as handle:
        handle.write(b"---\nid: huge\n---\n")
    os.truncate(huge, 6 * 1024**3)  # sparse: no disk used
    (tiny / "09-outside").symlink_to(tmp_path)
    return secret, huge


def test_the_up_to_date_check_never_reads_outside_or_huge_files(tiny, tmp_path, opened):
    secret, huge = hostile_files(tiny, tmp_path)
    opened.clear()  # the files were written above
    before = freshness.inputs_digest(tiny)
    assert str(secret) not in opened and str(huge) not in opened
    assert str(tiny / "01-basics" / "01-first.md") in opened  # the spy sees the reads it should
    os.truncate(huge, 7 * 1024**3)
    assert freshness.inputs_digest(tiny) != before  # still noticed, by its size


def test_a_build_with_hostile_files_reads_none_of_them_and_names_each(tiny, tmp_path, run, opened):
    secret, huge = hostile_files(tiny, tmp_path)
    opened.clear()
    code, _, err = run("build", "readme", "--content", str(tiny), "--out", str(tmp_path / "out"))
    clean_failure(code, err, "04-link.md: points outside the content folder", "09-outside: points outside",
                  "05-dirlink: unexpected entry",
                  "06-huge.md: file is 6442450944 bytes (limit 1000000)")
    assert str(secret) not in opened and str(huge) not in opened


def test_a_fifo_never_blocks_the_build(tiny, tmp_path):
    os.mkfifo(tiny / "01-basics" / "04-fifo.md")
    os.mkfifo(tiny / "media.png")
    done = subprocess.run([str(STUDYKIT), "build", "readme", "--content", str(tiny), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=60)
    clean_failure(done.returncode, done.stderr, "04-fifo.md: unexpected entry", "media.png: unexpected entry")


# -- 14. the Anki note record -------------------------------------------------------------------
def lock_text(mtime: object) -> str:
    return json.dumps({"version": 1, "notes": {"first": {"fingerprint": "a" * 64, "mtime": mtime}}}, indent=1)


@pytest.mark.parametrize("text, message", [
    ("[" * 100_000, "anki-notes.lock.json:1: invalid JSON: nested more than 8 deep"),
    ('{"notes": ' * 50_000, "anki-notes.lock.json:1: invalid JSON: nested more than 8 deep"),
    (lock_text(10**30), "anki-notes.lock.json:6: notes.first.mtime: 1000000000000000000000000000000 is out of range: it must be at most"),
    (lock_text(-1), "anki-notes.lock.json:6: notes.first.mtime: -1 is out of range: it must be at least 0"),
    (lock_text(0).replace("0", "9" * 5000), "anki-notes.lock.json: invalid JSON: Exceeds the limit"),
    ("x" * 2_000_000, "anki-notes.lock.json: file is 2000000 bytes (limit 1000000)"),
])
def test_a_hostile_note_record_is_a_located_error(tiny, run, text, message):
    (tiny / anki.LOCK_FILE).write_text(text, encoding="utf-8")
    clean_failure(*run("check", "--content", str(tiny))[::2], message)


def test_a_note_record_at_the_largest_time_still_builds(tiny, tmp_path, run):
    (tiny / anki.LOCK_FILE).write_text(lock_text(MAX_MTIME), encoding="utf-8")
    code, _, err = run("build", "anki", "--content", str(tiny), "--out", str(tmp_path / "out"))
    assert code == 0, err
    notes = json.loads((tiny / anki.LOCK_FILE).read_text(encoding="utf-8"))["notes"]
    assert notes["first"]["mtime"] == MAX_MTIME


def test_a_note_record_symlinked_outside_is_not_read(tiny, tmp_path, run, opened):
    target = tmp_path / "elsewhere.json"
    target.write_text(lock_text(1), encoding="utf-8")
    (tiny / anki.LOCK_FILE).symlink_to(target)
    opened.clear()
    code, _, err = run("build", "anki", "--content", str(tiny), "--out", str(tmp_path / "out"))
    clean_failure(code, err, "anki-notes.lock.json: points outside the content folder")
    assert str(target) not in opened


# -- 18. messages cannot carry escape sequences ------------------------------------------------
def test_printable_escapes_controls_bidi_and_invisible_characters():
    assert printable("a\x1b[2Kb\x9b\u202e\u2066\u200b\n\r\x07ok") == "a\\x1b[2Kb\\x9b\\u202e\\u2066\\u200b\\x0a\\x0d\\x07ok"
    assert printable("plain é ü 数学 👨\u200d👩") == "plain é ü 数学 👨\\u200d👩"
    assert len(printable("x" * 100_000)) < 2100


def test_file_names_and_yaml_keys_are_printed_escaped(tiny, run):
    fake = "\x1b[2K\x1b[1A\x1b[32mok: all good\x1b[0m\u202e"
    (tiny / "01-basics" / f"{fake}.md").write_text("no front matter\n", encoding="utf-8")
    (tiny / "01-basics" / "section.yaml").write_text('id: basics\ntitle: Basics\n"\\e[2J\\x9b": 1\n', encoding="utf-8")
    code, _, err = run("check", "--content", str(tiny))
    clean_failure(code, err, "\\x1b[2K\\x1b[1A\\x1b[32mok: all good\\x1b[0m\\u202e.md:1: a question file must start",
                  "section.yaml:3: \\x1b[2J\\x9b: unknown key")
    assert not any(c in err for c in "\x1b\x9b\u202e\r")


# -- 19. bidi and invisible characters in every text field ----------------------------------------
HIDDEN = ["\u202e", "\u202a", "\u2066", "\u2069", "\u200b", "\u200c", "\u200d", "\ufeff", "\u2060", "\u00ad", "\u061c",
          "\U000e0041"]


@pytest.mark.parametrize("char", HIDDEN)
@pytest.mark.parametrize("where", ["question", "short_answer", "answer", "corpus title", "corpus description",
                                   "section title", "source title", "source authors", "source venue", "keyword"])
def test_bidi_and_invisible_characters_are_refused_everywhere(tiny, where, char):
    text = f"Som{char}e text."
    files = {  # where: (file, text replaced, replacement, line, field)
        "question": ("01-basics/01-first.md", "question: What is the first question?", f'question: "{text}"', 3, "question"),
        "short_answer": ("01-basics/01-first.md", "  The first answer, with math $d_k$.", f"  {text}", 5, "short_answer"),
        "answer": ("01-basics/01-first.md", "A literal dollar: \\$5.", text, 17, "answer"),
        "corpus title": ("corpus.yaml", "title: Tiny Guide", f"title: {text}", 1, "title"),
        "corpus description": ("corpus.yaml", "description: A two-question corpus used by the tests.", f"description: {text}", 3, "description"),
        "section title": ("01-basics/section.yaml", 'title: "Basics & More"', f"title: {text}", 2, "title"),
        "source title": ("bibliography.yaml", "title: Attention Is All You Need", f"title: {text}", 3, "vaswani2017.title"),
        "source authors": ("bibliography.yaml", "authors: Vaswani et al.", f"authors: {text}", 2, "vaswani2017.authors"),
        "source venue": ("bibliography.yaml", "venue: NeurIPS", f"venue: {text}", 4, "vaswani2017.venue"),
        "keyword": ("corpus.yaml", "keywords: [test]", f"keywords: [test, {text}]", 6, "keywords"),
    }
    name, old, new, line, field = files[where]
    path = tiny / name
    original = path.read_text(encoding="utf-8")
    assert old in original
    path.write_text(original.replace(old, new), encoding="utf-8")
    with pytest.raises(ContentErrors) as caught:
        load_corpus(tiny)
    found = [p for p in caught.value.problems if f"U+{ord(char):04X}" in p.message]
    assert len(found) == 1, str(caught.value)
    assert (found[0].path.endswith(name), found[0].line, found[0].field) == (True, line, field), str(found[0])
    assert "column 4" in found[0].message


@pytest.mark.parametrize("text", ["A family 👨\u200d👩\u200d👧 emoji.", "Persian می\u200cخواهم text.",
                                  "A flag 🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f here.",
                                  "A heart ❤\ufe0f\u200d🔥 too.", "Tabs\tare fine."])
def test_joiners_inside_emoji_and_scripts_that_need_them_are_allowed(tiny, text):
    first = tiny / "01-basics" / "01-first.md"
    first.write_text(first.read_text(encoding="utf-8").replace("A literal dollar: \\$5.", text), encoding="utf-8")
    try:
        load_corpus(tiny)
    except ContentErrors as exc:
        assert "U+" not in str(exc), str(exc)  # only missing-font problems may remain


# -- 20. the deck's note record and a read-only or vanished content folder -----------------------
def test_building_other_formats_never_writes_the_note_record(tiny, tmp_path, run):
    code, _, err = run("build", "readme", "json", "html", "--content", str(tiny), "--out", str(tmp_path / "out"))
    assert code == 0, err
    assert not (tiny / anki.LOCK_FILE).exists()


def test_a_read_only_content_folder_fails_only_the_deck(tiny, tmp_path, run, monkeypatch):
    real = tempfile.mkstemp

    def read_only(*args, dir=None, **kwargs):  # noqa: ANN001, A002 - tests run as root: chmod would not stop it
        if dir is not None and Path(dir).resolve() == tiny.resolve():
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))
        return real(*args, dir=dir, **kwargs)

    monkeypatch.setattr(output.tempfile, "mkstemp", read_only)
    out = tmp_path / "out"
    code, _, err = run("build", "readme", "json", "anki", "--content", str(tiny), "--out", str(out))
    clean_failure(code, err, f"{anki.LOCK_FILE}: cannot write the Anki note record: Read-only file system",
                  "the other outputs were written")
    assert (out / "tiny.json").is_file() and (out / "README.md").is_file()
    assert not (out / "tiny.apkg").exists() and not (tiny / anki.LOCK_FILE).exists()
    monkeypatch.setattr(output.tempfile, "mkstemp", real)
    code, _, err = run("build", "readme", "json", "anki", "--content", str(tiny), "--out", str(out))
    assert code == 0 and "up to date: readme, json" in err, err
    assert (out / "tiny.apkg").is_file() and (tiny / anki.LOCK_FILE).is_file()


def test_a_content_folder_moved_away_is_never_recreated(tiny, tmp_path):
    corpus = load_corpus(tiny)
    tiny.rename(tmp_path / "moved")
    out = tmp_path / "out"
    with pytest.raises(NotWritten, match="the content folder no longer exists"):
        build(corpus, ["json", "anki"], Targets(out_dir=out, readme_dir=out, content_dir=tiny))
    assert not tiny.exists()
    assert (out / "tiny.json").is_file() and not (out / "tiny.apkg").exists()
