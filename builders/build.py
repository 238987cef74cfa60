"""Run builders on a validated Corpus: skip what is up to date, render the rest (in parallel
processes), stage every output, then commit them all or none."""
from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from schema import Corpus, cache
from schema.export import export_json_schema

from . import anki
from .formats import FORMATS
from .output import Staging

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_FILE = ROOT / "schema" / "export.schema.json"
QUIET = False


def log(message: str) -> None:
    """Progress goes to stderr, never stdout (and not at all with -q)."""
    if not QUIET:
        print(message, file=sys.stderr, flush=True)


class Targets:
    """Where outputs go: README to the repo root (or --out), the Anki note record beside the
    content it describes, everything else to the output folder."""

    def __init__(self, out_dir: Path, readme_dir: Path, content_dir: Path, paper: str = "a4"):
        self.out_dir, self.readme_dir, self.content_dir = out_dir, readme_dir, content_dir
        self.paper = paper

    def path(self, format_name: str, file_name: str) -> Path:
        if format_name == "readme":
            return self.readme_dir / file_name
        if format_name == "anki" and file_name == anki.LOCK_FILE:
            return self.content_dir / file_name
        return self.out_dir / file_name


@dataclass(frozen=True)
class Job:
    """One unit of work: a format (the PDFs are one job each) with its options."""

    format: str
    options: tuple[tuple[str, object], ...] = ()

    @property
    def name(self) -> str:
        modes = dict(self.options).get("modes")
        return f"{self.format}:{modes[0]}" if modes else self.format


def jobs_for(formats: list[str], targets: Targets) -> list[Job]:
    jobs = []
    for name in formats:
        if name == "pdf":
            jobs += [Job("pdf", (("paper", targets.paper), ("modes", (mode,)))) for mode in FORMATS["pdf"].MODES]
        else:
            jobs.append(Job(name))
    return jobs


def run_job(corpus: Corpus, job: Job) -> dict[str, bytes]:
    """Render one job (module-level so worker processes can run it)."""
    return FORMATS[job.format].render(corpus, **dict(job.options))


CODE_VERSION = None


def code_version() -> str:
    """Hash of the code, templates and renderer versions every output depends on."""
    global CODE_VERSION
    if CODE_VERSION is None:
        digest = hashlib.sha256()
        for folder in ("builders", "schema", "templates"):
            for path in sorted((ROOT / folder).rglob("*")):
                if path.is_file() and path.suffix in {".py", ".j2", ".css", ".html", ".js"}:
                    digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
        for package in ("weasyprint", "ziamath", "genanki", "markdown-it-py", "jinja2"):
            digest.update(f"{package}={version(package)}".encode())
        CODE_VERSION = digest.hexdigest()
    return CODE_VERSION


def fingerprint(corpus: Corpus, job: Job, lock: bytes | None = None) -> str:
    """Exactly what a job's outputs depend on: the content it uses, the code, options, date
    (and for the deck, the note record it leaves behind)."""
    content = corpus.model_dump(mode="json", exclude={"anki_lock"})
    if job.format == "anki":
        content["anki_lock"] = (lock or anki.lock_json(corpus.anki_lock)).decode("utf-8")
    dated = job.format in ("html", "pdf", "anki")
    stamp = os.environ.get("SOURCE_DATE_EPOCH") or (FORMATS["html"].build_date() if dated else "")
    payload = json.dumps([job.name, list(job.options), stamp, code_version(), content], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def state_file() -> Path:
    return cache.cache_dir() / "build-state.json"


def load_state() -> dict:
    try:
        return json.loads(state_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def save_state(state: dict) -> None:
    path = state_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass


def up_to_date(state: dict, key: str, digest: str) -> bool:
    entry = state.get(key)
    return bool(entry) and entry["fingerprint"] == digest and all(Path(f).is_file() for f in entry["files"])


def render_jobs(corpus: Corpus, jobs: list[Job], workers: int) -> dict[Job, dict[str, bytes]]:
    """Render jobs, in worker processes when there is more than one job and worker."""
    if workers <= 1 or len(jobs) <= 1:
        results = {}
        for job in jobs:
            log(f"building {job.name}")
            results[job] = run_job(corpus, job)
        return results
    if any(job.format in ("html", "pdf") for job in jobs):
        FORMATS["html"].view(corpus)  # render every formula once, into the shared math cache
    context = multiprocessing.get_context("spawn")  # no fork: the parent may hold a V8 isolate
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=context) as pool:
        futures = {job: pool.submit(run_job, corpus, job) for job in jobs}
        for job in jobs:
            log(f"building {job.name}")
        return {job: future.result() for job, future in futures.items()}


def build(corpus: Corpus, formats: list[str], targets: Targets, workers: int = 1, force: bool = False) -> list[Path]:
    """Render what is out of date, then move all outputs into place; a failure leaves old outputs as they were."""
    state = load_state()
    jobs = jobs_for(formats, targets)
    digests = {job: fingerprint(corpus, job) for job in jobs}
    keys = {job: f"{job.name}|{targets.out_dir.resolve()}|{targets.readme_dir.resolve()}" for job in jobs}
    todo = [job for job in jobs if force or not up_to_date(state, keys[job], digests[job])]
    skipped = [job.name for job in jobs if job not in todo]
    if skipped:
        log(f"up to date: {', '.join(skipped)}")
    if not todo:
        log("nothing to rebuild")
        return []
    staging = Staging()
    try:
        results = render_jobs(corpus, todo, workers)
        for job in todo:  # fixed order, whatever order the workers finished in
            for file_name, data in results[job].items():
                path = targets.path(job.format, file_name)
                if path.is_file() and path.read_bytes() == data:
                    continue  # unchanged: leave the file (and its timestamp) alone
                staging.write_bytes(path, data)
        written = staging.commit()
    except BaseException:
        staging.discard()
        raise
    for job in todo:
        files = [str(targets.path(job.format, name).resolve()) for name in results[job]]
        digest = fingerprint(corpus, job, results[job].get(anki.LOCK_FILE)) if job.format == "anki" else digests[job]
        state[keys[job]] = {"fingerprint": digest, "files": files}
    save_state(state)
    for path in written:
        log(f"wrote {path}")
    return written


def render_all(corpus: Corpus, formats: list[str], targets: Targets) -> dict[Path, bytes]:
    """Render the requested formats in memory: {target path: bytes} (no cache, no writes)."""
    return {targets.path(job.format, name): data
            for job, files in render_jobs(corpus, jobs_for(formats, targets), 1).items()
            for name, data in files.items()}


def stale_outputs(corpus: Corpus, formats: list[str], targets: Targets) -> list[str]:
    """Committed generated files that differ from a fresh render (README.md, the export JSON
    Schema, the Anki note record)."""
    stale = []
    committed = [name for name in formats if name == "readme"]
    for path, data in render_all(corpus, committed, targets).items():
        if not path.is_file() or path.read_bytes() != data:
            stale.append(f"{path} is stale: run `make` (or `studykit build readme`) and commit it")
    if "json" in formats and (not SCHEMA_FILE.is_file() or SCHEMA_FILE.read_text(encoding="utf-8") != export_json_schema()):
        stale.append(f"{SCHEMA_FILE} is stale: run `.venv/bin/python -m schema.export` and commit it")
    if "anki" in formats and anki.stale_lock(corpus):
        stale.append(f"{targets.content_dir / anki.LOCK_FILE} is stale: run `studykit build anki` and commit it")
    return stale
