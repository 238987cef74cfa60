"""The `studykit` command line: check, build, watch, stats, import, new."""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path

from typing import TYPE_CHECKING

from schema import ANKI_LOCK, ContentErrors
from schema.errors import printable

from . import freshness, output, progress
from .formats import FORMATS
from .progress import log

if TYPE_CHECKING:  # the heavy modules (pydantic, builders) load only when a command needs them
    from schema import Corpus


TRAILERS = {"check": "fix them and run check again", "stats": "only questions without problems are counted",
            "build": "nothing was built; earlier outputs are unchanged", "watch": "nothing was built"}


def report_problems(exc: ContentErrors, trailer: str) -> int:
    """Every problem, then (when there are several) how many of each kind, then the trailer."""
    from schema.errors import summary_by_kind

    fail([str(p) for p in exc.problems])
    files = len({p.path for p in exc.problems})
    if len(exc.problems) > 1:
        print(f"{len(exc.problems)} problems in {files} file{'s' if files != 1 else ''}, by kind:", file=sys.stderr)
        print("\n".join(printable(line) for line in summary_by_kind(exc.problems)), file=sys.stderr)
    return fail([f"{len(exc.problems)} problem{'s' if len(exc.problems) != 1 else ''} found; {trailer}"])


def fail(lines: list[str]) -> int:
    """Print each line as `Error: ...`, control, bidi and invisible characters escaped (a file
    name or YAML key cannot erase earlier lines or fake output); exit code 1."""
    for line in lines:
        print(f"Error: {printable(line)}", file=sys.stderr)
    return 1


def load(content: Path) -> Corpus:
    from schema import load_corpus

    log(f"checking {content}")
    return load_corpus(content)


def project_dir(content: Path) -> Path:
    """The folder that holds the content folder (the repository root for `content/`), relative
    to the working directory when it is inside it."""
    home = content.resolve().parent
    try:
        return home.relative_to(Path.cwd().resolve())
    except ValueError:
        return home


def output_dirs(args: argparse.Namespace) -> tuple[Path, Path]:
    """(output folder, README folder): --out for both, else output/ and README.md beside the
    content folder (never the working directory, unless that is where the content folder is)."""
    if args.out:
        return args.out, args.out
    home = project_dir(args.content)
    return home / "output", home


def targets_for(args: argparse.Namespace):  # noqa: ANN201 - build.Targets, imported lazily
    from .build import Targets

    out_dir, readme_dir = output_dirs(args)
    return Targets(out_dir=out_dir, readme_dir=readme_dir, content_dir=args.content, paper=args.paper)


def cmd_check(args: argparse.Namespace) -> int:
    """Validate the content and report every problem with its file and line."""
    corpus = load(args.content)
    drafts = len(corpus.questions) - len(corpus.published)
    log(f"ok: {len(corpus.published)} published questions, {drafts} drafts, {len(corpus.sources)} sources")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    """Build the given formats (all when none is named); with --check, write nothing and fail on stale files."""
    formats = list(dict.fromkeys(args.formats)) or list(FORMATS)
    if args.check:
        from .build import stale_outputs

        stale = stale_outputs(load(args.content), formats, targets_for(args))
        if stale:
            return fail(stale)
        log("ok: generated files are up to date")
        return 0
    run = fresh_run(args, formats)
    if run is None:
        return 0
    from .workers import start_workers, stop_workers

    # Something changed: the PDF workers start WeasyPrint while the builders import and the content loads.
    pool = start_workers(args.jobs, args.paper) if "pdf" in formats and args.jobs > 1 else None
    try:
        from .build import build

        corpus, targets = load(args.content), targets_for(args)
    except BaseException:
        if pool is not None:
            stop_workers(pool)
        raise
    build(corpus, formats, targets, workers=args.jobs, force=args.force, run=run, pool=pool)
    return 0


def fresh_run(args: argparse.Namespace, formats: list[str]) -> tuple[str, str] | None:
    """None when the last identical build saw these exact input bytes and its outputs are
    untouched (nothing is parsed or imported); else (run key, inputs digest) to record."""
    run = (freshness.run_key(args.content, *output_dirs(args), formats, args.paper),
           freshness.inputs_digest(args.content))
    if not args.force and freshness.nothing_to_do(freshness.load_state(), *run, args.content):
        log("nothing to rebuild (inputs unchanged since the last build)")
        return None
    return run


