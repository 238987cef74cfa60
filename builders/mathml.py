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
        results = _katex(todo, tex.KATEX_SECONDS * (1 + len(todo) / 100))
    except TimeoutError:
        results, deadline = [], time.monotonic() + tex.KATEX_TOTAL_SECONDS
        for formula in todo:
            if time.monotonic() > deadline:
                raise FormulaError(*formula, f"the time for drawing formulas ({tex.KATEX_TOTAL_SECONDS:g} s) was spent on slower ones; simplify those") from None
            try:
                results += _katex([formula], tex.KATEX_SECONDS)
            except TimeoutError:
                raise FormulaError(*formula, f"it took over {tex.KATEX_SECONDS:g} s to draw; simplify it or split it") from None
    for formula, (markup, why) in zip(todo, results, strict=True):
        if why:
            raise FormulaError(*formula, why.removeprefix("KaTeX parse error: "))
        math = _MATH.search(markup)
        if math is None:
            raise FormulaError(*formula, "KaTeX made no MathML")
        _DRAWN[formula] = _variants(math.group(0).replace(_XMLNS, "", 1))
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
