"""Hostile formulas and nesting (issue 18): bounded before work starts, renderers under a budget,
every failure a clean located error."""
from __future__ import annotations

import json
import pickle
import time
from pathlib import Path

import pytest

from builders import budget, mathsvg, pdf
from schema import render_limits as limits, tex
from schema.markdown import VALIDATOR

HOSTILE = "01-basics/04-hostile.md"


def add_question(content: Path, short: str = "Because it is.", body: str = "Body.") -> str:
    """A new question file (short answer on line 5, body from line 8); returns its path."""
    path = content / HOSTILE
    path.write_text(f"---\nid: hostile\nquestion: What does the hostile question do?\nlevel: basic\n"
                    f"short_answer: {json.dumps(short)}\nsources: [vaswani2017]\n---\n{body}\n", encoding="utf-8")
    return str(path)


def fails_cleanly(run, *args: str, within: float = 60) -> str:
    start = time.monotonic()
    code, _, err = run(*args)
    assert time.monotonic() - start < within
    assert code == 1 and "\nError: " in "\n" + err and "Traceback" not in err, err
    return err


def unique(tex_source: str) -> str:
    """A formula no cache has seen (verdicts and drawings are cached by TeX source)."""
    return tex_source + f"+{time.time_ns()}"


# Item 2: \left nested 20 deep.
def test_deep_left_right_is_refused_by_check_with_its_line(tiny, run):
    path = add_question(tiny, short="It is $" + r"\left(" * 20 + "x" + r"\right)" * 20 + "$.")
    err = fails_cleanly(run, "check", "--content", str(tiny), within=10)
    assert f"{path}:5: short_answer: formula nests \\left...\\right and environments more than 4 deep" in err


@pytest.mark.parametrize(("opener", "closer"), [(r"\left(", r"\right)"), (r"\begin{pmatrix}", r"\end{pmatrix}")])
def test_delimiter_depth_limit_is_exact(opener, closer):
    at_limit = opener * limits.MAX_DELIMITER_DEPTH + "x" + closer * limits.MAX_DELIMITER_DEPTH
    assert limits.formula_problem(at_limit) == ""
    assert "more than 4 deep" in limits.formula_problem(opener + at_limit + closer)


def test_group_depth_limit_is_exact_and_escaped_braces_do_not_count():
    at_limit = "{" * limits.MAX_GROUP_DEPTH + "x" + "}" * limits.MAX_GROUP_DEPTH
    assert limits.formula_problem(at_limit) == ""
    assert "nests groups more than 12 deep" in limits.formula_problem("{" + at_limit + "}")
    assert limits.formula_problem(r"\{" * 50 + "x" + r"\}" * 50) == ""


def test_formula_at_the_delimiter_limit_is_drawn_quickly():
    deepest = r"\left(" * limits.MAX_DELIMITER_DEPTH + unique("x") + r"\right)" * limits.MAX_DELIMITER_DEPTH
    start = time.monotonic()
    mathsvg._render(deepest, True)
    assert time.monotonic() - start < 5


# Item 3: macro amplification.
def test_macro_amplification_is_refused_by_check_quickly(tiny, run):
    path = add_question(tiny, body="$$\n\\def\\b{" + "x" * 3900 + "}" + "\\b" * 40 + "\n$$")
    err = fails_cleanly(run, "check", "--content", str(tiny), within=10)
    assert f"{path}:8: answer: formula defines or expands macros (\\def); macros are not allowed in content" in err


@pytest.mark.parametrize("definition", [r"\gdef\a{x}\a", r"\newcommand{\a}{x}\a", r"\let\a=x\a",
                                        r"\renewcommand{\frac}{x}", r"\edef\a{x}", r"\expandafter x"])
def test_every_macro_definition_is_refused(definition):
    assert "macros are not allowed" in tex.tex_errors([(definition, False)])[0]


def test_katex_runs_under_a_time_budget(monkeypatch):
    monkeypatch.setattr(limits, "MACROS", frozenset())  # let an amplifying macro through to KaTeX
    monkeypatch.setattr(tex, "KATEX_SECONDS", 0.3)
    slow = "\\def\\b{" + "x" * 2000 + "}" + "\\b " * 300 + unique("y")
    start = time.monotonic()
    errors = tex.tex_errors([(slow, True), (unique("z^2"), False)])
    assert time.monotonic() - start < 10
    assert errors[0] == "formula takes KaTeX over 0.3 s; simplify it" and errors[1] == ""


def test_katex_total_time_is_bounded(monkeypatch):
    monkeypatch.setattr(limits, "MACROS", frozenset())
    monkeypatch.setattr(tex, "KATEX_SECONDS", 0.3)
    monkeypatch.setattr(tex, "KATEX_TOTAL_SECONDS", 0.5)
    slow = ["\\def\\b{" + "x" * 2000 + "}" + "\\b " * 300 + unique(f"y{i}") for i in range(6)]
    start = time.monotonic()
    errors = tex.tex_errors([(formula, True) for formula in slow])
    assert time.monotonic() - start < 10
    assert errors[0] == "formula takes KaTeX over 0.3 s; simplify it"
    assert errors[-1].startswith("formula takes KaTeX too long: its budget of 0.5 s was spent")


