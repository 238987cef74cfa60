"""A build ends cleanly whatever stops it: Ctrl-C inside V8, a full disk, kill -9 of the build."""
from __future__ import annotations

import errno
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from builders import output

from .test_hardening import edit, snapshot

STUDYKIT = Path(sys.executable).parent / "studykit"


def until(condition: Callable[[], object], seconds: float, step: float = 0.02) -> object:
    """Poll `condition` until it returns something true or `seconds` pass; returns its last value."""
    deadline = time.monotonic() + seconds
    while not (value := condition()) and time.monotonic() < deadline:
        time.sleep(step)
    return value


def matrix(i: int, j: int) -> str:
    """A distinct 3x3 matrix of fractions and roots: several milliseconds of KaTeX."""
    cells = [" & ".join(f"\\frac{{x_{{{r}{c}}}+{i}}}{{\\sqrt{{y_{{{j}}}}}}}" for c in range(3)) for r in range(3)]
    return "$$\\begin{pmatrix}" + " \\\\ ".join(cells) + "\\end{pmatrix}$$"


def add_formulas(content: Path, files: int, per_file: int) -> None:
    """Question files with `per_file` distinct matrices each (in no cache)."""
    for i in range(files):
        body = "\n\n".join(matrix(i, j) for j in range(per_file))
        (content / "01-basics" / f"50{i:03d}-many.md").write_text(
            f"---\nid: many{i}\nquestion: Which matrices are these, number {i}?\nlevel: basic\n"
            f"short_answer: >-\n  Matrices number {i}.\nsources: [vaswani2017]\n---\n{body}\n", encoding="utf-8")


