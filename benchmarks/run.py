"""Benchmark studykit builds on synthetic corpora; prints wall time and peak memory (not a test).

Usage: .venv/bin/python benchmarks/run.py [SIZES ...]   (default: 100 300 1000)
"""
from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BARE_UP_TO = 300  # the bare-WeasyPrint comparison renders the handout four more times: skipped above this size
BUILDERS_UP_TO = 300  # above this size only the cold build, the no-op and the edit are measured
STUDYKIT = Path(sys.executable).parent / "studykit"
WORDS = ("attention query key value softmax token embedding layer residual norm gradient head model "
         "sequence position decoder encoder vector matrix weight bias scale training loss batch").split()
INLINE = [r"$d_k$", r"$\sqrt{d_k}$", r"$QK^\top$", r"$h = 8$", r"$O(n^2 d)$", r"$W^O_i$", r"$x_i$", r"$\mathrm{softmax}(z)_i$"]
DISPLAY = [r"\mathrm{Attention}(Q,K,V) = \mathrm{softmax}\!\left(\frac{QK^\top}{\sqrt{d_k}}\right)V",
           r"\mathrm{LN}(x) = \gamma \odot \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta",
           r"\mathcal{L} = -\frac{1}{n}\sum_{t=1}^{n} \log p_\theta(x_t \mid x_{<t})"]


def formula(rng: random.Random) -> str:
    """Half the formulas come from a shared pool ($d_k$ recurs everywhere), half are one-off."""
    if rng.random() < 0.5:
        return rng.choice(INLINE)
    a, b, c = rng.choice("xyzqkvhW"), rng.randrange(1, 99), rng.choice("ijtn")
    return rf"${a}_{{{c}}}^{{({b})}} = \frac{{{rng.randrange(2, 99)}}}{{\sqrt{{d_{c}}}}}$"


def sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    words.insert(rng.randrange(len(words)), formula(rng))
    return " ".join(words).capitalize() + "."


def make_corpus(root: Path, size: int, seed: int = 7) -> None:
    """A corpus of `size` questions: 8 sections, ~250-word answers, ~5 formulas each, about half of
    them distinct (like the bundled guide: 1675 formulas, 864 distinct)."""
    rng = random.Random(seed)
    (root / "corpus.yaml").write_text(f"title: Synthetic {size}\nslug: synthetic\ndescription: Benchmark corpus.\nauthor: bench\n", encoding="utf-8")
    (root / "bibliography.yaml").write_text('vaswani2017:\n  authors: Vaswani et al.\n  title: Attention Is All You Need\n  year: 2017\n  arxiv: "1706.03762"\n', encoding="utf-8")
    for s in range(8):
        folder = root / f"{s + 1:02d}-section-{s + 1}"
        folder.mkdir()
        (folder / "section.yaml").write_text(f"id: section-{s + 1}\ntitle: Section {s + 1}\n", encoding="utf-8")
    for i in range(size):
        level = ("basic", "intermediate", "advanced")[i % 3]
        paragraphs = [" ".join(sentence(rng, 14) for _ in range(3)) for _ in range(4)]
        display = rng.choice(DISPLAY) + rf" + \epsilon_{{{i}}}"  # every display formula is distinct
        body = "\n\n".join(paragraphs[:2] + ["$$\n" + display + "\n$$"] + paragraphs[2:]) + "\n\n- " + sentence(rng, 10) + "\n- " + sentence(rng, 10) + "\n"
        short = sentence(rng, 20) + " " + sentence(rng, 15)
        text = (f"---\nid: q{i}\nquestion: Question {i} about {rng.choice(WORDS)} and {rng.choice(WORDS)}?\n"
                f"level: {level}\nshort_answer: \"{short.replace(chr(92), chr(92) * 2)}\"\nsources: [vaswani2017]\n---\n{body}")
        (root / f"{i % 8 + 1:02d}-section-{i % 8 + 1}" / f"{i:04d}-q{i}.md").write_text(text, encoding="utf-8")


def timed(args: list[str], cwd: Path, env: dict) -> tuple[float, float]:
    """(seconds, peak RSS in MiB of the largest process: the build itself or one of its workers)."""
    report = cwd / "rss.txt"
    start = time.perf_counter()
    result = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", str(report), *args], cwd=cwd, env=env,
                            capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode:
        sys.exit(f"failed: {' '.join(args)}\n{result.stderr[-2000:]}")
    # GNU time reports the build process; wait4() folds in the workers it reaped (Linux keeps the max)
    return elapsed, int(report.read_text().split()[-1]) / 1024