def test_katex_markup_size_is_bounded(monkeypatch):
    monkeypatch.setattr(tex, "MAX_RENDERED_CHARS", 1000)
    errors = tex.tex_errors([(unique("x" * 200), False), (unique("x"), False)])
    assert errors[0].startswith("formula draws ") and errors[0].endswith("characters of markup (limit 1000)")
    assert errors[1] == ""


# Item 10: links and HTML extensions.
def test_href_javascript_is_refused_by_check(tiny, run):
    path = add_question(tiny, short=r"It is $\href{javascript:alert(1)}{x}$.")
    err = fails_cleanly(run, "check", "--content", str(tiny), within=10)
    assert f"{path}:5: short_answer: formula uses \\href: links, images and HTML are not allowed in formulas" in err


@pytest.mark.parametrize("command", sorted(limits.LIVE))
def test_every_link_or_html_command_is_refused_even_inside_text(command):
    for formula in (f"\\{command}{{a}}{{b}}", f"\\text{{\\{command}}}", f"\\verb|\\{command}|"):
        assert f"formula uses \\{command}:" in tex.tex_errors([(formula, False)])[0]


# Item 12: `<` and `&` in text arguments.
@pytest.mark.parametrize("formula", [r"\text{if a < b}", r"\text{Q \& A}", r"\textbf{a<b}", r"\text{a}^{\text{<}}",
                                     r"\text{a \textbf{b>c} \% \# \{ \}}", r"\verb|a<b&{|", r"\text{x \textless{} y}"])
def test_text_with_xml_specials_passes_check_and_is_drawn(formula):
    assert tex.tex_errors([(formula, False)]) == [""]
    svg = mathsvg._render(formula, False)
    assert svg.startswith("<svg ") and "<path" in svg


def test_text_with_lt_and_amp_builds(tiny, run):
    add_question(tiny, short=r"It is $\text{if a < b}$ and $\text{Q \& A}$.")
    code, _, err = run("build", "html", "-j", "1", "--content", str(tiny), "--out", str(tiny.parent / "out"))
    assert code == 0, err
    page = (tiny.parent / "out" / "tiny.html").read_text(encoding="utf-8")
    text = page.replace("\u00a0", " ")  # KaTeX keeps a text's spaces as no-break spaces
    assert "<mtext>if a &lt; b</mtext>" in text and "<mtext>Q &amp; A</mtext>" in text  # MathML, well formed
    assert '<annotation encoding="application/x-tex">\\text{Q \\&amp; A}</annotation>' in page


def test_text_rewrite_keeps_plain_text_unchanged():
    for formula in (r"x_{\text{model}}^{\text{new}}", r"\text{if } x", r"\mathrm{softmax}(x)"):
        assert mathsvg._text_safe(formula) == formula


# Item 13: deep nesting.
def test_deep_frac_is_refused_by_check_with_its_line(tiny, run):
    path = add_question(tiny, body="Intro.\n\n$$\n" + r"\frac{1}{" * 150 + "x" + "}" * 150 + "\n$$")
    err = fails_cleanly(run, "check", "--content", str(tiny), within=10)
    assert f"{path}:10: answer: formula nests groups more than 12 deep" in err


def test_deep_emphasis_is_refused_by_check_with_its_line(tiny, run):
    path = add_question(tiny, body="Intro.\n\na " + "*" * 600 + "x" + "*" * 600 + " b.")
    err = fails_cleanly(run, "check", "--content", str(tiny), within=20)
    # refused before the full parse by the delimiter-run bound (schema/bounds.py); nesting built
    # without long runs is refused by the depth bound (the next tests)
    assert f"{path}:10: answer: Markdown is nested 301 deep (limit 16" in err or f"{path}:10: answer: a run of 600 '*'" in err, err


def nested_markdown(stars: int) -> str:
    """Quotes six deep, a list four deep, then emphasis: 14 + `stars` levels."""
    items = [f"{'  ' * i}- item" for i in range(3)] + ["      - item " + "*" * stars + "x" + "*" * stars + "."]
    return "Intro.\n\n" + "".join("> " * 6 + item + "\n" for item in items)


def test_markdown_just_over_the_depth_limit_is_refused(tiny, run):
    assert limits.markdown_depth(VALIDATOR.parse(nested_markdown(3))) == (17, 5)
    path = add_question(tiny, body=nested_markdown(3))
    err = fails_cleanly(run, "check", "--content", str(tiny), within=10)
    assert f"{path}:13: answer: Markdown is nested 17 deep (limit 16" in err


def test_markdown_at_the_depth_limit_passes_check_and_prints(tiny, run):
    assert limits.markdown_depth(VALIDATOR.parse(nested_markdown(2)))[0] == limits.MAX_MARKDOWN_DEPTH
    add_question(tiny, body=nested_markdown(2))
    code, _, err = run("build", "pdf", "-j", "1", "--content", str(tiny), "--out", str(tiny.parent / "out"))
    assert code == 0, err