def cmd_watch(args: argparse.Namespace) -> int:
    """Rebuild what changed whenever a content or template file is saved (Ctrl-C stops)."""
    from .build import SLOW, NothingToBuild, build
    from .workers import start_workers, stop_workers

    kept = []  # the PDF workers, warm from one rebuild to the next (WeasyPrint started, drawings remembered)

    def rebuild(first: bool = False) -> None:
        try:
            if not kept and args.jobs > 1:  # they start while the content loads and the quick outputs build
                kept.append(start_workers(args.jobs, args.paper))
            corpus = load(args.content)
            targets = targets_for(args)
            # two builds, each all-or-nothing: README, JSON, HTML and Anki are ready in about
            # a second, the PDFs follow
            build(corpus, [f for f in FORMATS if f not in SLOW], targets, workers=args.jobs)
            try:
                build(corpus, [f for f in FORMATS if f in SLOW], targets, workers=args.jobs,
                      pool=kept[0] if kept else None, keep_workers=True)
            except BaseException:
                kept.clear()  # the failed build stopped them: new ones next time
                raise
        except ContentErrors as exc:
            if first and isinstance(exc, NothingToBuild):  # nothing to publish: exit 1, do not watch in vain
                raise
            fail([str(p) for p in exc.problems] + ["fix these and save again; still watching"])
        except Exception as exc:  # noqa: BLE001 - keep watching whatever happens
            fail([f"{type(exc).__name__}: {exc}; still watching"])

    try:
        watch_loop(args, rebuild)
    except KeyboardInterrupt:  # Ctrl-C during a rebuild: that build is dropped, earlier outputs stay
        pass
    finally:
        for pool in kept:
            stop_workers(pool)
    # Ctrl-C's "^C" echo leaves a terminal's cursor mid-line: end that line first
    log(("\n" if sys.stderr.isatty() else "") + "stopped watching")
    return 0


def watch_loop(args: argparse.Namespace, rebuild) -> None:  # noqa: ANN001
    """Build once, then rebuild on every save until interrupted."""
    from watchfiles import watch

    from .templating import TEMPLATES

    rebuild(first=True)
    ignore = {ANKI_LOCK}
    announced = False
    for changes in watch(args.content, TEMPLATES, debounce=300, raise_interrupt=False,
                         yield_on_timeout=True, rust_timeout=500):
        if not announced:  # the first (empty) yield means the watcher is live
            log(f"watching {args.content} and {TEMPLATES} (Ctrl-C to stop)")
            announced = True
        if output.INTERRUPTED:
            break
        changed = sorted({Path(path).name for _, path in changes if watched(Path(path))} - ignore)
        if changed:
            log(f"changed: {', '.join(changed)}")
            rebuild()


# What a build reads (content, images, layouts); editors' swap, backup and temporary files are not.
WATCHED_SUFFIXES = {".md", ".yaml", ".yml", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".j2", ".css", ".html", ".js"}


def watched(path: Path) -> bool:
    """True for a file whose change can change an output (not `.#x.md`, `x.md~`, `#x.md#`, `x.md.swp`, `4913`...)."""
    name = path.name
    return not name.startswith((".", "#", "~")) and path.suffix.lower() in WATCHED_SUFFIXES


def cmd_import(args: argparse.Namespace) -> int:
    """Import a hand-written Markdown Q&A document into a new content folder (see docs/import.md)."""
    from .importer import ImportError_, ImportOptions, run_import

    options = ImportOptions(questions=args.questions, question_depth=args.question_depth, section_depth=args.section_depth,
                            levels=args.levels, default_level=args.level, source=args.source, title=args.title,
                            dry_run=args.dry_run, strict=args.strict, force=args.force)
    try:
        lines, warnings = run_import(args.legacy, args.into, options=options)
    except ImportError_ as exc:
        return fail([str(exc)])
    print("\n".join(lines))
    if args.strict and warnings:
        return fail([f"{len(warnings)} warning(s) and --strict: nothing was written"])
    if args.dry_run:
        log("dry run: nothing was written")
    else:
        log(f"imported {args.legacy} into {args.into}; next: studykit check --content {args.into}")
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    """Start a new guide in DIR: corpus.yaml, bibliography.yaml and one example question per level."""
    from .new_guide import NewGuideError, create

    try:
        create(args.directory, title=args.title, slug=args.slug, author=args.author)
    except NewGuideError as exc:
        return fail([str(exc)])
    content = args.directory / "content"
    log(f"created a new guide in {args.directory}; next: studykit check --content {content}, "
        f"then studykit build --content {content}")
    return 0


