"""A small on-disk cache under .cache/ (git-ignored, safe to delete) keyed by content hashes."""
from __future__ import annotations

import contextlib
import glob
import hashlib
import os
import re
import sys
import tempfile
from pathlib import Path


def cache_dir() -> Path:
    """STUDYKIT_CACHE, else .cache/ in the working directory."""
    return Path(os.environ.get("STUDYKIT_CACHE") or ".cache")


def key(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def _entry(area: str, digest: str) -> Path:
    return cache_dir() / area / digest[:2] / digest


def read(area: str, digest: str) -> str | None:
    try:
        return _entry(area, digest).read_text(encoding="utf-8")
    except OSError:
        return None


def exists(area: str, digest: str) -> bool:
    """Whether the entry is there (without reading it)."""
    return _entry(area, digest).is_file()


def read_bytes(area: str, digest: str) -> bytes | None:
    """The entry's bytes; reading marks it as used (its time), for prune()."""
    entry = _entry(area, digest)
    try:
        data = entry.read_bytes()
        os.utime(entry)
    except OSError:
        return None
    return data


def entries(area: str, prefix: str) -> list[str]:
    """The digests of the entries of `area` whose digest starts with `prefix` (sorted)."""
    try:
        return sorted(path.name for path in _entry(area, prefix).parent.glob(f"{glob.escape(prefix)}*"))
    except OSError:
        return []


def prune(area: str, max_bytes: int) -> None:
    """Best effort: delete the least recently used entries of `area` until it holds at most `max_bytes`."""
    entries = []
    for path in (cache_dir() / area).glob("*/*"):
        with contextlib.suppress(OSError):
            stat = path.stat()
            entries.append((stat.st_mtime, stat.st_size, path))
    total = sum(size for _, size, _ in entries)
    for _, size, path in sorted(entries, key=lambda e: (e[0], str(e[2]))):
        if total <= max_bytes:
            break
        with contextlib.suppress(OSError):
            path.unlink()
            total -= size


def write(area: str, digest: str, value: str | bytes) -> None:
    """Best effort and atomic: a cache that cannot be written is simply not used."""
    entry = _entry(area, digest)
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=entry.parent, prefix=".tmp-")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(value.encode("utf-8") if isinstance(value, str) else value)
        os.replace(tmp, entry)
    except BaseException as exc:  # a full disk, an interrupt: leave no temporary file
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if not isinstance(exc, OSError):
            raise


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def installed_versions(*names: str) -> str:
    """'name=version,...' for installed distributions, read from the `*.dist-info` folder names
    on sys.path (a directory listing; importlib.metadata costs tens of milliseconds)."""
    wanted = {_canonical(name) for name in names}
    found: dict[str, str] = {}
    for folder in sys.path:
        try:
            listing = os.listdir(folder or ".")
        except OSError:
            continue
        for item in listing:
            if item.endswith(".dist-info"):
                name, _, version = item.removesuffix(".dist-info").partition("-")
                found.setdefault(_canonical(name), version)
    return ",".join(f"{name}={found.get(name, '?')}" for name in sorted(wanted))


def tree_digest(root: Path, folders: tuple[str, ...], suffixes: set[str]) -> str:
    """Hash of the names and bytes of every file with one of `suffixes` under `root/folder`."""
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted((root / folder).rglob("*")):
            if path.suffix in suffixes and path.is_file():
                digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