def waiting_on_v8(pid: int) -> bool:
    """The main thread sleeps on a futex while V8 threads exist: it waits for KaTeX's answer (a
    single-threaded Python process never waits on a futex)."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
        state = Path(f"/proc/{pid}/task/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        wchan = Path(f"/proc/{pid}/task/{pid}/wchan").read_text()
    except (OSError, IndexError):
        return False
    return len(tasks) >= 3 and state == "S" and "futex" in wchan


def verdicts(cache: Path) -> int:
    """KaTeX verdicts cached on disk so far."""
    return sum(1 for path in (cache / "katex").rglob("*") if path.is_file())


@pytest.mark.parametrize("after", [0, 60], ids=["while-V8-starts", "while-checking-formulas"])
def test_ctrl_c_while_katex_validates_prints_only_the_interrupt_message(tiny, tmp_path, after):
    """Ctrl-C while V8 starts or checks formulas (`after` verdicts already on disk): no
    "Exception ignored", no traceback, no pending-task warning from the V8 event loop; exit 130."""
    files, per_file = 12, 50
    add_formulas(tiny, files, per_file)
    cache = tmp_path / "cache"
    proc = subprocess.Popen([str(STUDYKIT), "check", "--content", str(tiny)], stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "STUDYKIT_CACHE": str(cache)})
    # where the kernel hides wchan, the first verdicts on disk say the formulas are being checked
    assert until(lambda: (verdicts(cache) >= after and waiting_on_v8(proc.pid)) or verdicts(cache) > after + 50
                 or proc.poll() is not None, 60, step=0.002)
    proc.send_signal(signal.SIGINT)
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 130, err
    assert verdicts(cache) < files * per_file, "the signal came after the formulas were checked"
    assert err.splitlines()[-1] == "interrupted; earlier outputs are unchanged", err
    for noise in ("Traceback", "Exception ignored", "Event loop is closed", "Task was destroyed"):
        assert noise not in err, err


def full_disk_for(folder: Path, real_write: Callable[[int, bytes], int], after_bytes: int = 0) -> Callable[[int, bytes], int]:
    """os.write that fails with ENOSPC for files in `folder` once `after_bytes` are written there."""
    written = {"n": 0}

    def write(fd: int, data: bytes) -> int:
        if Path(os.readlink(f"/proc/self/fd/{fd}")).parent == folder.resolve():
            if written["n"] + len(data) > after_bytes:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            written["n"] += len(data)
        return real_write(fd, data)

    return write


def test_a_full_disk_names_the_file_and_leaves_no_temporary_file(tiny, tmp_path, monkeypatch, run):
    out = tmp_path / "out"
    assert run("build", "json", "html", "--content", str(tiny), "--out", str(out))[0] == 0
    before = snapshot(out)
    edit(tiny)
    monkeypatch.setattr(os, "write", full_disk_for(out, os.write, after_bytes=1000))  # part of the JSON fits
    code, _, err = run("build", "json", "html", "-j", "1", "--content", str(tiny), "--out", str(out))
    assert code == 1 and "Traceback" not in err, err
    names = [line for line in err.splitlines() if line.startswith("Error: ")]
    assert len(names) == 1 and names[0].endswith(": No space left on device; earlier outputs are unchanged"), err
    assert names[0].removeprefix("Error: ").split(":")[0].endswith((".json", ".html")), err
    assert snapshot(out) == before  # no half-written file, no temporary file, old outputs intact


def test_a_real_write_error_names_the_file_and_leaves_no_temporary_file(tiny, tmp_path):
    """The kernel refuses the write (a file-size limit, as a full disk would; no root needed):
    whatever way the bytes are written, the failed build names the file and cleans up."""
    out, env = tmp_path / "out", {**os.environ, "STUDYKIT_CACHE": str(tmp_path / "cache")}
    command = [str(STUDYKIT), "build", "json", "html", "--content", str(tiny), "--out", str(out)]
    assert subprocess.run(command, capture_output=True, env=env).returncode == 0
    before = snapshot(out)
    assert len(before["tiny.json"]) < 4096 < len(before["tiny.html"])
    edit(tiny)

    def limit() -> None:  # Python ignores SIGXFSZ, so the write fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    result = subprocess.run(command, capture_output=True, text=True, env=env, preexec_fn=limit)  # noqa: PLW1509
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.splitlines()[-1] == f"Error: {out / 'tiny.html'}: File too large; earlier outputs are unchanged"
    assert snapshot(out) == before


def test_a_full_disk_while_renaming_removes_the_staged_files(tiny, tmp_path, monkeypatch, run):
    out = tmp_path / "out"
    assert run("build", "json", "html", "--content", str(tiny), "--out", str(out))[0] == 0
    before = snapshot(out)
    edit(tiny)
    real_replace = os.replace

    def replace(src: Path, dst: Path) -> None:
        if Path(dst).parent == out.resolve() or Path(dst).parent == out:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_replace(src, dst)

    monkeypatch.setattr(output.os, "replace", replace)
    code, _, err = run("build", "json", "html", "-j", "1", "--content", str(tiny), "--out", str(out))
    assert code == 1 and "No space left on device; earlier outputs are unchanged" in err and "Traceback" not in err, err
    assert snapshot(out) == before


def test_staging_removes_its_temporary_file_when_a_write_fails(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "write", full_disk_for(tmp_path, os.write))
    staging = output.Staging()
    try:
        staging.write_bytes(tmp_path / "x.pdf", b"%PDF" * 1000)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC and exc.filename.endswith("x.pdf")
        assert "earlier outputs are unchanged" in exc.strerror
    else:
        raise AssertionError("the write did not fail")
    assert list(tmp_path.iterdir()) == [] and staging.pending == []


def process_state(pid: int) -> str:
    """The /proc state letter of a process ('' once it is gone; 'Z' for a zombie)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return ""


