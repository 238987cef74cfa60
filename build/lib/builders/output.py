"""Atomic output writing (stage every file, rename all into place only on success) and the release time."""
from __future__ import annotations

import os
import signal
import tempfile
import time
from contextlib import suppress
from pathlib import Path

from schema.errors import display_path


INTERRUPTED = False  # set by the CLI on Ctrl-C or SIGTERM, in case a C callback swallowed the exception


def release_time() -> int:
    """SOURCE_DATE_EPOCH when set (reproducible releases), else now (Unix seconds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    return int(epoch) if epoch.isdigit() else int(time.time())


def unwritable(target: Path, exc: OSError, consequence: str) -> OSError:
    """The error the CLI prints for an output it could not write ("Error: output/x.pdf: No space
    left on device; earlier outputs are unchanged")."""
    return OSError(exc.errno, f"{exc.strerror or exc}; {consequence}", display_path(target))


class Staging:
    """Collects outputs as temporary files beside their targets; `commit()` renames them.
    Whatever fails (a full disk while writing or renaming, an interrupt), `discard()` leaves no
    temporary file behind, and a write that fails removes its own at once."""

    def __init__(self) -> None:
        self.pending: list[tuple[Path, Path]] = []

    def write_bytes(self, target: Path, data: bytes) -> Path:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        except OSError as exc:
            raise unwritable(target, exc, "earlier outputs are unchanged") from None
        self.pending.append((Path(tmp), target))  # from here on, discard() removes it
        try:
            view = memoryview(data)
            while view:  # unbuffered, so a full disk is reported here, not at a later flush
                view = view[os.write(fd, view):]
        except OSError as exc:
            self.pending.pop()
            Path(tmp).unlink(missing_ok=True)
            raise unwritable(target, exc, "earlier outputs are unchanged") from None
        finally:
            os.close(fd)
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
                try:
                    os.chmod(tmp, 0o644)
                    os.replace(tmp, target)
                except OSError as exc:
                    del self.pending[:len(done)]  # renamed already: nothing left to remove
                    kept = "earlier outputs are unchanged" if not done else f"{len(done)} output(s) were already replaced"
                    raise unwritable(target, exc, kept) from None
                done.append(target)
            self.pending.clear()
            return done
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)

    def discard(self) -> None:
        """Remove staged files; the previous outputs stay as they were."""
        for tmp, _ in self.pending:
            with suppress(OSError):  # never hide the error that stopped the build
                tmp.unlink(missing_ok=True)
        self.pending.clear()