def stats_data(corpus: Corpus) -> dict:
    """Counts per section and level, drafts and sources (the `stats --json` shape)."""
    from schema import LEVELS

    sections = []
    for section in corpus.sections:
        levels = {level: len(section.by_level(level)) for level in LEVELS}
        drafts = sum(1 for q in section.questions if not q.published)
        sections.append({"id": section.id, "title": section.title, "levels": levels, "drafts": drafts})
    return {
        "published": len(corpus.published),
        "drafts": len(corpus.questions) - len(corpus.published),
        "sections": sections,
        "sources": len(corpus.sources),
    }


def counted_data(exc: ContentErrors) -> dict:
    """The `stats_data` shape from the questions that loaded despite problems elsewhere."""
    from schema import LEVELS

    sections: dict[str, dict] = {}
    for title, level, published in exc.counted:
        entry = sections.setdefault(title, {"id": "", "title": title, "levels": dict.fromkeys(LEVELS, 0), "drafts": 0})
        if published:
            entry["levels"][level] += 1
        else:
            entry["drafts"] += 1
    published = sum(1 for _, _, p in exc.counted if p)
    return {"published": published, "drafts": len(exc.counted) - published, "sections": list(sections.values()),
            "sources": None, "problems": len(exc.problems)}


def cmd_stats(args: argparse.Namespace) -> int:
    """Print questions per section and level, drafts and sources (with problems: what loaded, and the problems by kind)."""
    try:
        data = stats_data(load(args.content))
    except ContentErrors as exc:
        if not exc.counted:
            raise
        print_stats(counted_data(exc), args.json)
        raise
    return print_stats(data, args.json)


def print_stats(data: dict, as_json: bool) -> int:
    """The counts as JSON or a table on stdout."""
    if as_json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    from schema import LEVELS

    width = max([len(s["title"]) for s in data["sections"]] + [7])
    header = f"{'section':<{width}}  " + "  ".join(f"{lv:>12}" for lv in LEVELS) + f"  {'drafts':>6}"
    print(header)
    for s in data["sections"]:
        print(f"{s['title']:<{width}}  " + "  ".join(f"{s['levels'][lv]:>12}" for lv in LEVELS) + f"  {s['drafts']:>6}")
    total = len(data["sections"])
    sources = f", {data['sources']} sources" if data["sources"] is not None else ""
    print(f"\n{data['published']} published, {data['drafts']} drafts, {total} sections{sources}")
    return 0


def jobs_count(text: str) -> int:
    """-j N: a whole number of parallel builders, at least 1."""
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if count < 1:
        raise argparse.ArgumentTypeError(f"{count} builders cannot run anything: give 1 or more")
    return count


