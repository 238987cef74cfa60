"""Incremental, parallel and reproducible builds; the math cache; watch mode."""
from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

STUDYKIT = Path(sys.executable).parent / "studykit"


def build(tiny: Path, out: Path, *extra: str, epoch: str = "1700000000", cache: Path | None = None) -> subprocess.CompletedProcess:
    env = {"SOURCE_DATE_EPOCH": epoch, "PATH": "/usr/bin:/bin"}
    if cache:
        env["STUDYKIT_CACHE"] = str(cache)
    return subprocess.run([str(STUDYKIT), "build", "--content", str(tiny), "--out", str(out), *extra],
                          capture_output=True, text=True, env=env, cwd=tiny.parent)


def files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file()}


def test_unchanged_tree_rebuilds_nothing_and_deleted_or_edited_outputs_are_rebuilt(tiny, tmp_path):
    out, cache = tmp_path / "out", tmp_path / "cache"
    assert build(tiny, out, cache=cache).returncode == 0
    second = build(tiny, out, cache=cache)
    assert "nothing to rebuild" in second.stderr and "building" not in second.stderr
    (out / "tiny.json").unlink()
    third = build(tiny, out, cache=cache)
    assert "building json" in third.stderr and "building readme" not in third.stderr and (out / "tiny.json").is_file()
    first = tiny / "01-basics" / "01-first.md"
    first.write_text(first.read_text(encoding="utf-8") + "\nEdited.\n", encoding="utf-8")
    fourth = build(tiny, out, cache=cache)
    for name in ("readme", "json", "html", "pdf:handout", "anki"):
        assert f"building {name}" in fourth.stderr
    assert b"Edited." in (out / "tiny.json").read_bytes()
    assert any((cache / "math").rglob("*")) and any((cache / "katex").rglob("*"))


def test_parallel_and_serial_builds_are_byte_identical_and_reproducible(tiny, tmp_path):
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    assert build(tiny, serial, "-j", "1", cache=tmp_path / "c1").returncode == 0
    result = build(tiny, parallel, "-j", "4", cache=tmp_path / "c2")
    assert result.returncode == 0 and "built math (" in result.stderr  # formulas rendered by the workers first
    a, b = files(serial), files(parallel)
    assert a.keys() == b.keys() and len(a) == 7
    for name in a:
        assert a[name] == b[name], name


def test_the_cache_is_safe_to_delete(tiny, tmp_path):
    out, cache = tmp_path / "out", tmp_path / "cache"
    assert build(tiny, out, cache=cache).returncode == 0
    before = files(out)
    import shutil

    shutil.rmtree(cache)
    assert build(tiny, out, "--force", cache=cache).returncode == 0
    assert files(out) == before


def test_apkg_collection_is_identical_across_builds(tiny, tmp_path):
    tables = []
    for name in ("x", "y"):
        out = tmp_path / name
        assert build(tiny, out, "--force", cache=tmp_path / f"cache-{name}").returncode == 0
        db = tmp_path / f"{name}.anki2"
        db.write_bytes(zipfile.ZipFile(out / "tiny.apkg").read("collection.anki2"))
        with sqlite3.connect(db) as con:
            tables.append([con.execute(f"select * from {t} order by 1").fetchall() for t in ("notes", "cards", "col")])
    assert tables[0] == tables[1]


