"""Hardening: interrupted or failing builds lose nothing, bad input never shows a traceback, injection never renders."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from builders import anki, html, pdf
from builders.cli import main
from schema import ContentErrors, load_corpus

from .conftest import CONTENT

STUDYKIT = Path(sys.executable).parent / "studykit"


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def edit(tiny: Path) -> None:
    first = tiny / "01-basics" / "01-first.md"
    first.write_text(first.read_text(encoding="utf-8") + "\nAn edit.\n", encoding="utf-8")


def test_builder_raising_half_way_leaves_every_output_byte_identical(tiny, tmp_path, monkeypatch, run):
    out = tmp_path / "out"
    assert run("build", "--content", str(tiny), "--out", str(out))[0] == 0
    before, lock = snapshot(out), (tiny / anki.LOCK_FILE).read_bytes()
    edit(tiny)

    def explode(corpus, **options):
        raise RuntimeError("boom half-way")

    monkeypatch.setattr(pdf, "render", explode)  # readme, json and html are rendered before it
    code, _, err = run("build", "-j", "1", "--content", str(tiny), "--out", str(out))
    assert code == 1 and "Error: RuntimeError: boom half-way" in err and "Traceback" not in err
    assert snapshot(out) == before and (tiny / anki.LOCK_FILE).read_bytes() == lock


def test_sigint_during_a_build_leaves_every_output_byte_identical(tiny, tmp_path):
    out = tmp_path / "out"
    assert subprocess.run([str(STUDYKIT), "build", "--content", str(tiny), "--out", str(out)], capture_output=True).returncode == 0
    before = snapshot(out)
    edit(tiny)
    proc = subprocess.Popen([str(STUDYKIT), "build", "--content", str(tiny), "--out", str(out)],
                            stderr=subprocess.PIPE, text=True)
    seen = ""
    deadline = time.time() + 60
    while "building pdf" not in seen and time.time() < deadline:
        seen += proc.stderr.readline()
    time.sleep(0.3)  # inside WeasyPrint
    proc.send_signal(signal.SIGINT)
    rest = proc.stderr.read()
    assert proc.wait(timeout=60) == 130, seen + rest
    assert "Traceback" not in seen + rest
    assert snapshot(out) == before
    assert not list(out.glob(".*.tmp"))


def start_pdf_build(tmp_path: Path) -> tuple[subprocess.Popen, str, Path]:
    """A -j 2 build of a copy of the bundled guide, returned once its handout is rendering in a
    worker process (20 s or more of work left)."""
    content, out = tmp_path / "content", tmp_path / "out"
    shutil.copytree(CONTENT, content)
    proc = subprocess.Popen([str(STUDYKIT), "build", "-j", "2", "--content", str(content), "--out", str(out)],
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "STUDYKIT_CACHE": str(tmp_path / "cache")})
    seen = ""
    deadline = time.time() + 120
    while "building pdf:handout" not in seen and time.time() < deadline and proc.poll() is None:
        seen += proc.stderr.readline()
    assert "building pdf:handout" in seen, seen
    time.sleep(1)  # the workers are inside WeasyPrint
    return proc, seen, out


def workers_of(pid: int) -> list[int]:
    """The pool's worker processes (not multiprocessing's resource tracker) of a process."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            command = (stat.parent / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if parent == pid and b"spawn_main" in command:
            found.append(int(stat.parent.name))
    return found


def test_sigterm_stops_running_pdf_workers_at_once(tmp_path):
    """An interrupt stops the PDF workers instead of waiting for the handout to finish, and
    writes nothing."""
    proc, seen, out = start_pdf_build(tmp_path)
    workers = workers_of(proc.pid)
    assert len(workers) == 2, workers
    proc.send_signal(signal.SIGTERM)
    stopped = time.monotonic()
    code = proc.wait(timeout=120)
    waited = time.monotonic() - stopped
    rest = proc.stderr.read()
    assert code == 130 and "Traceback" not in seen + rest, seen + rest
    assert waited < 10, f"waited {waited:.1f} s for the workers"
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)
    assert not out.exists() or not any(out.iterdir())


def test_a_worker_killed_mid_pdf_fails_the_build_instead_of_hanging(tmp_path):
    """As when the kernel's OOM killer takes a WeasyPrint worker: a clear error, exit code 1,
    the other worker stopped, nothing written."""
    proc, seen, out = start_pdf_build(tmp_path)
    workers = workers_of(proc.pid)
    assert len(workers) == 2, workers
    os.kill(workers[0], signal.SIGKILL)
    code = proc.wait(timeout=120)
    rest = proc.stderr.read()
    assert code == 1 and "Error:" in rest and "terminated abruptly" in rest and "Traceback" not in rest, seen + rest
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.parametrize("size", [50 * 1024 * 1024])
def test_a_50_mb_file_is_refused_quickly(tiny, size):
    big = tiny / "01-basics" / "09-big.md"
    with open(big, "wb") as handle:
        handle.truncate(size)
        handle.seek(0)
        handle.write(b"---\nid: big\n---\n")
    with pytest.raises(ContentErrors, match=r"09-big.md: file is 52428800 bytes \(limit 1000000\)"):
        load_corpus(tiny)


