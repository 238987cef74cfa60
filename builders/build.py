"""Run builders on a validated Corpus: skip what is up to date, render the rest (in parallel
processes), stage every output, then commit them all or none."""
from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from schema import ContentErrors, Corpus, Problem
from schema.errors import display_path
from schema.export import export_json_schema

from . import anki, budget, freshness, renderlog
from .formats import FORMATS
from .html import all_formulas
from .output import Staging
from .progress import Progress, log
from .workers import Workers, start_workers, stop_workers

if TYPE_CHECKING:
    from . import pdfparts

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_FILE = ROOT / "schema" / "export.schema.json"
SLOW = {"pdf"}  # run in worker processes while the quick builders run in this one
NEEDS_MATH = {"pdf"}  # builders that draw formulas with ziamath (the web page has KaTeX draw MathML; the others pass TeX on)


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


class NothingToBuild(ContentErrors):
    """The corpus has no published question: a build would write empty outputs."""


def require_published(corpus: Corpus, content_dir: Path) -> None:
    """Refuse to build a corpus without a published question, saying what to do."""
    if corpus.published:
        return
    drafts = len(corpus.questions)
    if not drafts:
        advice = "the guide has no questions yet: add question files to a section folder (docs/content-format.md)"
    else:
        needs = "a short answer, an answer" + (" and a source" if corpus.meta.sources == "required" else "")
        are = "questions are drafts" if drafts > 1 else "question is a draft"
        advice = f"{drafts} {are}: set `status: published` once a question has {needs}"
    raise NothingToBuild([Problem(display_path(content_dir), 0, "", f"no published question, nothing to build; {advice}")])


def jobs_for(formats: list[str], targets: Targets) -> list[Job]:
    jobs = []
    for name in formats:
        if name == "readme":  # the README links images by their path from its own folder
            content_path = Path(os.path.relpath(targets.content_dir.resolve(), targets.readme_dir.resolve())).as_posix()
            jobs.append(Job(name, (("content_path", content_path),)))
        elif name == "pdf":
            jobs += [Job("pdf", (("paper", targets.paper), ("modes", (mode,)))) for mode in FORMATS["pdf"].MODES]
        else:
            jobs.append(Job(name))
    return jobs


def run_job(corpus: Corpus, job: Job) -> tuple[dict[str, bytes], list[renderlog.Warning_]]:
    """Render one job (module-level so worker processes can run it), with the warnings its
    renderers logged, which travel back to the parent to be reported once per build."""
    with renderlog.collected() as warnings:
        files = FORMATS[job.format].render(corpus, **dict(job.options))
    return files, warnings