def raise_limits(monkeypatch) -> None:
    """Let check pass what only the renderers' own budgets can stop."""
    monkeypatch.setattr(limits, "MAX_GROUP_DEPTH", 10_000)
    monkeypatch.setattr(limits, "MAX_DELIMITER_DEPTH", 10_000)
    monkeypatch.setattr(limits, "MAX_FORMULA_CHARS", 100_000)


def test_ziamath_recursion_becomes_an_error_naming_the_file(tiny, run, monkeypatch):
    raise_limits(monkeypatch)
    path = add_question(tiny, body="Intro.\n\n$$\n" + r"\frac{1}{" * 400 + unique("x") + "}" * 400 + "\n$$")
    err = fails_cleanly(run, "build", "pdf", "-j", "1", "--content", str(tiny), "--out", str(tiny.parent / "out"))
    assert f"Error: {path}: answer: formula `\\frac{{1}}{{\\frac" in err and "it is nested too deeply to draw" in err


def test_ziamath_runs_under_a_time_budget(tiny, run, monkeypatch):
    raise_limits(monkeypatch)
    monkeypatch.setattr(budget, "FORMULA_SECONDS", 0.5)
    path = add_question(tiny, short="It is $" + r"\left(" * 14 + unique("x") + r"\right)" * 14 + "$.")
    err = fails_cleanly(run, "build", "pdf", "-j", "1", "--content", str(tiny), "--out", str(tiny.parent / "out"), within=30)
    assert f"Error: {path}: short_answer: formula " in err and "it took over 0.5 s to draw" in err


def test_formula_error_crosses_from_a_worker():
    error = pickle.loads(pickle.dumps(budget.FormulaError("x^2", True, "why")))
    assert (error.tex, error.display, error.reason) == ("x^2", True, "why")


def test_weasyprint_recursion_names_the_most_nested_answer(tiny, run, monkeypatch):
    path = add_question(tiny, body="Intro.\n\n> > > > - deep *and **deeper** text*.")

    def recurse(document: str, **options: object) -> bytes:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(pdf, "render_pdf", recurse)
    err = fails_cleanly(run, "build", "pdf", "-j", "1", "--content", str(tiny), "--out", str(tiny.parent / "out"))
    assert f"Error: {path}: answer: an output could not be drawn: its Markdown (nested " in err


def test_time_budget_never_raises_inside_a_finaliser(monkeypatch):
    ignored = []
    monkeypatch.setattr("sys.unraisablehook", ignored.append)

    class SlowToDelete:
        def __del__(self) -> None:
            time.sleep(0.002)  # about half the alarms land here

    start = time.monotonic()
    with pytest.raises(budget._OutOfTime), budget.time_budget(0.1):
        while time.monotonic() - start < 5:
            SlowToDelete()
            busy = time.monotonic()
            while time.monotonic() - busy < 0.002:
                pass
    assert time.monotonic() - start < 2 and ignored == []


# The web page's MathML is drawn by KaTeX at build time, under the same budgets as `check`.
def test_katex_mathml_runs_under_a_time_budget(tiny, run, monkeypatch):
    from builders import mathml

    monkeypatch.setattr(mathml, "SECONDS", 0.001)
    path = add_question(tiny, body="Intro.\n\n$$\n" + "x^{2}+" * 600 + unique("y") + "\n$$")
    err = fails_cleanly(run, "build", "html", "-j", "1", "--content", str(tiny), "--out", str(tiny.parent / "out"), within=30)
    assert f"Error: {path}: answer: formula `x^{{2}}+x^{{2}}" in err and "it took over 0.001 s to draw" in err, err


def test_katex_mathml_output_is_bounded(tiny, run, monkeypatch):
    from builders import mathml

    monkeypatch.setattr(mathml, "MAX_RENDERED_CHARS", 300)
    path = add_question(tiny, short="It is $" + r"\frac{a}{b}+" * 5 + unique("y") + "$.")
    err = fails_cleanly(run, "build", "html", "-j", "1", "--content", str(tiny), "--out", str(tiny.parent / "out"))
    assert f"Error: {path}: short_answer: formula `\\frac{{a}}{{b}}" in err and "characters of MathML (limit 300)" in err, err


def test_katex_mathml_is_cached_on_disk(tiny, monkeypatch):
    from builders import html, mathml
    from schema import load_corpus

    add_question(tiny, short="It is $" + unique(r"\sqrt{d_k}") + "$.")
    first = html.render(load_corpus(tiny))["tiny.html"]
    mathml._DRAWN.clear()

    def no_katex(*args: object) -> object:
        raise AssertionError("KaTeX ran for a formula drawn before")

    monkeypatch.setattr(mathml, "_katex", no_katex)
    assert html.render(load_corpus(tiny))["tiny.html"] == first
