"""Size limits of content files and the one bounded reader every reader of content/ uses."""
from __future__ import annotations

import os
import stat
from pathlib import Path

MAX_FILE_BYTES = 1_000_000  # one text file (YAML, Markdown, the Anki note record)
MAX_IMAGE_BYTES = 5_000_000  # one image
MAX_CORPUS_BYTES = 50_000_000  # the whole corpus, images included


class Refused(Exception):
    """A content file that was not read, and why (outside the folder, not a file, too large)."""


def inside(path: Path, root: Path) -> bool:
    """True when `path`, symlinks resolved, is inside `root` (the content folder)."""
    return path.resolve().is_relative_to(root.resolve())


def read_bounded(path: Path, root: Path, limit: int) -> bytes:
    """The bytes of a regular file inside `root` of at most `limit` bytes. Checked before any
    byte is read: symlinks leading out of `root` and anything but a regular file (a FIFO
    would block, a device never ends) are refused, and so is a file larger than `limit` (by
    its size, so a sparse 6 GB file costs nothing); the check is repeated on the open file
    and at most `limit + 1` bytes are read, so a swap or growth in between changes nothing.
    Raises Refused, or OSError when the file cannot be opened."""
    if not inside(path, root):
        raise Refused("points outside the content folder (a symlink?); nothing there is read")
    real = path.resolve()
    _check(os.stat(real), limit)
    fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as handle:
        _check(os.fstat(fd), limit)
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise Refused(f"file is over {limit} bytes (limit {limit})")
    return data


def _check(info: os.stat_result, limit: int) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise Refused("not a regular file (a FIFO, device or socket?); nothing is read from it")
    if info.st_size > limit:
        raise Refused(f"file is {info.st_size} bytes (limit {limit})")