def bare_weasyprint_ratio(content: Path, env: dict) -> tuple[float, float, float]:
    """(our handout PDF in parts, bare WeasyPrint as shipped on the same final HTML with the same
    options, our whole-document render with the SVG path speed-up), each the best of two
    interleaved runs in one process with warm fonts; nothing remembered between runs (this
    machine is noisy)."""
    code = f"""
import os, tempfile, time, weasyprint
from schema import load_corpus
from builders import html, pdf, weasyprint_speedups as speedups
corpus = load_corpus({str(content)!r})
data = html.view(corpus, for_print=True)
document = html.document(corpus, "handout", extra_css=pdf.print_css("a4"), data=data)
options = dict(pdf_tags=True, custom_metadata=True)  # the same output features as ours
weasyprint.HTML(string=document).write_pdf(**options)  # warm fonts and caches
ours, bare, whole = [], [], []
for _ in range(2):
    os.environ["STUDYKIT_CACHE"] = tempfile.mkdtemp()  # no part remembered: all laid out, one after the other
    speedups.forget()
    t = time.perf_counter(); pdf.render(corpus, modes=("handout",)); ours.append(time.perf_counter() - t)
    speedups.forget()
    t = time.perf_counter(); pdf.render_whole(corpus, "handout", data=data); whole.append(time.perf_counter() - t)
    speedups.uninstall()  # WeasyPrint as shipped
    t = time.perf_counter(); weasyprint.HTML(string=document).write_pdf(**options); bare.append(time.perf_counter() - t)
    speedups.install()
print(min(ours), min(bare), min(whole))
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    ours, bare, whole = (float(x) for x in out.stdout.split())
    return ours, bare, whole


def main(sizes: list[int]) -> None:
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, {os.uname().sysname} {os.uname().machine}")
    print("size | builder | wall s | peak MiB")
    summary = []
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            content = tmp / "content"
            content.mkdir()
            make_corpus(content, size)
            env = {**os.environ, "STUDYKIT_CACHE": str(tmp / "cache"), "SOURCE_DATE_EPOCH": "1700000000"}
            build = [str(STUDYKIT), "build", "--content", str(content), "--out", str(tmp / "out"), "-q"]
            cold, cold_mem = timed(build, tmp, env)
            print(f"{size} | all (cold, -j {os.cpu_count()}) | {cold:.2f} | {cold_mem:.0f}")
            noop, _ = timed(build, tmp, env)
            print(f"{size} | all (no-op rebuild) | {noop:.2f} | -")
            if size <= BUILDERS_UP_TO:
                for fmt in ("readme", "json", "html", "pdf", "anki"):
                    if fmt == "pdf":  # lay every PDF document out again (and remember them again)
                        shutil.rmtree(tmp / "cache" / "pdf-parts")
                    seconds, mem = timed(build[:2] + [fmt] + build[2:] + ["--force", "-j", "1"], tmp, env)
                    print(f"{size} | {fmt} (warm math cache, -j 1) | {seconds:.2f} | {mem:.0f}")
            first = next(content.glob("01-*/*.md"))
            first.write_text(first.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")
            edit, _ = timed(build[:2] + ["readme", "json", "anki"] + build[2:], tmp, env)
            print(f"{size} | readme+json+anki after editing one answer | {edit:.2f} | -")
            handout_edit, edit_mem = timed(build[:2] + ["pdf"] + build[2:], tmp, env)
            print(f"{size} | pdf after editing one answer (-j {os.cpu_count()}) | {handout_edit:.2f} | {edit_mem:.0f}")
            if size <= BARE_UP_TO:
                ours, bare, whole = bare_weasyprint_ratio(content, env)
                print(f"{size} | handout PDF in parts, one after the other: ours {ours:.2f} s vs bare WeasyPrint "
                      f"{bare:.2f} s | ratio {ours / bare:.2f} | -")
                print(f"{size} | handout as one document, our render (SVG path speed-up) | {whole:.2f} | -")
                summary.append((size, cold, cold_mem, noop, f"{ours / bare:.2f}", f"{cold / bare:.2f}", f"{handout_edit / bare:.2f}",
                                f"{handout_edit / whole:.2f}"))
            else:
                summary.append((size, cold, cold_mem, noop, "-", "-", "-", "-"))
    print("\nsize | cold s | peak MiB | per question ms | no-op/cold | handout in parts, serial/bare | "
          "cold all/bare handout | pdf after one edit/bare handout | pdf after one edit/our whole handout")
    for size, cold, mem, noop, ratio, cold_ratio, edit_ratio, edit_whole in summary:
        print(f"{size} | {cold:.1f} | {mem:.0f} | {1000 * cold / size:.0f} | {noop / cold:.3f} | {ratio} | {cold_ratio} | "
              f"{edit_ratio} | {edit_whole}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100, 300, 1000])
