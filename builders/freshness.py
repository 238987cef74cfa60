"""Up-to-date tests: the code version, per-job state, and a no-op check on raw input bytes
that runs before anything is parsed (or pydantic, Markdown and WeasyPrint are even imported)."""
from __future__ import annotations

import datetime
import hashlib
import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path

from schema import ANKI_LOCK, cache

from .output import release_time

ROOT = Path(__file__).resolve().parent.parent
RENDERERS = ("weasyprint", "pydyf", "ziamath", "genanki", "markdown-it-py", "mdit-py-plugins", "jinja2",
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


def file_hash(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def inputs_digest(content_dir: Path) -> str:
    """Hash of every content file (names and bytes; not the Anki note record, which the build
    itself rewrites), the code version and the build date."""
    digest = hashlib.sha256(f"{code_version()}\0{os.environ.get('SOURCE_DATE_EPOCH', '')}\0{build_date()}\0".encode())
    for path in sorted(Path(content_dir).rglob("*")):
        relative = path.relative_to(content_dir)
        if any(part.startswith(".") for part in relative.parts) or relative.as_posix() == LOCK_FILE:
            continue  # the loader ignores dot files too
        if path.is_file():
            digest.update(relative.as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
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
    if entry.get("inputs") != inputs or entry.get("lock") != file_hash(Path(content_dir) / LOCK_FILE):
        return False
    return all(job_intact(state, key, digest) for key, digest in entry["jobs"].items())


def record_run(state: dict, run: str, inputs: str, content_dir: Path, job_keys: list[str]) -> None:
    runs = state.setdefault("runs", {})
    runs.pop(run, None)  # re-inserted last: the most recent runs are kept
    runs[run] = {
        "inputs": inputs, "lock": file_hash(Path(content_dir) / LOCK_FILE),
        "jobs": {key: state[key]["fingerprint"] for key in job_keys},
    }
