"""Up-to-date tests: the code version, per-job state, and a no-op check on raw input bytes
that runs before anything is parsed (or pydantic, Markdown and WeasyPrint are even imported)."""
from __future__ import annotations

import datetime
import hashlib
import json
import os
import stat
import tempfile
from functools import lru_cache
from pathlib import Path

from schema import ANKI_LOCK, cache
from schema.limits import MAX_CORPUS_BYTES, MAX_FILE_BYTES, MAX_IMAGE_BYTES, Refused, read_bounded

from .output import release_time

ROOT = Path(__file__).resolve().parent.parent
RENDERERS = ("weasyprint", "pydyf", "pikepdf", "ziamath", "genanki", "markdown-it-py", "mdit-py-plugins", "jinja2",
             "pygments", "pydantic", "pyyaml", "ftfy", "mini-racer")
MAX_RUNS = 16
LOCK_FILE = ANKI_LOCK  # written by the anki build into the content folder


@lru_cache(maxsize=1)
def code_version() -> str:
    """Hash of the code, templates and renderer versions every output depends on."""
    code = cache.tree_digest(ROOT, ("builders", "schema", "templates"), {".py", ".j2", ".css", ".html", ".js"})
    return cache.key(code, cache.installed_versions(*RENDERERS))


def build_date() -> str:
    """The build date: from SOURCE_DATE_EPOCH when set (reproducible), else today (UTC)."""
    return datetime.datetime.fromtimestamp(release_time(), datetime.UTC).date().isoformat()


def state_file() -> Path:
    return cache.cache_dir() / "build-state.json"


def load_state() -> dict:
    """The build state; a missing, unreadable or malformed file counts as empty (rebuild)."""
    try:
        state = json.loads(state_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return state if _well_formed(state) else {}


def _well_formed(state: object) -> bool:
    """{job key: {"fingerprint", "files": {path: stamp}}, "runs": {run key: {"inputs", "lock", "jobs": {...}}}}"""
    if not isinstance(state, dict):
        return False
    for key, value in state.items():
        if key == "runs":
            if not isinstance(value, dict) or not all(isinstance(r, dict) and isinstance(r.get("jobs"), dict) for r in value.values()):
                return False
        elif not isinstance(value, dict) or not isinstance(value.get("files"), dict):
            return False
    return True


def save_state(state: dict) -> None:
    """Write the state, forgetting outputs whose folder is gone (temporary builds) and all but
    the latest runs."""
    for key in [k for k, v in state.items() if k != "runs" and not any(Path(f).parent.is_dir() for f in v["files"])]:
        del state[key]
    runs = state.get("runs", {})
    for run in [r for r in runs if any(k not in state for k in runs[r]["jobs"])] + list(runs)[:-MAX_RUNS]:
        runs.pop(run, None)
    path = state_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".build-state-")  # concurrent builds: last one wins
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(state, handle, indent=1, sort_keys=True)
        os.replace(tmp, path)
    except OSError:
        pass


def file_hash(path: Path, content_dir: Path) -> str:
    """sha256 of a content file read like the loader reads it (limits.read_bounded); a file
    it would refuse is not read: then its size and time stand in, or "" when it is missing."""
    try:
        return hashlib.sha256(read_bounded(path, content_dir, MAX_FILE_BYTES)).hexdigest()
    except Refused:
        return _unread(path)
    except OSError:
        return ""


def _unread(path: Path) -> str:
    """What stands for a file that is never read: its link target, or its type, size and time."""
    try:
        info = os.lstat(path)
        target = os.readlink(path) if stat.S_ISLNK(info.st_mode) else ""
    except OSError:
        return "unreadable"
    return f"unread {target} {stat.S_IFMT(info.st_mode)} {info.st_size} {info.st_mtime_ns} {info.st_ino}"


def inputs_digest(content_dir: Path) -> str:
    """Hash of every content file (names and bytes; not the Anki note record, which the build
    itself rewrites), the code version and the build date. Files are read like the loader
    reads them: a symlink out of the content folder, anything but a regular file, a file over
    the size limits is never opened (its metadata goes into the hash; the loader then reports
    it); symlinked folders are not followed."""
    content_dir = Path(content_dir)
    digest = hashlib.sha256(f"{code_version()}\0{os.environ.get('SOURCE_DATE_EPOCH', '')}\0{build_date()}\0".encode())
    budget = MAX_CORPUS_BYTES
    for folder, dirs, files in os.walk(content_dir):  # followlinks=False
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))  # the loader ignores dot files too
        for name in sorted(files) + [d for d in dirs if os.path.islink(os.path.join(folder, d))]:
            path = Path(folder) / name
            relative = path.relative_to(content_dir).as_posix()
            if name.startswith(".") or relative == LOCK_FILE:
                continue
            try:
                data = read_bounded(path, content_dir, min(max(MAX_FILE_BYTES, MAX_IMAGE_BYTES), budget))
            except (Refused, OSError):
                digest.update(f"{relative}\0{_unread(path)}\0".encode())
                continue
            budget = max(budget - len(data), 0)
            digest.update(relative.encode() + b"\0" + data + b"\0")
    return digest.hexdigest()


def run_key(content_dir: Path, out_dir: Path, readme_dir: Path, formats: list[str], paper: str) -> str:
    """One entry per kind of build: the same content, targets, formats and paper size."""
    return json.dumps([str(Path(content_dir).resolve()), str(out_dir.resolve()), str(readme_dir.resolve()),
                       sorted(formats), paper])


def _stamp(path: str) -> list[int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return [info.st_size, info.st_mtime_ns]


def job_entry(fingerprint: str, files: list[Path]) -> dict:
    """What the state remembers of a built job: its fingerprint and each output's size and time."""
    return {"fingerprint": fingerprint, "files": {str(f): _stamp(str(f)) for f in files}}


def job_intact(state: dict, key: str, fingerprint: str) -> bool:
    """The job was built with this fingerprint and its outputs are there, untouched since."""
    entry = state.get(key)
    return (bool(entry) and bool(entry["files"]) and entry.get("fingerprint") == fingerprint
            and all(stamp is not None and _stamp(f) == stamp for f, stamp in entry["files"].items()))


def nothing_to_do(state: dict, run: str, inputs: str, content_dir: Path) -> bool:
    """True when the last build of this kind saw exactly these inputs and every output it
    left (and the Anki note record) is still there, untouched."""
    entry = state.get("runs", {}).get(run)
    if not entry or not entry["jobs"]:
        return False
    if entry.get("inputs") != inputs or entry.get("lock") != file_hash(Path(content_dir) / LOCK_FILE, Path(content_dir)):
        return False
    return all(job_intact(state, key, digest) for key, digest in entry["jobs"].items())


def record_run(state: dict, run: str, inputs: str, content_dir: Path, job_keys: list[str]) -> None:
    runs = state.setdefault("runs", {})
    runs.pop(run, None)  # re-inserted last: the most recent runs are kept
    runs[run] = {
        "inputs": inputs, "lock": file_hash(Path(content_dir) / LOCK_FILE, Path(content_dir)),
        "jobs": {key: state[key]["fingerprint"] for key in job_keys},
    }
