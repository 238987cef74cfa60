"""The build's worker processes: started early (warming WeasyPrint up), stopped at once when the build is done or fails, and ended with the build that started them, however it ends (kill -9, OOM killer)."""
from __future__ import annotations

import atexit
import contextlib
import ctypes
import hashlib
import multiprocessing
import multiprocessing.queues
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
WATCH_INTERVAL = 0.5  # seconds between two looks at the parent, where the kernel cannot be asked
LISTEN_INTERVAL = 0.5  # seconds between two looks at whether the workers were stopped, while no layout comes


def start_workers(workers: int, paper: str) -> Workers:
    """Up to `workers` processes for the PDFs, each of which starts WeasyPrint as it starts
    (pdf.warm_up). The first starts at once, while this process imports the builders, loads the
    content and makes the documents; the others when there is work for them (so after an edit,
    when one document is laid out again, the first is not slowed down by the others starting).
    Whoever starts them stops them (stop_workers), also on an error. Light to import: a build
    starts them before it imports the builders."""
    context = multiprocessing.get_context("spawn")  # no fork: the parent may hold a V8 isolate
    layouts = context.Queue()
    pool = Workers(max_workers=workers, mp_context=context, initializer=_start_worker,
                   initargs=(os.getpid(), paper, layouts))
    pool.ready = pool.submit(int)  # a worker starts when a task waits and none is idle
    pool.layouts, pool.listener, pool.listening = layouts, None, True
    threading.Thread(target=_listen, args=(pool,), name="layouts", daemon=True).start()
    return pool


class Workers(ProcessPoolExecutor):
    """The pool; `ready`: a future done once the first worker has warmed up; `listener(digest,
    pages, anchors)`, if set, hears each document's layout as soon as a worker has it (see
    report_layout), in a thread of its own, which ends with the workers."""

    ready: Future
    layouts: multiprocessing.queues.Queue
    listener: Callable[[str, int, dict[str, int]], None] | None
    listening: bool


def _listen(pool: Workers) -> None:
    while pool.listening:
        try:
            message = pool.layouts.get(timeout=LISTEN_INTERVAL)
        except queue.Empty:
            continue
        except (OSError, EOFError, ValueError):
            return
        listener = pool.listener
        if listener is not None:
            listener(*message)


_LAYOUTS = None  # in a worker: where report_layout sends


def report_layout(document: str, pages: int, anchors: dict[str, int]) -> None:
    """In a worker, once `document` is laid out (before it is drawn and written): tell the
    build its page count and anchors (a build lays the handout's contents out with them while
    the part is still being written). Elsewhere, nothing."""
    if _LAYOUTS is not None:
        _LAYOUTS.put((document_digest(document), pages, anchors))


def document_digest(document: str) -> str:
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


def _start_worker(parent: int, paper: str, layouts: multiprocessing.queues.Queue) -> None:
    """In a worker: end with the parent `parent` even when it is killed outright (kill -9, the
    OOM killer), leave Ctrl-C to the parent, which stops the workers itself (no tracebacks from
    each of them), and on exit skip tearing down the heap object by object (up to a second after
    a large PDF; the results are sent by then, and the pool does not read exit codes). Then warm
    WeasyPrint up for `paper` (should that fail, the first render fails the same way and says why).
    Layouts are reported to `layouts` (report_layout)."""
    global _LAYOUTS  # noqa: PLW0603 - one per worker process
    _LAYOUTS = layouts
    die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stopped)
    atexit.register(os._exit, 0)
    from .pdf import warm_up

    with contextlib.suppress(Exception):
        warm_up(paper)


def _stopped(_signal: int, _frame: object) -> None:
    """In a worker, on SIGTERM (stop_workers): delete the fonts WeasyPrint unpacked, and exit now,
    whatever the worker was doing (a document, a warm-up, waiting for work)."""
    try:
        release = getattr(sys.modules.get(f"{__package__}.pdf"), "release_fonts", None)  # maybe still importing
        if release is not None:
            release()
    finally:
        os._exit(0)


def stop_workers(pool: Workers) -> None:
    """End the workers now (SIGTERM: each deletes its unpacked fonts and exits, see _stopped): on
    an error rather than let them finish their PDFs, and at the end of a build rather than wait
    for a worker still warming up. Python 3.11 has no public way (3.14 adds
    terminate_workers()); multiprocessing.Pool has one, but it hangs for ever when a worker dies,
    where this executor reports BrokenProcessPool. Returns once the workers are gone and the
    pool's own thread has ended (were it still ending at exit, Python's exit hook would write to
    the pipe it closes, and print an ignored exception)."""
    manager = pool._executor_manager_thread  # noqa: SLF001 - shutdown() forgets it
    for process in list((pool._processes or {}).values()):  # noqa: SLF001
        process.terminate()
    pool.shutdown(wait=False, cancel_futures=True)
    pool.listener, pool.listening = None, False  # its listener thread ends
    if manager is not None:
        manager.join(timeout=10)


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
