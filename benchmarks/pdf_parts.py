"""Measure how to split and join the handout (not a test): prints seconds per scheme and joiner.

Usage: .venv/bin/python benchmarks/pdf_parts.py [CONTENT]   (default: the bundled guide)

For each split scheme (the whole document; one part per section; sections grouped into two
balanced chunks, one per core) it lays out every document in this process, one after the
other, and reports: the layout time summed, the longest single document (what an edit of its
part waits for), and the time the handout would take on 2 workers (longest-first scheduling of
the same documents, plus the contents and footers pass and the join). Then it times two joiners
on the same rendered parts: ours (pikepdf: pages, outline, destinations, links, structure tree,
footers) and pypdf's PdfWriter.append (pages, outline and destinations only, no structure tree),
to show what a pure-Python joiner would cost before doing the structure tree at all. Last, the
edit loop as an author meets it: on a copy of the content, built once, a sentence appended to an
answer of the largest section, then a paragraph of about 600 characters (four times: some of
them add a page, which also lays out the contents and footers again), then a sentence in the
smallest section, each followed by `studykit build pdf` (a new process, all cores), three times
each, the median timed against the whole-document render above (the faster of two renders, so
the ratio errs high), and each edit also against a whole render of the edited guide in a new
process right after it (the machine's speed drifts), with the pages each edit added.
"""
from __future__ import annotations

import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EDITS = 3  # edits timed per section (a new sentence each time); the median is reported
PARAGRAPHS = 4  # then paragraphs added to the largest section, one at a time (some of them add a page)
sys.path.insert(0, str(ROOT))

from builders import html, pdf, pdfparts  # noqa: E402
from builders import weasyprint_speedups as speedups  # noqa: E402
from schema import load_corpus  # noqa: E402


def timed_run(times: list[float]):  # noqa: ANN201 - a pdfparts.Runner that records times
    def run(tasks):  # noqa: ANN001, ANN202
        results = []
        for task in tasks:
            start = time.perf_counter()
            results.append(pdfparts.render_task(task))
            times.append(time.perf_counter() - start)
        return results
    return run


def two_workers(durations: list[float]) -> float:
    """Makespan of the documents on 2 workers, longest first."""
    load = [0.0, 0.0]
    for duration in sorted(durations, reverse=True):
        load[load.index(min(load))] += duration
    return max(load)


def balanced(sizes: list[int], chunks: int) -> list[list[int]]:
    """Consecutive sections in `chunks` groups of about the same HTML size."""
    total, groups, current, acc = sum(sizes), [], [], 0
    for i, size in enumerate(sizes):
        current.append(i)
        acc += size
        if acc >= total * (len(groups) + 1) / chunks and len(groups) < chunks - 1:
            groups.append(current)
            current = []
    return groups + ([current] if current else [])


def main(content: Path) -> None:
    with tempfile.TemporaryDirectory() as cache:
        os.environ["STUDYKIT_CACHE"] = cache  # nothing remembered: every document is laid out
        corpus = load_corpus(content)
        data = html.view(corpus, for_print=True)
        css = pdf.stylesheets("a4")
        pdf.render_pdf('<html lang="en"><p>warm up</p></html>', css=css[0])
        wholes = []
        for _ in range(2):
            speedups.forget()  # as in a new process: no path or drawing remembered
            start = time.perf_counter()
            pdf.render_whole(corpus, "handout", data=data)
            wholes.append(time.perf_counter() - start)
        whole = min(wholes)
        print(f"corpus: {content} ({len(corpus.published)} questions, {len(data['sections'])} sections)")
        print(f"whole document, one render: {whole:.2f} s (the faster of two: {wholes[0]:.2f}, {wholes[1]:.2f})")
        sizes = [len(pdfparts.Handout(corpus, data, css).parts[i]) for i in range(len(data["sections"]))]
        schemes = {"one part per section": None, "two balanced chunks": balanced(sizes, 2)}
        print("scheme | layout summed s | longest document s | on 2 workers s | join s | edit waits for s")
        kept = None
        for name, groups in schemes.items():
            speedups.forget()
            handout = pdfparts.Handout(corpus, data, css, groups)
            body_times: list = []
            body = timed_run(body_times)(handout.body())
            finish_times: list = []
            finished = timed_run(finish_times)(handout.finish(body))
            start = time.perf_counter()
            handout.join(body, finished)
            join = time.perf_counter() - start
            durations = body_times
            parallel = two_workers(durations) + max(finish_times) + join
            print(f"{name} | {sum(durations) + sum(finish_times):.2f} | {max(durations):.2f} | "
                  f"{parallel:.2f} ({parallel / whole:.2f} x whole) | {join:.2f} | {max(durations[1:]) + join:.2f} "
                  f"({(max(durations[1:]) + join) / whole:.2f} x whole)")
            kept = kept or (body, finished)
        body, finished = kept
        from pypdf import PdfWriter

        start = time.perf_counter()
        writer = PdfWriter()
        for data_, _ in [finished[0], *body[1:]]:
            writer.append(io.BytesIO(data_))
        writer.write(io.BytesIO())
        print(f"joiner pypdf PdfWriter.append (no structure tree, no footers): {time.perf_counter() - start:.2f} s")
        edit_loop(content, sizes, data, whole, Path(cache))