def version() -> str:
    """The installed package's version (pyproject.toml's, in a checkout)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("studykit")
    except PackageNotFoundError:
        return "unknown (not installed)"


OUT_HELP = ("folder for every output, README.md included (default: output/ and README.md beside the content "
            "folder, i.e. in its parent: the repository root for content/)")


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="studykit", description="Validate study content and build its outputs.")
    root.add_argument("--version", action="version", version=f"studykit {version()}")
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, handler) -> argparse.ArgumentParser:  # noqa: ANN001
        sub = commands.add_parser(name, help=handler.__doc__, description=handler.__doc__)
        sub.add_argument("--content", type=Path, default=Path("content"), metavar="DIR",
                         help="content folder (default: content/)")
        sub.add_argument("-q", "--quiet", action="store_true", help="no progress messages (errors still print)")
        sub.set_defaults(handler=handler, parser=sub)
        return sub

    command("check", cmd_check)
    build_cmd = command("build", cmd_build)
    build_cmd.add_argument("formats", nargs="*", metavar="FORMAT",
                           help=f"one or more of: {', '.join(FORMATS)} (default: all)")
    build_cmd.add_argument("--out", type=Path, metavar="DIR", help=OUT_HELP)
    build_cmd.add_argument("-j", "--jobs", type=jobs_count, default=os.cpu_count() or 1, metavar="N",
                           help="builders to run in parallel processes (default: CPU count)")
    build_cmd.add_argument("--force", action="store_true", help="rebuild everything, even outputs that are up to date")
    build_cmd.add_argument("--paper", type=str.lower, choices=["a4", "letter"], default="a4",
                           help="PDF paper size, a4 or letter (default: a4)")
    build_cmd.add_argument("--check", action="store_true", help="write nothing; fail if a committed generated file is stale")
    watcher = command("watch", cmd_watch)
    watcher.add_argument("--out", type=Path, metavar="DIR", help=OUT_HELP)
    watcher.add_argument("--paper", type=str.lower, choices=["a4", "letter"], default="a4",
                           help="PDF paper size, a4 or letter (default: a4)")
    watcher.add_argument("-j", "--jobs", type=jobs_count, default=os.cpu_count() or 1, metavar="N", help="parallel builders")
    importer = commands.add_parser("import", help=cmd_import.__doc__, description=cmd_import.__doc__)
    importer.add_argument("legacy", type=Path, metavar="LEGACY.md", help="the Markdown file to import")
    importer.add_argument("--into", type=Path, required=True, metavar="DIR", help="content folder to create")
    importer.add_argument("-q", "--quiet", action="store_true", help="no progress messages (the report and errors still print)")
    importer.add_argument("--dry-run", action="store_true", help="print the outline found and the report; write nothing")
    importer.add_argument("--strict", action="store_true", help="exit 1 (writing nothing) when the result looks wrong")
    importer.add_argument("--force", action="store_true", help="replace DIR if it exists and is not empty")
    importer.add_argument("--questions", choices=["auto", "headings", "bold", "list", "prefix", "table"], default="auto",
                          help="how questions are marked: headings, bold paragraphs, list items, 'Q:' lines, table rows (default: detect)")
    importer.add_argument("--question-depth", type=int, choices=range(1, 7), metavar="N",
                          help="headings of depth N (## is 2) are the questions")
    importer.add_argument("--section-depth", type=int, choices=range(1, 7), metavar="N",
                          help="headings of depth N are the sections")
    importer.add_argument("--levels", choices=["auto", "headings", "markers", "none"], default="auto",
                          help="where levels come from: level headings, emoji/tags in the question, or none (default: both)")
    importer.add_argument("--level", choices=["basic", "intermediate", "advanced"], default="basic",
                          help="level of questions with no level marker (default: basic)")
    importer.add_argument("--source", metavar="URL-OR-CITATION",
                          help="where the document came from, recorded as the source of every question (default: its file name)")
    importer.add_argument("--title", help="title of the guide (default: the document's title heading)")
    importer.set_defaults(handler=cmd_import)
    new = commands.add_parser("new", help=cmd_new.__doc__, description=cmd_new.__doc__)
    new.add_argument("directory", type=Path, metavar="DIR", help="folder for the new guide (created; must be empty)")
    new.add_argument("--title", help="the guide's title (default: from DIR's name)")
    new.add_argument("--slug", help="file-name stem of every output (default: from the title)")
    new.add_argument("--author", help="author shown on the outputs (default: git's user.name)")
    new.add_argument("-q", "--quiet", action="store_true", help="no progress messages (errors still print)")
    new.set_defaults(handler=cmd_new)
    stats = command("stats", cmd_stats)
    stats.add_argument("--json", action="store_true", help="print machine-readable JSON")
    return root


def _interrupt(signum, frame) -> None:  # noqa: ANN001
    """Ctrl-C and SIGTERM: raise KeyboardInterrupt (staged files removed, outputs kept) and
    remember it, because an exception raised inside a C callback (Pango, in WeasyPrint) can be
    swallowed there; the commit and the watch loop check the flag."""
    output.INTERRUPTED = True
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    cli = parser()
    args = cli.parse_args(argv)
    progress.QUIET = getattr(args, "quiet", False)
    unknown = [f for f in getattr(args, "formats", []) if f not in FORMATS]
    if unknown:  # the build command's usage, not the top level's
        args.parser.error(f"unknown format {unknown[0]!r} (choose from {', '.join(FORMATS)})")
    try:
        return args.handler(args)
    except ContentErrors as exc:
        return report_problems(exc, getattr(exc, "trailer", None) or TRAILERS.get(args.command, "nothing was built"))
    except OSError as exc:
        return fail([f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": ")])
    except KeyboardInterrupt:
        print("interrupted; earlier outputs are unchanged", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the CLI never shows a traceback
        if os.environ.get("STUDYKIT_DEBUG"):
            raise
        jinja2 = sys.modules.get("jinja2")
        if jinja2 and isinstance(exc, jinja2.TemplateError):
            where = f"{getattr(exc, 'filename', None) or getattr(exc, 'name', None) or 'templates/'}"
            line = getattr(exc, "lineno", None)
            return fail([f"{where}{f':{line}' if line else ''}: template error: {exc.message or exc}"])
        return fail([f"{type(exc).__name__}: {exc} (set STUDYKIT_DEBUG=1 for a traceback)"])


if __name__ == "__main__":
    sys.exit(main())
