"""Atomic output writing (stage every file, rename all into place only on success) and the release time."""
from __future__ import annotations

import os
import signal
import tempfile
import time
from pathlib import Path


INTERRUPTED = False  # set by the CLI on Ctrl-C or SIGTERM, in case a C callback swallowed the exception


def release_time() -> int:
    """SOURCE_DATE_EPOCH when set (reproducible releases), else now (Unix seconds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    return int(epoch) if epoch.isdigit() else int(time.time())


class Staging:
    """Collects outputs as temporary files beside their targets; `commit()` renames them."""

    def __init__(self) -> None:
        self.pending: list[tuple[Path, Path]] = []

    def write_bytes(self, target: Path, data: bytes) -> Path:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        self.pending.append((Path(tmp), target))
        return target

    def write_text(self, target: Path, text: str) -> Path:
        return self.write_bytes(target, text.encode("utf-8"))

    def commit(self) -> list[Path]:
        """Move every staged file into place; Ctrl-C waits until the renames are done, so an
        interrupted build leaves either all earlier outputs or all new ones."""
        if INTERRUPTED:  # e.g. raised inside a Pango callback and lost there: still nothing is replaced
            raise KeyboardInterrupt
        blocked = {signal.SIGINT, signal.SIGTERM}
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
        try:
            done = []
            for tmp, target in self.pending:
                os.chmod(tmp, 0o644)
                os.replace(tmp, target)
                done.append(target)
            self.pending.clear()
            return done
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)

    def discard(self) -> None:
        """Remove staged files; the previous outputs stay as they were."""
        for tmp, _ in self.pending:
            tmp.unlink(missing_ok=True)
        self.pending.clear()