def test_watch_rebuilds_on_save_and_survives_errors(tiny, tmp_path):
    out = tmp_path / "out"
    proc = subprocess.Popen([str(STUDYKIT), "watch", "--content", str(tiny), "--out", str(out), "-j", "1"],
                            stderr=subprocess.PIPE, text=True, cwd=tiny.parent, env={"STUDYKIT_CACHE": str(tmp_path / "c"), "PATH": "/usr/bin:/bin"})
    log: list[str] = []
    try:

        def wait_for(text: str, seconds: float = 90) -> None:
            deadline = time.time() + seconds
            while time.time() < deadline:
                line = proc.stderr.readline()
                log.append(line)
                if text in line:
                    return
            raise AssertionError(f"never saw {text!r}: {''.join(log)}")

        wait_for("watching")
        first = tiny / "01-basics" / "01-first.md"
        original = first.read_text(encoding="utf-8")
        first.write_text(original.replace("level: basic", "level: expert"), encoding="utf-8")
        wait_for("still watching")
        first.write_text(original + "\nWatched edit.\n", encoding="utf-8")
        wait_for("building json")
        deadline = time.time() + 60
        while b"Watched edit." not in (out / "tiny.json").read_bytes() and time.time() < deadline:
            time.sleep(0.2)
        assert b"Watched edit." in (out / "tiny.json").read_bytes(), "".join(log)
        assert proc.poll() is None, "".join(log)  # the error did not stop it
    except BaseException:
        proc.terminate()
        print("watch log:\n" + "".join(log) + proc.stderr.read())  # shown by pytest on failure
        raise
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def imports_after_build(tiny: Path, out: Path, cache: Path, *formats: str) -> tuple[str, set[str]]:
    """Run a build in a fresh interpreter: (its stderr, the heavy modules it imported)."""
    code = ("import sys; from builders.cli import main; code = main(sys.argv[1:]); "
            "print(sorted(m for m in ('pydantic', 'markdown_it', 'weasyprint', 'genanki', 'yaml', 'py_mini_racer') if m in sys.modules)); "
            "sys.exit(code)")
    result = subprocess.run([sys.executable, "-c", code, "build", *formats, "--content", str(tiny), "--out", str(out)],
                            capture_output=True, text=True, cwd=tiny.parent,
                            env={"SOURCE_DATE_EPOCH": "1700000000", "STUDYKIT_CACHE": str(cache), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    return result.stderr, set(eval(result.stdout))  # noqa: S307 - our own printed list


def test_a_no_op_build_reads_only_raw_bytes(tiny, tmp_path):
    out, cache = tmp_path / "out", tmp_path / "cache"
    err, heavy = imports_after_build(tiny, out, cache, "readme", "json", "anki")
    assert "building readme" in err and {"pydantic", "markdown_it", "genanki"} <= heavy
    err, heavy = imports_after_build(tiny, out, cache, "readme", "json", "anki")
    assert "nothing to rebuild (inputs unchanged" in err and heavy == set()
    (tiny / ".notes.swp").write_text("editor scratch", encoding="utf-8")  # dot files are ignored, as by the loader
    assert "inputs unchanged" in imports_after_build(tiny, out, cache, "readme", "json", "anki")[0]


def test_an_edit_that_keeps_its_formulas_does_not_start_katex(tiny, tmp_path):
    """KaTeX verdicts are remembered per formula: re-checking an edited answer whose formulas are
    unchanged does not start V8 (a tenth of a second)."""
    out, cache = tmp_path / "out", tmp_path / "cache"
    assert "py_mini_racer" in imports_after_build(tiny, out, cache, "readme")[1]
    edit = next(path for path in sorted(tiny.rglob("*.md")) if "$" in path.read_text(encoding="utf-8"))
    edit.write_text(edit.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")
    err, heavy = imports_after_build(tiny, out, cache, "readme")
    assert "building readme" in err and "markdown_it" in heavy and "py_mini_racer" not in heavy
    edit.write_text(edit.read_text(encoding="utf-8") + "\nAnd $x_{new}^2$.\n", encoding="utf-8")
    assert "py_mini_racer" in imports_after_build(tiny, out, cache, "readme")[1]


def test_the_raw_byte_check_is_not_fooled(tiny, tmp_path):
    out, cache = tmp_path / "out", tmp_path / "cache"
    first = tiny / "01-basics" / "01-first.md"
    original = first.read_text(encoding="utf-8")
    assert build(tiny, out, "readme", "json", "anki", cache=cache).returncode == 0
    # an output changed by hand is rebuilt
    (out / "README.md").write_text("hand edit\n", encoding="utf-8")
    result = build(tiny, out, "readme", "json", "anki", cache=cache)
    assert "building readme" in result.stderr and b"hand edit" not in (out / "README.md").read_bytes()
    # a new file in the content folder is loaded (and here, reported)
    (tiny / "01-basics" / "notes.txt").write_text("x", encoding="utf-8")
    result = build(tiny, out, "readme", "json", "anki", cache=cache)
    assert result.returncode == 1 and "notes.txt" in result.stderr
    (tiny / "01-basics" / "notes.txt").unlink()
    # another kind of build rebuilds README from edited content; the content is then reverted:
    # the README must come back, even though the full build's inputs are the same as before
    first.write_text(original + "\nTemporary edit.\n", encoding="utf-8")
    assert build(tiny, out, "readme", cache=cache).returncode == 0
    assert b"Temporary edit." in (out / "README.md").read_bytes()
    first.write_text(original, encoding="utf-8")
    result = build(tiny, out, "readme", "json", "anki", cache=cache)
    assert "building readme" in result.stderr and b"Temporary edit." not in (out / "README.md").read_bytes()
    # a changed Anki note record is not trusted either
    lock = tiny / "anki-notes.lock.json"
    lock.write_text(lock.read_text(encoding="utf-8").replace("}", "} ", 1), encoding="utf-8")
    assert "inputs unchanged" not in build(tiny, out, "readme", "json", "anki", cache=cache).stderr


def test_clean_verdicts_are_cached_but_problems_never_are(tiny, tmp_path, run, monkeypatch):
    monkeypatch.setenv("STUDYKIT_CACHE", str(tmp_path / "cache"))
    assert run("check", "--content", str(tiny))[0] == 0
    assert any((tmp_path / "cache" / "clean").rglob("*"))
    first = tiny / "01-basics" / "01-first.md"
    original = first.read_text(encoding="utf-8")
    first.write_text(original + "\nA stray $ sign and <b>html</b>.\n", encoding="utf-8")
    for _ in range(2):  # the same problems, with their lines, every time
        code, _, err = run("check", "--content", str(tiny))
        assert code == 1 and "stray '$'" in err and "raw HTML" in err
    first.write_text(original, encoding="utf-8")
    assert run("check", "--content", str(tiny))[0] == 0


def test_progress_is_live_on_a_terminal_plain_in_a_pipe_and_silent_with_q(tiny, tmp_path):
    import os
    import pty
    import select

    env = {"SOURCE_DATE_EPOCH": "1700000000", "STUDYKIT_CACHE": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin",
           "TERM": "xterm"}
    args = [str(STUDYKIT), "build", "readme", "json", "--content", str(tiny), "--force"]
    master, slave = pty.openpty()
    proc = subprocess.Popen([*args, "--out", str(tmp_path / "a")], stderr=slave, stdout=subprocess.DEVNULL,
                            env=env, cwd=tiny.parent)
    os.close(slave)
    shown = b""
    while select.select([master], [], [], 60)[0]:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    assert proc.wait(timeout=60) == 0
    os.close(master)
    assert b"\x1b[" in shown and b"built readme in" in shown and b"2/2" in shown  # rich's live bar
    piped = subprocess.run([*args, "--out", str(tmp_path / "b")], capture_output=True, text=True, env=env, cwd=tiny.parent)
    assert "\x1b[" not in piped.stderr and "building json\n" in piped.stderr and "built json in" in piped.stderr
    quiet = subprocess.run([*args, "--out", str(tmp_path / "c"), "-q"], capture_output=True, text=True, env=env, cwd=tiny.parent)
    assert quiet.returncode == 0 and quiet.stderr == ""


def test_a_damaged_build_state_means_a_full_rebuild_not_a_crash(tiny, tmp_path):
    out, cache = tmp_path / "out", tmp_path / "cache"
    assert build(tiny, out, "readme", "json", cache=cache).returncode == 0
    state = cache / "build-state.json"
    for damage in ('{"runs": {"x": 1}, "readme|a|b": {"files": 3}}', "[1, 2]", "{not json", '{"json|x|y": {"files": ["old format"]}}'):
        state.write_text(damage, encoding="utf-8")
        result = build(tiny, out, "readme", "json", cache=cache)
        assert result.returncode == 0 and "building readme" in result.stderr, (damage, result.stderr)
        assert "inputs unchanged" in build(tiny, out, "readme", "json", cache=cache).stderr  # and healed


def test_formulas_are_parsed_again_only_for_edited_texts(tmp_path, monkeypatch):
    """The math-cache check lists every answer's formulas: from .cache/formulas/ for a text seen
    before (the same lists as parsing it), by parsing only for a new one."""
    from builders import build as build_module
    from builders import html as html_module
    from schema import load_corpus
    from schema.markdown import formulas

    from .conftest import CONTENT

    monkeypatch.setenv("STUDYKIT_CACHE", str(tmp_path))
    corpus = load_corpus(CONTENT)
    first = build_module.all_formulas(corpus)
    assert first == [f for q in corpus.published for text in (q.short_answer, q.answer) for f in formulas(text)]
    assert len(first) > 1000
    parsed = []
    monkeypatch.setattr(html_module, "formulas", lambda text: parsed.append(text) or formulas(text))
    assert build_module.all_formulas(corpus) == first
    assert parsed == []
    assert html_module.remembered_formulas("An edit: $d_k$\n\n$$\nh\n$$\n") == [("d_k", False), ("\nh\n", True)]
    assert parsed == ["An edit: $d_k$\n\n$$\nh\n$$\n"]
