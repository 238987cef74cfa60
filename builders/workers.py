"""The build's worker processes: started early (warming WeasyPrint up), stopped at once on an error, and ended with the build that started them, however it ends (kill -9, OOM killer)."""
from __future__ import annotations

import atexit
import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
WATCH_INTERVAL = 0.5  # seconds between two looks at the parent, where the kernel cannot be asked


def start_workers(workers: int, paper: str) -> ProcessPoolExecutor:
    """Up to `workers` processes for the PDFs, each of which starts WeasyPrint as it starts
    (pdf.warm_up). The first starts at once, while this process imports the builders, loads the
    content and makes the documents; the others when there is work for them (so after an edit,
    when one document is laid out again, the first is not slowed down by the others starting).
    Whoever starts them stops them (stop_workers), also on an error. Light to import: a build
    starts them before it imports the builders."""
    context = multiprocessing.get_context("spawn")  # no fork: the parent may hold a V8 isolate
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_start_worker,
                               initargs=(os.getpid(), paper))
    pool.submit(int)  # a worker starts when a task waits and none is idle
    return pool


def _start_worker(parent: int, paper: str) -> None:
    """In a worker: end with the parent `parent` even when it is killed outright (kill -9, the
    OOM killer), leave Ctrl-C to the parent, which stops the workers itself (no tracebacks from
    each of them), and on exit skip tearing down the heap object by object (up to a second after
    a large PDF; the results are sent by then, and the pool does not read exit codes). Then warm
    WeasyPrint up for `paper` (should that fail, the first render fails the same way and says why)."""
    die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    atexit.register(os._exit, 0)
    from .pdf import warm_up

    with contextlib.suppress(Exception):
        warm_up(paper)


def stop_workers(pool: ProcessPoolExecutor) -> None:
    """Kill the workers now rather than let them finish their PDFs. Python 3.11 has no public way
    (3.14 adds terminate_workers()); multiprocessing.Pool has one, but it hangs for ever when a
    worker dies, where this executor reports BrokenProcessPool."""
    for process in list((pool._processes or {}).values()):  # noqa: SLF001
        process.terminate()
    pool.shutdown(wait=False, cancel_futures=True)


def die_with_parent(parent: int) -> None:
    """Call first thing in a worker whose parent is `parent` (its pid, passed from the parent).

    On Linux the kernel sends this process SIGKILL the moment its parent ends (prctl
    PR_SET_PDEATHSIG; strictly, when the parent's thread that started it ends: the pool starts
    its workers from the build's main thread). A parent that died before that call is caught by
    comparing getppid() with `parent` right after it. Elsewhere a daemon thread does the same
    comparison twice a second. Once the workers are gone, multiprocessing's resource tracker
    ends too: it exits when the last holder of its pipe does.
    """
    if not _kernel_kills_on_parent_death():
        threading.Thread(target=_watch, args=(parent,), name="parent-watch", daemon=True).start()
    if os.getppid() != parent:  # the parent is already gone (we were reparented)
        os._exit(1)


def _kernel_kills_on_parent_death() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        args = (ctypes.c_ulong(int(signal.SIGKILL)), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))
        return libc.prctl(PR_SET_PDEATHSIG, *args) == 0
    except (OSError, AttributeError):
        return False


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(WATCH_INTERVAL)
    os._exit(1)
