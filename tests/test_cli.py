"""The studykit command line: exit codes, Error: lines without tracebacks, stats, build --check."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .conftest import ROOT

STUDYKIT = Path(sys.executable).parent / "studykit"


def test_check_passes_on_a_valid_corpus(run, tiny):
    code, out, err = run("check", "--content", str(tiny))
    assert code == 0 and "ok: 2 published questions, 1 drafts" in err and out == ""


def test_content_error_exits_1_with_located_errors_and_no_traceback(tiny):
    (tiny / "01-basics" / "01-first.md").write_text("---\nid: first\nquestion: Q?\nlevel: expert\n---\n", encoding="utf-8")
    result = subprocess.run([str(STUDYKIT), "check", "--content", "content"], cwd=tiny.parent, capture_output=True, text=True)
    assert result.returncode == 1
    assert "Error: content/01-basics/01-first.md:4: level: 'expert' is not one of basic, intermediate, advanced" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_usage_errors_exit_2(run, tiny):
    assert run("build", "pdfx", "--content", str(tiny))[0] == 2
    assert run("frobnicate")[0] == 2
    assert run("check", "--no-such-option")[0] == 2


def test_missing_content_folder_is_an_error(run, tmp_path):
    code, _, err = run("check", "--content", str(tmp_path / "nope"))
    assert code == 1 and "content folder: no such folder" in err


def test_build_writes_outputs_into_out(run, tiny, tmp_path):
    out = tmp_path / "out"
    code, stdout, err = run("build", "--content", str(tiny), "--out", str(out))
    assert code == 0 and stdout == ""
    assert sorted(p.name for p in out.iterdir()) == [
        "README.md", "tiny-cheatsheet.pdf", "tiny-handout.pdf", "tiny-quiz.pdf", "tiny.apkg", "tiny.html", "tiny.json",
    ]
    assert (tiny / "anki-notes.lock.json").is_file()  # the note record travels with the content
    assert "wrote" in err


def test_failed_build_leaves_previous_outputs_untouched(run, tiny, tmp_path):
    out = tmp_path / "out"
    assert run("build", "--content", str(tiny), "--out", str(out))[0] == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    (tiny / "01-basics" / "02-second.md").write_text("---\nid: second\n", encoding="utf-8")  # broken
    code, _, err = run("build", "--content", str(tiny), "--out", str(out))
    assert code == 1 and "nothing was built" in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_build_check_detects_a_stale_readme(run, tiny, tmp_path):
    out = tmp_path / "out"
    run("build", "readme", "--content", str(tiny), "--out", str(out))
    assert run("build", "readme", "--check", "--content", str(tiny), "--out", str(out))[0] == 0
    first = tiny / "01-basics" / "01-first.md"
    first.write_text(first.read_text(encoding="utf-8").replace("A detailed answer", "An edited answer"), encoding="utf-8")
    code, _, err = run("build", "readme", "--check", "--content", str(tiny), "--out", str(out))
    assert code == 1 and "README.md is stale" in err


def test_stats_json_shape(run, tiny):
    code, out, _ = run("stats", "--json", "--content", str(tiny))
    assert code == 0
    assert json.loads(out) == {
        "published": 2, "drafts": 1, "sources": 1,
        "sections": [{"id": "basics", "title": "Basics & More",
                      "levels": {"basic": 1, "intermediate": 0, "advanced": 1}, "drafts": 1}],
    }


def test_stats_table(run, tiny):
    code, out, _ = run("stats", "--content", str(tiny))
    assert code == 0 and "Basics & More" in out and "2 published, 1 drafts, 1 sections, 1 sources" in out


def test_committed_generated_files_are_fresh():
    result = subprocess.run([str(STUDYKIT), "build", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_image_pointing_outside_content_fails_and_leaks_nothing(run, tiny, tmp_path):
    out = tmp_path / "out"
    first = tiny / "01-basics" / "01-first.md"
    first.write_text(first.read_text(encoding="utf-8") + "\n![secret](/etc/passwd)\n\n![h](file:///etc/hostname)\n", encoding="utf-8")
    code, _, err = run("build", "--content", str(tiny), "--out", str(out))
    assert code == 1 and "not absolute: '/etc/passwd'" in err and "never fetched: 'file:///etc/hostname'" in err
    secret = Path("/etc/hostname").read_bytes().strip()
    leaked = [p for p in out.rglob("*") if p.is_file() and (b"root:x:" in p.read_bytes() or (secret and secret in p.read_bytes()))]
    assert not leaked


def test_without_out_outputs_go_beside_the_content_folder_never_to_the_cwd(tiny, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"STUDYKIT_CACHE": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([str(STUDYKIT), "build", "readme", "json", "--content", str(tiny)], cwd=elsewhere,
                            capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert list(elsewhere.iterdir()) == []
    assert (tiny.parent / "README.md").is_file() and (tiny.parent / "output" / "tiny.json").is_file()
    check = subprocess.run([str(STUDYKIT), "build", "readme", "--check", "--content", str(tiny)], cwd=elsewhere,
                           capture_output=True, text=True, env=env)
    assert check.returncode == 0, check.stderr  # --check compares the README beside the content too
    relative = subprocess.run([str(STUDYKIT), "build", "readme", "--content", "content"], cwd=tiny.parent,
                              capture_output=True, text=True, env=env)
    assert relative.returncode == 0 and "wrote" not in relative.stderr  # the same README: relative paths agree
    assert "beside the content folder" in subprocess.run([str(STUDYKIT), "build", "--help"], capture_output=True, text=True).stdout


def drafts_only(tiny: Path) -> None:
    first = tiny / "01-basics" / "01-first.md"
    first.write_text(first.read_text(encoding="utf-8").replace("level: basic\n", "level: basic\nstatus: draft\n").replace("related: [second]\n", ""), encoding="utf-8")
    second = tiny / "01-basics" / "02-second.md"
    second.write_text(second.read_text(encoding="utf-8").replace("level: advanced\n", "level: advanced\nstatus: draft\n"), encoding="utf-8")


def test_a_build_with_no_published_question_fails_and_writes_nothing(run, tiny, tmp_path):
    drafts_only(tiny)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    for args in (["build"], ["build", "readme"], ["build", "--check"], ["watch"]):
        code, out, err = run(*args, "--content", str(tiny))
        assert code == 1, (args, err)
        assert "no published question, nothing to build; 3 questions are drafts: set `status: published` once a " \
               "question has a short answer, an answer and a source" in err, args
        assert "Traceback" not in err
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before  # not even the Anki note record


def test_an_empty_build_under_optional_sources_asks_for_no_source(run, tiny):
    drafts_only(tiny)
    (tiny / "corpus.yaml").write_text((tiny / "corpus.yaml").read_text(encoding="utf-8") + "sources: optional\n", encoding="utf-8")
    code, _, err = run("build", "json", "--content", str(tiny))
    assert code == 1 and "once a question has a short answer, an answer\n" in err


def test_pdf_workers_start_once_before_loading_and_stop_on_a_content_error(run, tiny, tmp_path, monkeypatch):
    """The PDF workers start while the content loads (once: the build uses them), and a content
    error stops them at once instead of leaving them behind."""
    from builders import build, workers

    started = []
    start_workers = workers.start_workers
    spy = lambda *args: started.append(args) or start_workers(*args)  # noqa: E731
    monkeypatch.setattr(workers, "start_workers", spy)
    monkeypatch.setattr(build, "start_workers", spy)
    assert run("build", "pdf", "--content", str(tiny), "--out", str(tmp_path / "out"), "-j", "2")[0] == 0
    assert started == [(2, "a4")]
    (tiny / "01-basics" / "02-second.md").write_text("---\nid: second\n", encoding="utf-8")  # broken
    code, _, err = run("build", "pdf", "--content", str(tiny), "--out", str(tmp_path / "out"), "-j", "2")
    assert code == 1 and "02-second.md" in err and "Traceback" not in err
    assert len(started) == 2
    assert no_workers_left()


def test_watch_keeps_its_pdf_workers_warm_between_rebuilds(run, tiny, tmp_path, monkeypatch):
    """`watch` starts its PDF workers once and lays out each change with them; a content error
    leaves them running, a failed PDF build replaces them; they are stopped when watch ends."""
    from builders import build, cli, workers

    started, stopped, handouts = [], [], []
    start_workers, stop_workers = workers.start_workers, workers.stop_workers
    monkeypatch.setattr(workers, "start_workers", lambda *args: started.append(args) or start_workers(*args))
    for module in (workers, build):
        monkeypatch.setattr(module, "stop_workers", lambda pool: stopped.append(pool) or stop_workers(pool))
    out = tmp_path / "out"
    first = tiny / "01-basics" / "01-first.md"
    original = first.read_text(encoding="utf-8")
    render = build.render_jobs

    def failing_once(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        if not getattr(failing_once, "done", False) and any(job.format == "pdf" for job in args[1]):
            failing_once.done = True
            raise RuntimeError("a worker died")
        return render(*args, **kwargs)

    def loop(args, rebuild) -> None:  # noqa: ANN001 - a scripted watch_loop: four saves
        rebuild(first=True)
        handouts.append((out / "tiny-handout.pdf").read_bytes())
        first.write_text(original + "\nA first watched edit.\n", encoding="utf-8")
        rebuild()
        handouts.append((out / "tiny-handout.pdf").read_bytes())
        first.write_text(original.replace("level: basic", "level: expert"), encoding="utf-8")
        rebuild()  # a content error: no PDF build
        first.write_text(original + "\nA second watched edit.\n", encoding="utf-8")
        monkeypatch.setattr(build, "render_jobs", failing_once)
        rebuild()  # the PDF build fails: its workers are stopped
        rebuild()
        handouts.append((out / "tiny-handout.pdf").read_bytes())

    monkeypatch.setattr(cli, "watch_loop", loop)
    code, _, err = run("watch", "--content", str(tiny), "--out", str(out), "-j", "2")
    assert code == 0, err
    assert err.count("still watching") == 2 and "RuntimeError: a worker died; still watching" in err
    assert len(set(handouts)) == 3  # each edit reached the handout
    assert len(started) == 2 and len(stopped) == 2  # kept through three builds; replaced once; stopped at the end
    assert no_workers_left()


def no_workers_left(seconds: float = 10) -> bool:
    """Whether this process's child processes are all gone within `seconds`."""
    import multiprocessing
    import time

    deadline = time.monotonic() + seconds
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.1)
    return not multiprocessing.active_children()