def fingerprint(corpus: Corpus, job: Job, lock: bytes | None = None) -> str:
    """Exactly what a job's outputs depend on: the content it uses, the code, options, date
    (and for the deck, the note record it leaves behind)."""
    content = corpus.model_dump(mode="json", exclude={"anki_lock", "anki_committed"})
    if job.format == "anki":
        content["anki_lock"] = (lock or anki.lock_json(corpus.anki_lock)).decode("utf-8")
        content["anki_committed"] = anki.lock_json(corpus.anki_committed).decode("utf-8") if corpus.anki_committed else ""
    dated = job.format in ("html", "pdf", "anki")
    stamp = os.environ.get("SOURCE_DATE_EPOCH") or (freshness.build_date() if dated else "")
    payload = json.dumps([job.name, list(job.options), stamp, freshness.code_version(), content], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _pool_runner(pool: Workers, meanwhile: list[Callable[[], None]]):  # noqa: ANN202 - a pdfparts.Runner
    """Lay out documents in the worker processes, each sent as soon as it is made; once a batch
    is sent, and before waiting for it, run the calls in `meanwhile` (once). Then, once the first
    worker is warm (another starting earlier would slow it down), have a worker ready for the
    next batch: if every worker started is busy, another starts now, while this process waits
    (after an edit, the handout's contents and footers then find a warm worker). And send what
    `once_laid_out` makes as soon as the workers report the layouts it waits for (see
    pdfparts.Runner): a later batch asking for a document sent early gets its result."""
    from .pdfjoin import Layout
    from .pdfparts import render_task
    from .workers import document_digest

    lock = threading.Lock()  # the pool's listener thread sends early too
    early: dict[pdfparts.Task, Future] = {}  # sent ahead, not asked for yet
    sent: set[pdfparts.Task] = set()  # the batch being sent
    batches = 0  # batches begun: what a batch waits for is sent early only while it lasts
    heard: dict[str, Layout] = {}  # layouts the workers reported, by document digest
    waiting: list[tuple[int, dict[int, str], Callable[[dict[int, Layout]], list[pdfparts.Task]]]] = []

    def make_what_can_be_made() -> None:
        with lock:
            ready = [entry for entry in waiting if all(digest in heard for digest in entry[1].values())]
            for entry in ready:
                waiting.remove(entry)
            layouts = [{i: heard[digest] for i, digest in wanted.items()} for _, wanted, _ in ready]
        for (batch, _, make), found in zip(ready, layouts):
            try:
                tasks = make(found)
            except Exception:  # noqa: BLE001 - only a head start: the build makes them again when it needs them, and says what failed
                continue
            with lock:
                if batch != batches:
                    continue  # the build has begun its next batch: it asks for them itself
                for task in tasks:
                    if task not in early:
                        early[task] = pool.submit(render_task, task)

    def listen(digest: str, pages: int, anchors: dict[str, int]) -> None:
        with lock:
            heard[digest] = Layout(pages, anchors)
        make_what_can_be_made()

    def once_laid_out(tasks: list[pdfparts.Task], make: Callable[[dict[int, Layout]], list[pdfparts.Task]]) -> None:
        with lock:
            waiting.append((batches, {i: document_digest(task[0]) for i, task in enumerate(tasks) if task in sent}, make))
        make_what_can_be_made()

    def run(tasks):  # noqa: ANN001, ANN202
        nonlocal batches
        with lock:
            batches += 1
        batch = []
        for task in tasks:
            with lock:
                batch.append(early.pop(task, None) or pool.submit(render_task, task))
                sent.add(task)
        while meanwhile:
            meanwhile.pop(0)()
        pool.ready.result()
        pool.submit(int)  # a worker starts when a task waits and none is idle (see start_workers)
        results = [future.result() for future in batch]
        with lock:  # holds no document past its batch
            sent.clear()
            waiting.clear()
        return results

    pool.listener = listen
    run.once_laid_out = once_laid_out
    return run


Results = dict[Job, dict[str, bytes]]


@budget.reported
def render_jobs(corpus: Corpus, jobs: list[Job], workers: int, progress: Progress,
                pool: Workers | None = None) -> tuple[Results, list[renderlog.Warning_]]:
    """Render jobs. With more than one worker, the formulas missing from the math cache are
    first rendered by all workers together, then the PDFs go to the workers while the quick
    builders (README, JSON, HTML, Anki) run here, so those are ready first. On an error or an
    interrupt the workers are stopped at once, not left to finish their PDFs. `pool`: workers
    started early (start_workers), else they start here. Returns the outputs and every warning
    the renderers logged, in job order."""
    slow = [job for job in jobs if job.format in SLOW] if workers > 1 else []
    results: Results = {}
    warnings: dict[Job, list[renderlog.Warning_]] = {}

    def run_here(job: Job) -> None:
        progress.started(job.name)
        results[job], warnings[job] = run_job(corpus, job)
        progress.finished(job.name)

    def in_order() -> list[renderlog.Warning_]:
        return [warning for job in jobs for warning in warnings.get(job, [])]

    if not slow:
        for job in jobs:
            run_here(job)
        return results, in_order()
    from . import mathsvg

    quick = [job for job in jobs if job not in slow]
    paper = dict(slow[0].options)["paper"]
    own = pool is None
    pool = pool or start_workers(workers, paper)
    try:
        missing = mathsvg.uncached(all_formulas(corpus))
        shares = [pool.submit(mathsvg.render_formulas, missing[i::workers]) for i in range(workers) if missing[i::workers]]
        here = [job for job in quick if job.format not in NEEDS_MATH]
        if shares:  # the quick builders run while the workers draw formulas
            progress.started(f"math ({len(missing)} formulas)")
            for job in here:
                run_here(job)
            here = []
            for share in shares:
                share.result()
            progress.finished(f"math ({len(missing)} formulas)")
        for job in [job for job in quick if job.format in NEEDS_MATH]:
            run_here(job)
        for job in slow:
            progress.started(job.name)
        # Every PDF document (the quiz, the cheat sheet, each part of the handout) goes to the
        # workers as soon as it is made, the quick builders run while they lay them out, and the
        # handout is joined here.
        modes = tuple(dict(job.options)["modes"][0] for job in slow)
        files = FORMATS["pdf"].render_with_warnings(corpus, paper, modes,
                                                    run=_pool_runner(pool, [lambda job=job: run_here(job) for job in here]))
        for job, (name, (data, found)) in zip(slow, files.items()):
            results[job], warnings[job] = {name: data}, found
            progress.finished(job.name)
    except BaseException:
        stop_workers(pool)
        raise
    finally:
        if own:
            stop_workers(pool)  # every result is in (or an error stopped them already)
    return results, in_order()


def build(corpus: Corpus, formats: list[str], targets: Targets, workers: int = 1, force: bool = False,
          run: tuple[str, str] | None = None, pool: Workers | None = None,
          keep_workers: bool = False) -> list[Path]:
    """Render what is out of date, then move all outputs into place; a failure leaves old outputs
    as they were. `run` = (run key, inputs digest) from freshness, recorded on success. A corpus
    with no published question is refused before anything is written (NothingToBuild). `pool`:
    workers started early (start_workers), stopped here when the build ends, unless
    `keep_workers` (watch keeps them warm for the next build); on an error always."""
    try:
        written = _build(corpus, formats, targets, workers, force, run, pool)
    except BaseException:
        if pool is not None:
            stop_workers(pool)
        raise
    if pool is not None and not keep_workers:
        stop_workers(pool)  # every result is in: a worker still warming up is not waited for
    return written


def _build(corpus: Corpus, formats: list[str], targets: Targets, workers: int, force: bool,
           run: tuple[str, str] | None, pool: Workers | None) -> list[Path]:
    require_published(corpus, targets.content_dir)
    state = freshness.load_state()
    jobs = jobs_for(formats, targets)
    digests = {job: fingerprint(corpus, job) for job in jobs}
    keys = {job: f"{job.name}|{targets.out_dir.resolve()}|{targets.readme_dir.resolve()}" for job in jobs}
    todo = [job for job in jobs if force or not freshness.job_intact(state, keys[job], digests[job])]
    skipped = [job.name for job in jobs if job not in todo]
    if skipped:
        log(f"up to date: {', '.join(skipped)}")
    written: list[Path] = []
    blocked: list[Problem] = []  # outputs that could not be written (the note record, read-only)
    if todo:
        staging = Staging()
        progress = Progress(len(todo))
        try:
            results, warnings = render_jobs(corpus, todo, workers, progress, pool)
            for job in todo:  # fixed order, whatever order the workers finished in
                if job.format == "anki" and not stage_lock(staging, targets, results[job], blocked):
                    continue  # the deck goes with its note record: neither is written
                for file_name, data in results[job].items():
                    path = targets.path(job.format, file_name)
                    if file_name == anki.LOCK_FILE or (path.is_file() and path.read_bytes() == data):
                        continue  # unchanged: leave the file (and its timestamp) alone
                    staging.write_bytes(path, data)
            written = staging.commit()
        except BaseException:
            staging.discard()
            raise
        finally:
            progress.close()
        renderlog.report(warnings)
        for job in todo:
            if job.format == "anki" and blocked:
                continue  # not built: tried again next time
            files = [targets.path(job.format, name).resolve() for name in results[job]]
            digest = fingerprint(corpus, job, results[job].get(anki.LOCK_FILE)) if job.format == "anki" else digests[job]
            state[keys[job]] = freshness.job_entry(digest, files)
    else:
        log("nothing to rebuild")
    if run and not blocked:
        freshness.record_run(state, *run, targets.content_dir, [keys[job] for job in jobs])
    freshness.save_state(state)
    for path in written:
        log(f"wrote {path}")
    if blocked:
        raise NotWritten(blocked)
    return written


class NotWritten(ContentErrors):
    """Outputs were built, but one could not be written (the Anki note record: read-only
    content folder, or the folder moved away)."""

    trailer = "the other outputs were written"


def stage_lock(staging: Staging, targets: Targets, files: dict[str, bytes], blocked: list[Problem]) -> bool:
    """Stage the deck's note record (in the content folder) when it changed, before the deck:
    False, with the problem added to `blocked`, when it cannot be written. The content
    folder is never created (a folder moved away during `watch` stays away)."""
    path = targets.path("anki", anki.LOCK_FILE)
    data = files[anki.LOCK_FILE]
    shown = display_path(path)
    if not targets.content_dir.is_dir():
        blocked.append(Problem(shown, 0, "", "cannot write the Anki note record: the content folder "
                               "no longer exists; the deck was not built"))
        return False
    try:
        if path.is_file() and path.read_bytes() == data:
            return True
        staging.write_bytes(path, data)
    except OSError as exc:
        blocked.append(Problem(shown, 0, "", f"cannot write the Anki note record: {exc.strerror or exc}; "
                               "the deck was not built (make the content folder writable and build anki "
                               "again, or leave anki out: `studykit build readme json html pdf`)"))
        return False
    return True


def render_all(corpus: Corpus, formats: list[str], targets: Targets) -> dict[Path, bytes]:
    """Render the requested formats in memory: {target path: bytes} (no cache, no writes)."""
    jobs = jobs_for(formats, targets)
    progress = Progress(len(jobs), silent=True)  # nothing is built: only compared
    try:
        results, warnings = render_jobs(corpus, jobs, 1, progress)
    finally:
        progress.close()
    renderlog.report(warnings)
    return {targets.path(job.format, name): data for job, files in results.items() for name, data in files.items()}


def stale_outputs(corpus: Corpus, formats: list[str], targets: Targets) -> list[str]:
    """Committed generated files that differ from a fresh render (README.md, the export JSON
    Schema, the Anki note record)."""
    require_published(corpus, targets.content_dir)
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
