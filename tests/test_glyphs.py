"""Every character prints: `check` reports what no PDF font draws, PDFs with emoji, Greek and
accents use no .notdef glyph, and WeasyPrint's warnings are summarised once per build."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader

from builders import build as engine
from builders import html, pdf, renderlog
from schema import ContentErrors, fonts, load_corpus

from .conftest import ROOT

UNICODE = Path(__file__).resolve().parent / "fixtures" / "unicode"
Q = "01-scripts/01-cafe.md"


@pytest.fixture
def uni(tmp_path: Path, monkeypatch) -> Path:
    """A writable copy of the fixture with emoji, Greek and accents in every printed field."""
    target = tmp_path / "unicode"
    shutil.copytree(UNICODE, target)
    monkeypatch.chdir(target)
    return target


def problems(content: Path) -> list[str]:
    with pytest.raises(ContentErrors) as caught:
        load_corpus(content)
    return [str(p) for p in caught.value.problems]


def append(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_emoji_greek_and_accents_pass_check(run):
    code, _, err = run("check", "--content", str(UNICODE))
    assert code == 0, err


MISSING = "U+0915 DEVANAGARI LETTER KA (क) cannot be printed: no PDF font has it"
CASES = [
    ("answer", Q, "Every line mixes", "Every line क mixes", f"{Q}:9: answer: {MISSING}"),
    ("question", Q, "print with", "print क with", f"{Q}:3: question: {MISSING}"),
    ("short answer", Q, "naïve", "क naïve", f"{Q}:5: short_answer: {MISSING}"),
    ("code block", Q, 'print("héllo', 'print("क héllo', f"{Q}:15: answer: {MISSING}"),
    ("section title", "01-scripts/section.yaml", "Émojis", "क Émojis", f"01-scripts/section.yaml:2: title: {MISSING}"),
    ("corpus author", "corpus.yaml", "Zoë", "क Zoë", f"corpus.yaml:4: author: {MISSING}"),
    ("bibliography venue", "bibliography.yaml", "venue: Année", "venue: Année क",
     f"bibliography.yaml:4: goedel1931.venue: {MISSING}"),
    ("private use", Q, "Every line mixes", "Every line \ue000 mixes",
     f"{Q}:9: answer: U+E000 <Co> cannot be printed: no PDF font has it"),
    ("inside a formula", Q, "$α + \\beta$", "$α + \\text{注}$",
     f"{Q}:5: short_answer: U+6CE8 CJK UNIFIED IDEOGRAPH-6CE8 (注) inside a formula cannot be printed: "
     "the math font (STIX Two Math) has no glyph for it"),
]


@pytest.mark.parametrize("name,rel,old,new,expected", CASES, ids=[c[0] for c in CASES])
def test_a_character_no_font_draws_is_reported_with_file_line_field_code_and_name(uni, name, rel, old, new, expected):
    append(uni / rel, old, new)
    found = problems(Path("."))
    assert any(p.startswith(expected) for p in found), found
    assert len(found) == 1, found


def test_an_emoji_inside_a_formula_is_reported_not_a_crash(uni):
    """KaTeX quotes the formula in UTF-16 units; the halves of an emoji used to crash the cache write."""
    append(uni / Q, "$α + \\beta$", "$α + 🚀$")
    found = "\n".join(problems(Path(".")))
    assert f"{Q}:5: short_answer: U+1F680 ROCKET (🚀) inside a formula cannot be printed" in found
    assert f"{Q}:5: short_answer: formula does not parse: " in found


def test_a_missing_prerequisite_font_is_named_once_not_per_character(uni, tiny, monkeypatch):
    absent = fonts.Font("No Such Emoji Font", "fonts-no-such-emoji", "no-such-emoji-fonts", "font-no-such-emoji")
    monkeypatch.setattr(fonts, "PRINT_FONTS", (*fonts.PRINT_FONTS[:3], absent))
    found = problems(Path("."))
    assert len(found) == 1, found
    assert "No Such Emoji Font is not installed" in found[0]
    assert "`apt-get install fonts-no-such-emoji`" in found[0] and "font-no-such-emoji" in found[0]
    first = tiny / "01-basics" / "01-first.md"  # what the installed fonts draw is still fine
    append(first, "A detailed answer", "A détailed ανσωερ √ answer")
    load_corpus(tiny)


def test_cmaps_are_cached_by_font_file_and_mtime(tmp_path, monkeypatch):
    import fontTools.ttLib

    monkeypatch.setenv("STUDYKIT_CACHE", str(tmp_path / "cache"))
    opened: list[str] = []
    real = fontTools.ttLib.TTFont
    monkeypatch.setattr(fontTools.ttLib, "TTFont", lambda file, **kw: opened.append(str(file)) or real(file, **kw))
    first = fonts.coverage()
    assert opened and first.prints("🚀") and first.prints("α") and not first.prints("क")
    assert first.prints("α", in_formula=True) and not first.prints("🚀", in_formula=True)
    opened.clear()
    again = fonts.coverage()
    assert opened == [] and again.text == first.text and again.digest == first.digest
    copy = tmp_path / "font.ttf"
    shutil.copy(fonts.math_font_file(), copy)
    fonts._cached_ranges("math", [(str(copy), 0)])
    assert opened == [str(copy)]
    fonts._cached_ranges("math", [(str(copy), 0)])
    assert opened == [str(copy)]
    os.utime(copy, ns=(1, 1))
    fonts._cached_ranges("math", [(str(copy), 0)])
    assert opened == [str(copy)] * 2


def test_css_takes_its_font_stacks_from_one_place():
    for name in ("style.css", "print.css"):
        css = (ROOT / "templates" / "html" / name).read_text(encoding="utf-8")
        declarations = [line for line in css.splitlines() if "font-family:" in line]
        assert declarations and all("font-family: var(--font-" in line for line in declarations), name
    web = fonts.css_variables()
    assert all(f'"{font.family}"' in web for font in fonts.PRINT_FONTS)
    assert '"Noto Color Emoji"' not in fonts.css_variables(emoji=False)  # see css_variables
    assert fonts.css_variables(emoji=False, bundled=True) in pdf.print_css("a4")


def test_prerequisite_font_packages_are_listed_everywhere():
    readme = (ROOT / "templates" / "README.md.j2").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for font in fonts.PRINT_FONTS:
        assert font.debian in readme and font.fedora in readme and font.macos in readme, font
        assert font.debian in ci and font.debian in makefile, font
    assert "python -m schema.fonts" in makefile
    assert subprocess.run([sys.executable, "-m", "schema.fonts"], cwd=ROOT).returncode == 0


def pdf_fonts(data: bytes) -> list[tuple[str, str]]:
    """(base font, encoding) of every font the pages use."""
    found = []
    for page in PdfReader(BytesIO(data)).pages:
        for font in ((page.get("/Resources") or {}).get("/Font") or {}).values():
            font = font.get_object()
            encoding = font.get("/Encoding")
            found.append((str(font.get("/BaseFont")), encoding if isinstance(encoding, str) else "a CMap"))
    return found


def test_pdfs_with_emoji_greek_and_accents_draw_no_notdef_glyph():
    corpus = load_corpus(UNICODE)
    files, warnings = engine.run_job(corpus, engine.Job("pdf", (("paper", "a4"), ("modes", pdf.MODES))))
    assert [m for _, m in warnings if "notdef" in m] == []
    for name, data in files.items():
        used = pdf_fonts(data)
        # WeasyPrint gives a font with a .notdef glyph a CMap of its own instead of Identity-H
        assert used and all(encoding == "/Identity-H" for _, encoding in used), (name, used)
        assert any("Noto-Color-Emoji" in font for font, _ in used), name
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(files["unicode-handout.pdf"])).pages)
    for word in ("Ελληνικά", "façade", "Żółć", "Gödel", "日本語の注意"):
        assert word in text


def test_a_character_without_a_font_would_be_seen_as_notdef():
    """The two signs the test above looks for do appear when a glyph is missing."""
    corpus = load_corpus(UNICODE)
    document = html.document(corpus, "cheatsheet", extra_css=pdf.print_css("a4")).replace("façade", "façade क", 1)
    with renderlog.collected() as warnings:
        data = pdf.render_pdf(document)
    assert any(".notdef" in message and "U+0915" in message for _, message in warnings)
    assert any(encoding != "/Identity-H" for _, encoding in pdf_fonts(data))


def test_summary_has_one_line_per_distinct_warning_with_a_count():
    warnings = [("WeasyPrint", "a"), ("fontTools", "b"), ("WeasyPrint", "a"), ("WeasyPrint", "a")]
    assert renderlog.summary(warnings) == ["warning: WeasyPrint: a (3 times)", "warning: fontTools: b"]


UNKNOWN = "Ignored `frobnicate: 1`"


def test_warnings_of_three_pdfs_print_once_with_a_count(tiny, tmp_path, monkeypatch, capsys, caplog):
    monkeypatch.setenv("STUDYKIT_CACHE", str(tmp_path / "cache"))  # every document laid out, none remembered
    real = pdf.print_css
    monkeypatch.setattr(pdf, "print_css", lambda paper: real(paper) + "\nbody { frobnicate: 1; }\n")
    targets = engine.Targets(out_dir=tmp_path / "out", readme_dir=tmp_path / "out", content_dir=tiny)
    engine.build(load_corpus(tiny), ["pdf"], targets, workers=1, force=True)
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if UNKNOWN in line]
    assert len(lines) == 1 and lines[0].startswith(f"warning: WeasyPrint: {UNKNOWN}") and lines[0].endswith("(3 times)"), err
    assert not [r for r in caplog.records if r.name.startswith("weasyprint")]  # not passed on to the root logger


DRIVER = """
import logging, sys
from pathlib import Path
from builders import build, pdf
from schema import load_corpus

logging.basicConfig()  # as a library may do (ziafont does): a root handler in every process
real = pdf.print_css
pdf.print_css = lambda paper: real(paper) + "\\nbody { frobnicate: 1; }\\n"  # also runs in each worker

if __name__ == "__main__":
    content, out = map(Path, sys.argv[1:])
    targets = build.Targets(out_dir=out, readme_dir=out, content_dir=content)
    build.build(load_corpus(content), ["pdf"], targets, workers=3, force=True)
"""


def test_warnings_come_back_from_the_worker_processes_and_print_once(tiny, tmp_path):
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "STUDYKIT_CACHE": str(tmp_path / "cache")}
    result = subprocess.run([sys.executable, str(driver), str(tiny), str(tmp_path / "out")], capture_output=True,
                            text=True, env=env, cwd=tmp_path, timeout=600)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count(UNKNOWN) == 1, result.stderr
    assert f"warning: WeasyPrint: {UNKNOWN}" in result.stderr and "(3 times)" in result.stderr
    assert "WARNING:" not in result.stderr
