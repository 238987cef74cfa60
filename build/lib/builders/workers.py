"""Worker processes end with the build that started them, however it ends (kill -9, OOM killer)."""
from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
WATCH_INTERVAL = 0.5  # seconds between two looks at the parent, where the kernel cannot be asked


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
