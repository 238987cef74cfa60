"""A small on-disk cache under .cache/ (git-ignored, safe to delete) keyed by content hashes."""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def cache_dir() -> Path:
    """STUDYKIT_CACHE, else .cache/ in the working directory."""
    return Path(os.environ.get("STUDYKIT_CACHE") or ".cache")


def key(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def read(area: str, digest: str) -> str | None:
    try:
        return (cache_dir() / area / digest[:2] / digest).read_text(encoding="utf-8")
    except OSError:
        return None


def write(area: str, digest: str, value: str) -> None:
    """Best effort and atomic: a cache that cannot be written is simply not used."""
    folder = cache_dir() / area / digest[:2]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(value)
        os.replace(tmp, folder / digest)
    except OSError:
        pass
