"""TeX to native MathML for the web page, drawn at build time by the vendored KaTeX (no script shipped), cached by TeX source."""
from __future__ import annotations

import json
import re
import time
import unicodedata
from functools import lru_cache
from pathlib import Path

from schema import cache, tex
from schema.render_limits import MAX_RENDERED_CHARS

from .budget import FormulaError

# The same options as `check` (schema/tex.py), MathML only; each item gives [markup, ''] or ['', why].
_MATHML_FN = """
function studykitMathML(items, limit) {
  return items.map(function (item) {
    try {
      var markup = katex.renderToString(item[0], {output: 'mathml', throwOnError: true, displayMode: item[1],
                                                  strict: 'error', trust: false, maxExpand: 1000, maxSize: 100});
      return markup.length > limit ? ['', 'it makes ' + markup.length + ' characters of MathML (limit ' + limit + ')'] : [markup, ''];
    } catch (e) {
      return ['', String(e.message || e)];
    }
  });
}
"""
SECONDS = tex.KATEX_SECONDS  # time budget of one formula (as in `check`)
TOTAL_SECONDS = tex.KATEX_TOTAL_SECONDS  # and of all formulas drawn one by one after a batch ran out of time
VERSION = cache.key("mathml", tex.KATEX_VERSION, Path(__file__).read_text(encoding="utf-8"))[:16]  # KaTeX and this file
_MATH = re.compile(r"<math\b.*</math>", re.DOTALL)
_XMLNS = ' xmlns="http://www.w3.org/1998/Math/MathML"'
# A token with a mathvariant other than normal, which MathML Core (Chromium) ignores: its letters
# and digits become the Unicode mathematical alphanumerics instead (what Firefox draws for it).
_VARIANT = re.compile(r'<(mi|mn|mtext|mo) mathvariant="([a-z-]+)">([^<]*)</\1>')
_UPRIGHT = re.compile(r'<mi mathvariant="normal">([^<])</mi>')
_UPRIGHT_RUN = re.compile(r'(?:<mi mathvariant="normal">[A-Za-z]</mi>){2,}')  # \mathrm{softmax}: one word, not seven
_NAMES = {"bold": "BOLD", "italic": "ITALIC", "bold-italic": "BOLD ITALIC", "double-struck": "DOUBLE-STRUCK",
          "script": "SCRIPT", "bold-script": "BOLD SCRIPT", "fraktur": "FRAKTUR", "bold-fraktur": "BOLD FRAKTUR",
          "sans-serif": "SANS-SERIF", "bold-sans-serif": "SANS-SERIF BOLD", "sans-serif-italic": "SANS-SERIF ITALIC",
          "sans-serif-bold-italic": "SANS-SERIF BOLD ITALIC", "monospace": "MONOSPACE"}
_HOLES = {"DOUBLE-STRUCK": "DOUBLE-STRUCK", "SCRIPT": "SCRIPT", "FRAKTUR": "BLACK-LETTER"}  # in Letterlike Symbols
_DIGITS = ("ZERO", "ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX", "SEVEN", "EIGHT", "NINE")


@lru_cache(maxsize=4096)
def _styled(char: str, variant: str) -> str:
    """One ASCII letter or digit in a mathematical style ('bold', 'double-struck'...), else itself."""
    style = _NAMES.get(variant)
    if style is None or not char.isascii() or not char.isalnum():
        return char
    what = f"DIGIT {_DIGITS[int(char)]}" if char.isdigit() else f"{'CAPITAL' if char.isupper() else 'SMALL'} {char.upper()}"
    for name in (f"MATHEMATICAL {style} {what}", f"{_HOLES.get(style, '?')} {what}", "PLANCK CONSTANT" if (style, char) == ("ITALIC", "h") else "?"):
        try:
            return unicodedata.lookup(name)
        except KeyError:
            continue
    return char


def _variants(mathml: str) -> str:
    def one(match: re.Match[str]) -> str:
        tag, variant, text = match.groups()
        if variant == "normal" or variant not in _NAMES:
            return match.group(0)
        styled = "".join(_styled(c, variant) for c in text)
        return f"<{tag}>{styled}</{tag}>" if tag != "mi" or len(styled) == 1 else f'<{tag} mathvariant="normal">{styled}</{tag}>'

    return _UPRIGHT_RUN.sub(lambda m: f'<mi mathvariant="normal">{"".join(_UPRIGHT.findall(m.group(0)))}</mi>', _VARIANT.sub(one, mathml))


# An inline formula may break after a top-level relation or binary operator, as TeX breaks it: its
# top-level pieces become rows of their own, which screen.css lays out as boxes a line can break
# between (`math.breakable`); a browser that ignores that draws the formula whole.
_TOKEN = re.compile(r"<(/?)[a-z]+\b[^>]*?(/?)>")
_TOP = re.compile(r"^<math><semantics><mrow>(.*)</mrow>(<annotation .*</annotation></semantics></math>)$", re.DOTALL)
_BREAK_AFTER = set("=<>+\u2212\u00b1\u00d7\u22c5\u2217\u2218\u2295\u2297\u222a\u2229\u2227\u2228\u2260\u2264\u2265"
                   "\u2248\u223c\u2243\u2261\u221d\u2192\u2190\u2194\u21a6\u21d2\u21d0\u21d4\u2208\u2209\u2282\u2286\u2283\u2287\u226a\u226b")


