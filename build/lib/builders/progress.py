"""Progress on stderr: a live display (rich) on a terminal, plain lines otherwise, none with -q."""
from __future__ import annotations

import os
import sys
import time

from schema.errors import printable

QUIET = False


def log(message: str) -> None:
    """Progress goes to stderr, never stdout (and not at all with -q); file names in it are
    escaped like errors (schema.errors.printable)."""
    if not QUIET:
        print(printable(message), file=sys.stderr, flush=True)


def on_terminal() -> bool:
    return not QUIET and sys.stderr.isatty() and os.environ.get("TERM") != "dumb"


class Progress:
    """Tracks the jobs of one build: which are running, how many are done, how long each took."""

    def __init__(self, total: int):
        self.running: dict[str, float] = {}
        self.bar = None
        if on_terminal():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, SpinnerColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as Live

            self.bar = Live(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), console=Console(stderr=True, highlight=False))
            self.task = self.bar.add_task("building", total=total)
            self.bar.start()

    def _describe(self) -> None:
        self.bar.update(self.task, description=f"building {', '.join(self.running) or '…'}")

    def started(self, name: str) -> None:
        self.running[name] = time.perf_counter()
        if self.bar:
            self._describe()
        else:
            log(f"building {name}")

    def finished(self, name: str) -> None:
        seconds = time.perf_counter() - self.running.pop(name)
        if self.bar:
            self.bar.console.print(f"built {name} in {seconds:.1f} s")
            self.bar.advance(self.task)
            self._describe()
        else:
            log(f"built {name} in {seconds:.1f} s")

    def close(self) -> None:
        if self.bar:
            self.bar.stop()
            self.bar = None