PARAGRAPH = ("A new paragraph of about six hundred characters, as an author might add to an answer while "
             "revising it: it restates the point, gives one more example, and names the case where the rule "
             "does not hold, so that the reader can check their own understanding against it. ") * 2


def edit_loop(content: Path, sizes: list[int], data: dict, whole: float, tmp: Path) -> None:
    copy = tmp / "content"
    shutil.copytree(content, copy)
    out = tmp / "out"
    studykit = [str(Path(sys.executable).parent / "studykit"), "build", "--content", str(copy), "--out", str(out), "-q"]
    subprocess.run(studykit, check=True)
    folders = {s["id"]: s["title"] for s in data["sections"]}
    order = sorted(range(len(sizes)), key=sizes.__getitem__)
    for label, index, what, edits in (("largest", order[-1], "sentence", EDITS), ("largest", order[-1], "paragraph", PARAGRAPHS),
                                      ("smallest", order[0], "sentence", EDITS)):
        section_id = data["sections"][index]["id"]
        folder = next(f for f in copy.iterdir() if f.is_dir() and (f / "section.yaml").is_file()
                      and f"id: {section_id}" in (f / "section.yaml").read_text(encoding="utf-8"))
        answer = sorted(folder.glob("*.md"))[0]
        times, wholes, pages = [], [], []
        for edit in range(edits):
            added = f"One more sentence ({edit})." if what == "sentence" else f"{PARAGRAPH}({edit})"
            answer.write_text(answer.read_text(encoding="utf-8") + f"\n{added}\n", encoding="utf-8")
            before = handout_pages(out)
            start = time.perf_counter()
            subprocess.run(studykit + ["pdf"], check=True)
            times.append(time.perf_counter() - start)
            pages.append(handout_pages(out) - before)
            wholes.append(whole_render(copy))  # right after: this machine's speed drifts over minutes
        seconds = statistics.median(times)
        ratios = [t / w for t, w in zip(times, wholes)]
        print(f"{what} added in the {label} section ({folders[section_id]}): studykit build pdf {seconds:.2f} s "
              f"({seconds / whole:.2f} x the whole-document render above; median of {edits} edits: "
              f"{', '.join(f'{t:.2f}' for t in times)})")
        print(f"  each edit against a whole render of the edited guide right after it: "
              f"{', '.join(f'{t:.2f}/{w:.2f} = {r:.2f} ({p:+d} pages)' for t, w, r, p in zip(times, wholes, ratios, pages))}; "
              f"median {statistics.median(ratios):.2f} x", flush=True)


def handout_pages(out: Path) -> int:
    import pikepdf

    (handout,) = out.glob("*-handout.pdf")
    with pikepdf.open(handout) as document:
        return len(document.pages)


def whole_render(content: Path) -> float:
    """Seconds for our whole-document render of the handout, in a new process after a warm-up
    page (as the render above), nothing remembered but the formulas' SVGs."""
    code = f"""
import time
from pathlib import Path
from schema import load_corpus
from builders import html, pdf
corpus = load_corpus(Path({str(content)!r}))
data = html.view(corpus, for_print=True)
pdf.render_pdf('<html lang="en"><p>warm up</p></html>', css=pdf.stylesheets("a4")[0])
start = time.perf_counter()
pdf.render_whole(corpus, "handout", data=data)
print(time.perf_counter() - start)
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return float(out.stdout.split()[-1])


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "content")