_CLOSING = set(")]}|\u2016\u27e9\u230b\u2309")


def _children(inner: str) -> list[str]:
    """The top-level elements of a row's content, in order."""
    pieces, depth, start = [], 0, 0
    for tag in _TOKEN.finditer(inner):
        closing, empty = tag.groups()
        depth += 0 if empty else -1 if closing else 1
        if depth == 0:
            pieces.append(inner[start:tag.end()])
            start = tag.end()
    return pieces


def breakable(mathml: str) -> str:
    """An inline <math> whose top-level row is cut after each relation or binary operator that
    has something on both sides: one row per piece, in a `math.breakable` (else unchanged). The
    first and last pieces sit in rows of their own (`.edge`), whose style decides whether a line
    may break between them and the punctuation around the formula (Chromium asks the row holding
    a piece)."""
    top = _TOP.match(mathml)
    if top is None:
        return mathml
    rows, row, operand = [], [], False
    children = _children(top.group(1))
    for index, child in enumerate(children):
        row.append(child)
        operator = re.fullmatch(r"<mo(?: [^>]*)?>([^<]*)</mo>", child)
        if operator and operator.group(1) in _BREAK_AFTER and operand and index < len(children) - 1:
            rows.append("".join(row))
            row = []
        operand = not operator or operator.group(1) in _CLOSING  # what follows an operand is binary
    rows.append("".join(row))
    if len(rows) < 2:
        return mathml
    edge = '<mrow class="edge"><mrow>{}</mrow></mrow>'
    pieces = edge.format(rows[0]) + "".join(f"<mrow>{r}</mrow>" for r in rows[1:-1]) + edge.format(rows[-1])
    return '<math class="breakable"><semantics><mrow>' + pieces + "</mrow>" + top.group(2)


def _digest(tex_source: str, display: bool) -> str:
    return cache.key(VERSION, str(MAX_RENDERED_CHARS), str(display), tex_source)


def _katex(todo: list[tuple[str, bool]], seconds: float) -> list[list[str]]:
    args = json.dumps([[[t, d] for t, d in todo], MAX_RENDERED_CHARS])
    return json.loads(tex.katex_eval(f"{_MATHML_FN}\nJSON.stringify(studykitMathML(...{args}))", seconds))


_DRAWN: dict[tuple[str, bool], str] = {}  # (tex, display) -> <math>, for this process
_MAX_DRAWN = 50_000  # a long watch session starts afresh (from the disk cache) beyond this


def prepare(formulas: list[tuple[str, bool]]) -> None:
    """Draw every formula not yet drawn (in this process or in `.cache/mathml/`), in one call to
    KaTeX under a time budget; when that runs out, one call per formula, each with its own budget
    (schema/tex.py's). A formula KaTeX cannot draw in time, or at all, raises FormulaError (a
    located content error, see budget.reported)."""
    if len(_DRAWN) > _MAX_DRAWN:
        _DRAWN.clear()
    todo = []
    for formula in dict.fromkeys((t.strip(), d) for t, d in formulas):
        if formula not in _DRAWN:
            if (cached := cache.read("mathml", _digest(*formula))) is not None:
                _DRAWN[formula] = cached
            else:
                todo.append(formula)
    if not todo:
        return
    try:
        results = _katex(todo, SECONDS * (1 + len(todo) / 100))
    except TimeoutError:
        results, deadline = [], time.monotonic() + TOTAL_SECONDS
        for formula in todo:
            if time.monotonic() > deadline:
                raise FormulaError(*formula, f"the time for drawing formulas ({TOTAL_SECONDS:g} s) was spent on slower ones; simplify those") from None
            try:
                results += _katex([formula], SECONDS)
            except TimeoutError:
                raise FormulaError(*formula, f"it took over {SECONDS:g} s to draw; simplify it or split it") from None
    for formula, (markup, why) in zip(todo, results, strict=True):
        if why:
            raise FormulaError(*formula, why.removeprefix("KaTeX parse error: "))
        math = _MATH.search(markup)
        if math is None:
            raise FormulaError(*formula, "KaTeX made no MathML")
        drawn = _variants(math.group(0).replace(_XMLNS, "", 1))
        _DRAWN[formula] = drawn if formula[1] else breakable(drawn)
        cache.write("mathml", _digest(*formula), _DRAWN[formula])


def formula_mathml(tex_source: str, display: bool) -> str:
    """One formula as a <math> element (drawn now if `prepare` did not already)."""
    formula = (tex_source.strip(), display)
    if formula not in _DRAWN:
        prepare([formula])
    return _DRAWN[formula]


def web_math(tex_source: str, display: bool) -> str:
    """The math callback for the web page: a native MathML formula, coloured like the text."""
    mathml = formula_mathml(tex_source, display)
    return f'<div class="math display">{mathml}</div>' if display else f'<span class="math">{mathml}</span>'