def test_deeply_nested_lists_and_quotes_validate_or_fail_cleanly(tiny, run):
    first = tiny / "01-basics" / "01-first.md"
    nested = "".join("  " * i + "- level\n" for i in range(300)) + "\n" + ">" * 300 + " deep\n"
    first.write_text(first.read_text(encoding="utf-8") + "\n" + nested, encoding="utf-8")
    code, _, err = run("build", "readme", "json", "html", "anki", "--content", str(tiny), "--out", str(tiny.parent / "out"))
    assert code in (0, 1) and "Traceback" not in err


def test_file_names_with_spaces_and_non_ascii_load(tiny):
    (tiny / "01-basics" / "02-second.md").rename(tiny / "01-basics" / "02 sécond question.md")
    corpus = load_corpus(tiny)
    assert corpus.question("second").path.endswith("02 sécond question.md")


def test_bad_section_folder_name_is_an_error(tiny):
    (tiny / "02-émbed").mkdir()
    with pytest.raises(ContentErrors, match="02-émbed: unexpected entry"):
        load_corpus(tiny)


def test_broken_template_is_reported_with_file_and_line(tiny, tmp_path, monkeypatch, run):
    from builders import templating

    copy = tmp_path / "templates"
    shutil.copytree(templating.TEMPLATES, copy)
    (copy / "README.md.j2").write_text("# {{ fixed.title.text }}\n\n{% for x in %}\n", encoding="utf-8")
    monkeypatch.setattr(templating, "TEMPLATES", copy)
    code, _, err = run("build", "readme", "--content", str(tiny), "--out", str(tmp_path / "out"))
    assert code == 1 and "README.md.j2:3: template error" in err and "Traceback" not in err


def test_unwritable_output_folder_is_an_error(tiny, run):
    code, _, err = run("build", "json", "--content", str(tiny), "--out", "/proc/forbidden/out")
    assert code == 1 and err.count("Error:") == 1 and "Traceback" not in err


def test_cli_option_errors(run, tiny):
    assert run("build", "--paper", "a3", "--content", str(tiny))[0] == 2
    assert run("check", "--content", str(tiny / "corpus.yaml"))[0] == 1
    assert run("stats", "--json", "--content")[0] == 2


def active_markup(text: str) -> list[tuple[str, list]]:
    """Every real tag with its attributes (escaped text such as `&lt;script&gt;` is not a tag)."""
    from html.parser import HTMLParser

    found: list[tuple[str, list]] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, attrs))

    Collect().feed(text)
    return found


PAYLOADS = (
    "<script>alert(1)</script>\n\n"
    "![x](file:///etc/hostname)\n\n"
    '<link rel=attachment href="file:///etc/hostname">\n\n'
    '<img src=x onerror="alert(1)">\n\n'
    "[click](javascript:alert(1))\n"
)


def test_check_rejects_every_injection(tiny):
    first = tiny / "01-basics" / "01-first.md"
    first.write_text(first.read_text(encoding="utf-8") + "\n" + PAYLOADS, encoding="utf-8")
    with pytest.raises(ContentErrors) as caught:
        load_corpus(tiny)
    messages = str(caught.value)
    for fragment in ("raw HTML is not allowed: '<script>", "remote images are never fetched: 'file:///etc/hostname'",
                     "raw HTML is not allowed: '<link rel=attachment", "raw HTML is not allowed: '<img src=x onerror",
                     "links must be absolute http(s) URLs or [text](#question-id): 'javascript:alert(1)'"):
        assert fragment in messages


def test_a_forced_render_shows_no_active_injection_anywhere(tiny):
    corpus = load_corpus(tiny)
    section = corpus.sections[0]
    forced = section.questions[0].model_copy(update={"answer": PAYLOADS, "short_answer": "<script>x</script>"})
    corpus = corpus.model_copy(update={"sections": (section.model_copy(update={"questions": (forced, *section.questions[1:])}),)})
    secret = Path("/etc/hostname").read_text().strip() if Path("/etc/hostname").is_file() else "no-hostname"
    page = html.render(corpus)["tiny.html"].decode()
    own = f"<script>{html.page_script()}</script>"
    assert page.count("<script") == page.count(own) == 1  # the page's own, allowed by hash in its policy
    page = page.replace(own, "")
    fields = " ".join(anki.note_fields(corpus, section, forced))
    from pypdf import PdfReader
    from io import BytesIO

    pdfs = pdf.render(corpus)
    for name, text in (("html", page), ("anki", fields)):
        for tag, attrs in active_markup(text):
            assert tag not in ("script", "link", "img", "iframe", "object", "embed"), (name, tag)
            for key, value in attrs:
                assert not key.startswith("on") and key != "src", (name, tag, key)
                assert not (value or "").lower().startswith(("javascript:", "file:", "data:text")), (name, tag, value)
    for name, data in pdfs.items():
        reader = PdfReader(BytesIO(data))
        assert "/EmbeddedFiles" not in str(reader.trailer["/Root"].get("/Names", {}))
        for page_ in reader.pages:
            for annot in page_.get("/Annots") or []:
                assert annot.get_object().get("/Subtype") != "/FileAttachment", name
        assert secret.encode() not in data or len(secret) < 4
