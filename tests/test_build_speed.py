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
    assert build(tiny, parallel, "-j", "4", cache=tmp_path / "c2").returncode == 0
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
    try:
        log = []

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
        assert b"Watched edit." in (out / "tiny.json").read_bytes()
        assert proc.poll() is None  # the error did not stop it
    finally:
        proc.terminate()
        proc.wait(timeout=30)