def children(pid: int) -> dict[int, bytes]:
    """Every live child process of `pid`, with its command line."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid and fields[0] not in "ZX":
            found[int(stat.parent.name)] = command
    return found


def test_kill_9_of_a_build_leaves_no_worker_or_resource_tracker_behind(tiny, tmp_path):
    """As when the OOM killer takes the build: its PDF workers and multiprocessing's resource
    tracker end within seconds instead of idling for ever."""
    proc = subprocess.Popen([str(STUDYKIT), "build", "-j", "2", "--content", str(tiny), "--out", str(tmp_path / "out")],
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "STUDYKIT_CACHE": str(tmp_path / "cache")})
    seen = ""
    deadline = time.monotonic() + 120
    while "building pdf:" not in seen and time.monotonic() < deadline and proc.poll() is None:
        seen += proc.stderr.readline()  # the workers have run their start-up and are rendering
    spawned = until(lambda: {pid: cmd for pid, cmd in children(proc.pid).items() if b"spawn_main" in cmd}
                    if len(children(proc.pid)) >= 3 else {}, 30)
    family = children(proc.pid)
    assert len(spawned) == 2 and any(b"resource_tracker" in cmd for cmd in family.values()), (seen, family)
    proc.kill()
    proc.wait(timeout=30)
    proc.stderr.close()
    left = until(lambda: not [pid for pid in family if process_state(pid) not in ("", "Z", "X")], 20, step=0.1)
    assert left, {pid: (process_state(pid), family[pid]) for pid in family}


WORKER = """
import os, sys, time
from builders import workers
if sys.argv[1] == "watchdog":  # as on a system without prctl
    workers._kernel_kills_on_parent_death = lambda: False
workers.die_with_parent(int(sys.argv[2]) if len(sys.argv) > 2 else os.getppid())
print("ready", flush=True)
time.sleep(60)
"""
PARENT = """
import subprocess, sys
child = subprocess.Popen([sys.executable, "-c", sys.argv[1], sys.argv[2]], stdout=subprocess.PIPE, text=True)
assert child.stdout.readline() == "ready\\n"
print(child.pid, flush=True)
child.wait()
"""


@pytest.mark.parametrize("way", ["prctl", "watchdog"])
def test_a_worker_ends_within_seconds_of_its_parent_being_killed(way: str) -> None:
    parent = subprocess.Popen([sys.executable, "-c", PARENT, WORKER, way], stdout=subprocess.PIPE, text=True,
                              cwd=Path(__file__).resolve().parent.parent)
    worker = int(parent.stdout.readline())
    assert process_state(worker) not in ("", "Z")
    parent.kill()
    parent.wait(timeout=30)
    parent.stdout.close()
    assert until(lambda: process_state(worker) in ("", "Z", "X"), 10, step=0.05), f"worker {worker} outlived its parent"


def test_while_a_batch_is_laid_out_a_second_worker_starts_for_the_next() -> None:
    """With one document to lay out and the first worker busy with it, the pool starts the
    second worker at once (warm when the contents and footers follow), not when they arrive."""
    from builders import build, pdf, workers

    pool = workers.start_workers(2, "a4")
    try:
        deadline = time.monotonic() + 30
        while pool._idle_worker_semaphore._value < 1 and time.monotonic() < deadline:  # noqa: SLF001
            time.sleep(0.01)  # the first worker warm, and counted idle
        assert len(pool._processes) == 1  # noqa: SLF001
        task = ('<html lang="en"><p>One page.</p></html>', False, pdf.stylesheets("a4")[0])
        (data, _), = build._pool_runner(pool, [])([task])  # noqa: SLF001
        assert data.startswith(b"%PDF")
        assert len(pool._processes) == 2  # noqa: SLF001
    finally:
        workers.stop_workers(pool)


def test_a_worker_whose_parent_is_already_gone_exits_at_once() -> None:
    """The parent died before the worker could ask the kernel (we were reparented): exit 1."""
    done = subprocess.run([sys.executable, "-c", WORKER, "prctl", "1"], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parent.parent, timeout=60)
    assert done.returncode == 1 and "ready" not in done.stdout


def test_katex_works_when_the_caller_runs_an_asyncio_loop(tmp_path: Path) -> None:
    """A loop running in the calling thread (a notebook's, Playwright's) must not be adopted by the
    embedded V8, whose calls would then wait on a loop that is blocked waiting for them."""
    script = ("import asyncio\nfrom schema.tex import tex_errors\n"
              "async def main():\n    return tex_errors([('x^2', False), ('\\\\frac{1}{', False)])\n"
              "print(asyncio.run(main()))\n")
    env = {**os.environ, "STUDYKIT_CACHE": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env,
                          cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 0, done.stderr
    verdicts = eval(done.stdout)  # noqa: S307 - our own script's printed list
    assert verdicts[0] == "" and verdicts[1]
