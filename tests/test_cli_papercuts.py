"""The command line as a newcomer meets it: clear messages, per-kind summaries, sane option checks, a calm watch."""
from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from builders.cli import parser, watched

STUDYKIT = Path(sys.executable).parent / "studykit"


def break_tiny(tiny: Path) -> None:
    first = tiny / "01-basics" / "01-first.md"
    text = first.read_text(encoding="utf-8").replace("level: basic", "level: basik")
    first.write_text(text + "\nA stray $ sign, <b>bold</b> and <i>it</i>.\n", encoding="utf-8")
    second = tiny / "01-basics" / "02-second.md"
    second.write_text(second.read_text(encoding="utf-8") + "\n" + "y" * 20001 + "\n", encoding="utf-8")


def test_check_outside_a_guide_names_the_folder_it_tried_and_what_to_do(tmp_path: Path, run, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run("check")
    assert code == 1
    assert str(tmp_path / "content") in err and "--content DIR" in err and "studykit new DIR" in err
    assert "nothing was built" not in err and "Traceback" not in err


def test_one_invalid_field_hides_no_other_problem_and_messages_are_plain(tiny: Path, run) -> None:
    break_tiny(tiny)
    code, _, err = run("check", "--content", str(tiny))
    assert code == 1
    assert "level: 'basik' is not one of basic, intermediate, advanced" in err
    assert "raw HTML is not allowed" in err and "stray '$'" in err  # in the same file as the level error
    assert "answer: is 20,0" in err and "characters long; at most 20,000 are allowed" in err
    assert "String should" not in err
    assert "02-second.md:8: answer:" in err  # the body's line, not the front matter's


def test_check_ends_with_a_summary_by_kind(tiny: Path, run) -> None:
    break_tiny(tiny)
    _, _, err = run("check", "--content", str(tiny))
    lines = err.splitlines()
    start = next(i for i, line in enumerate(lines) if "by kind:" in line)
    assert lines[start].startswith("7 problems in 2 files")
    assert lines[start + 1].split() == ["4", "answer:", "raw", "HTML", "is", "not", "allowed"]
    assert "1  answer: stray '$'" in err and "1  level: is not one of basic" in err
    assert lines[-1] == "Error: 7 problems found; fix them and run check again"


def test_stats_counts_what_loaded_and_summarises_the_problems(tiny: Path, run) -> None:
    (tiny / "01-basics" / "02-second.md").write_text("---\nid: second\nlevel: basic\n---\n", encoding="utf-8")
    code, out, err = run("stats", "--content", str(tiny))
    assert code == 1
    assert "1 published, 1 drafts, 1 sections" in out  # 01-first and the draft 03-later loaded; 02 did not
    assert "question: required key is missing" in err and "Error: 1 problem found" in err
    assert "only questions without problems are counted" in err


def test_stats_json_with_problems_is_still_json(tiny: Path, run) -> None:
    break_tiny(tiny)
    code, out, _ = run("stats", "--json", "--content", str(tiny))
    data = json.loads(out)
    assert code == 1 and data["problems"] == 7 and data["drafts"] == 1 and data["sources"] is None


def test_build_check_says_nothing_of_building(run) -> None:
    code, _, err = run("build", "--check")
    assert code == 0 and "building" not in err and "built " not in err and "up to date" in err


@pytest.mark.parametrize("jobs", ["0", "-3", "two"])
def test_jobs_must_be_a_positive_whole_number(jobs: str, run) -> None:
    code, _, err = run("build", "--check", "-j", jobs)
    assert code == 2 and "-j/--jobs" in err and "usage: studykit build" in err


def test_paper_size_ignores_case() -> None:
    assert parser().parse_args(["build", "--paper", "A4"]).paper == "a4"
    assert parser().parse_args(["watch", "--paper", "Letter"]).paper == "letter"


def test_an_unknown_format_shows_the_build_usage(run) -> None:
    code, _, err = run("build", "bogus")
    assert code == 2 and err.startswith("usage: studykit build") and "unknown format 'bogus'" in err


@pytest.mark.parametrize(("name", "seen"), [
    ("01-first.md", True), ("section.yaml", True), ("x.svg", True), ("card.css", True), ("guide.html.j2", True),
    (".01-first.md.swp", False), ("01-first.md~", False), (".#01-first.md", False), ("#01-first.md#", False),
    ("4913", False), ("01-first.md.tmp", False), ("01-first.md.bak", False), (".DS_Store", False),
])
def test_watch_ignores_editors_temporary_files(name: str, seen: bool) -> None:
    assert watched(Path("content") / name) is seen


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                          capture_output=True, text=True, check=True).stdout


def test_an_edit_changed_back_leaves_the_note_record_as_committed(tiny: Path, tmp_path: Path, run, monkeypatch) -> None:
    if not shutil.which("git"):
        pytest.fail("git is needed (it is part of the documented set-up)")
    repo = tiny.parent
    git(repo, "init", "-q")
    out = tmp_path / "out"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert run("build", "anki", "--content", str(tiny), "--out", str(out))[0] == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "first")
    lock = tiny / "anki-notes.lock.json"
    committed = lock.read_bytes()
    first = tiny / "01-basics" / "01-first.md"
    original = first.read_text(encoding="utf-8")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000500")
    first.write_text(original.replace("The first answer", "An edited first answer"), encoding="utf-8")
    assert run("build", "anki", "--content", str(tiny), "--out", str(out))[0] == 0
    assert lock.read_bytes() != committed  # the edit moved the note's time
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000900")
    first.write_text(original, encoding="utf-8")
    assert run("build", "anki", "--content", str(tiny), "--out", str(out))[0] == 0
    assert lock.read_bytes() == committed
    assert git(repo, "status", "--porcelain", "--", "content") == ""


def test_a_change_after_the_committed_one_still_gets_a_later_time(tiny: Path, tmp_path: Path, run, monkeypatch) -> None:
    """Changing back to an OLDER committed state is a new change (learners have the newer note)."""
    repo = tiny.parent
    git(repo, "init", "-q")
    out = tmp_path / "out"
    first = tiny / "01-basics" / "01-first.md"
    original = first.read_text(encoding="utf-8")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert run("build", "anki", "--content", str(tiny), "--out", str(out))[0] == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "v1")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000500")
    first.write_text(original.replace("The first answer", "A released edit"), encoding="utf-8")
    assert run("build", "anki", "--content", str(tiny), "--out", str(out))[0] == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "v2")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000900")
    first.write_text(original, encoding="utf-8")
    assert run("build", "anki", "--content", str(tiny), "--out", str(out))[0] == 0
    notes = json.loads((tiny / "anki-notes.lock.json").read_text(encoding="utf-8"))["notes"]
    assert notes["first"]["mtime"] == 1700000900


def test_ctrl_c_in_watch_ends_on_a_whole_line(tiny: Path, tmp_path: Path) -> None:
    proc = subprocess.Popen([str(STUDYKIT), "watch", "--content", str(tiny), "--out", str(tmp_path / "o"), "-j", "1"],
                            stderr=subprocess.PIPE, text=True, cwd=tiny.parent,
                            env={"STUDYKIT_CACHE": str(tmp_path / "c"), "PATH": "/usr/bin:/bin"})
    seen = ""
    deadline = time.time() + 120
    while "watching" not in seen and time.time() < deadline:
        seen += proc.stderr.readline()
    proc.send_signal(signal.SIGINT)
    rest = proc.stderr.read()
    proc.wait(timeout=60)
    assert "watching" in seen and (seen + rest).endswith("\n") and "stopped watching\n" in rest
