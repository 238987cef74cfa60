"""TeX to inline SVG with ziamath (no JavaScript at read time), cached by TeX source."""
from __future__ import annotations

import base64
import html
import re
from functools import lru_cache

from schema import cache

from . import ziamath_fixes
from .budget import guarded

SIZE = 16.0  # ziamath units per em of the surrounding text
PRECISION = 1  # decimals in path data
_VIEWBOX = re.compile(r'viewBox="([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+)"')


ZIAMATH = f"{cache.installed_versions('ziamath')} size={SIZE} precision={PRECISION} svg2=False compact scriptspace"


@lru_cache(maxsize=1)
def _ziamath():  # noqa: ANN202 - the ziamath module
    """ziamath set up for print, with its speed-ups and fixes, imported at the first formula
    drawn (half a second that a build with every formula cached does not spend)."""
    import ziamath

    from . import ziamath_speedups

    ziamath.config.svg2 = False  # glyphs as plain paths: no <symbol> ids to collide across formulas
    ziamath.config.precision = PRECISION
    ziamath_speedups.install()
    ziamath_fixes.install()
    return ziamath


@lru_cache(maxsize=8192)
def formula_svg(tex: str, display: bool) -> str:
    """One formula as an <svg> sized in em, aligned on the text baseline, coloured like the text.

    Rendered once per TeX source and options, then reused across outputs and runs (.cache/math).
    """
    digest = _digest(tex, display)
    cached = cache.read("math", digest)
    if cached is not None:
        return cached
    with guarded(tex, display):
        svg = _render(tex, display)
    cache.write("math", digest, svg)
    return svg


def _digest(tex: str, display: bool) -> str:
    """The cache key: ziamath's options and the TeX, plus what ziamath is given when that differs
    (text arguments rewritten), so formulas drawn before that rewrite keep their entries."""
    safe = _text_safe(ziamath_fixes.unary_minus(tex))
    return cache.key(ZIAMATH, str(display), tex, *([safe] if safe != tex else []))


def uncached(formulas: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    """The distinct formulas not yet in the disk cache, in a stable order."""
    distinct = sorted({(tex.strip(), display) for tex, display in formulas})
    return [(tex, display) for tex, display in distinct if not cache.exists("math", _digest(tex, display))]


def render_formulas(formulas: list[tuple[str, bool]]) -> int:
    """Render formulas into the disk cache (a worker's share of a cold build)."""
    for tex, display in formulas:
        formula_svg(tex, display)
    return len(formulas)


# Text-mode arguments reach ziamath's MathML as raw characters (latex2mathml copies them), so
# they are rewritten to plain text with every special character as an XML character reference.
_TEXT_COMMAND = re.compile(r"\\(?:text(?:rm|bf|it|tt|sf|up|md|normal)?|emph|mbox|hbox)\s*\{")
_VERB = re.compile(r"\\verb\*?([^A-Za-z\s])(.*?)\1", re.DOTALL)
_TEXT_PIECE = re.compile(r"\\([A-Za-z]+)\s*|\\(.)|([{}])|(.)", re.DOTALL)
_TEXT_WORDS = {"textless": "<", "textgreater": ">", "textbackslash": "\\", "textasciitilde": "~",
               "textasciicircum": "^", "textbar": "|", "textbraceleft": "{", "textbraceright": "}",
               "textunderscore": "_", "textdollar": "$", "textendash": "\u2013", "textemdash": "\u2014"}
_TEXT_SAFE = re.compile(r"[A-Za-z0-9 .,:;!?'()\[\]/+=*-]")


def _text_safe(tex: str) -> str:
    r"""`tex` with every text argument (and \verb) as plain characters: commands inside dropped
    (a few named characters kept), `\&` as `&`, and each special character as a reference."""
    tex = _VERB.sub(lambda m: r"\texttt{" + re.sub(r"([\\{}])", r"\\\1", m.group(2)) + "}", tex)
    out, index = [], 0
    while (match := _TEXT_COMMAND.search(tex, index)) is not None:
        out.append(tex[index:match.end()])
        depth, chars = 1, []
        for piece in _TEXT_PIECE.finditer(tex, match.end()):
            word, escaped, brace, char = piece.groups()
            index = piece.end()
            if brace:
                depth += 1 if brace == "{" else -1
                if not depth:
                    break
            elif word:
                chars.append(_TEXT_WORDS.get(word, ""))
            elif escaped is not None:
                chars.append(" " if escaped == "\\" else escaped)
            else:
                chars.append("\u00a0" if char == "~" else char)
        else:
            index = len(tex)
        out += ["".join(c if _TEXT_SAFE.fullmatch(c) else f"&#{ord(c)};" for c in "".join(chars)), "}"]
    return "".join(out) + tex[index:]


def _render(tex: str, display: bool) -> str:
    svg = _ziamath().Latex(_text_safe(ziamath_fixes.unary_minus(tex)), size=SIZE, inline=not display).svg()
    match = _VIEWBOX.search(svg)
    if not match:
        raise ValueError(f"ziamath returned no viewBox for {tex!r}")
    _, top, width, height = (float(v) for v in match.groups())
    descent = height + top  # the part below the baseline (top is negative)
    svg = re.sub(r' width="[-\d.]+" height="[-\d.]+"', f' width="{width / SIZE:.3f}em" height="{height / SIZE:.3f}em"', svg, count=1)
    label = html.escape(tex, quote=True)
    style = "" if display else f' style="vertical-align: {-descent / SIZE:.3f}em"'
    svg = svg.replace(' fill="black"', "")  # one fill on the root instead, inherited by every glyph
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{label}" focusable="false"{style} fill="currentColor" ', 1)
    return re.sub(r' d="([^"]*)"', lambda m: ' d="' + _compact_path(m.group(1)) + '"', svg)


def _compact_path(d: str) -> str:
    """'M 1 2 L 3 4 Z ' -> 'M1 2L3 4Z': no spaces around commands (ziafont writes single spaces)."""
    for command in "MLHVCSQTAZ":
        d = d.replace(f" {command} ", command).replace(f"{command} ", command).replace(f" {command}", command)
    return d.strip()


_SIZE = re.compile(r'aria-label="([^"]*)" focusable="false"(?: style="([^"]*)")? fill="currentColor" .*? width="([^"]*)" height="([^"]*)"')


def print_math(tex: str, display: bool) -> str:
    """The math callback for PDFs: each formula an <img> of a data: SVG. WeasyPrint parses
    each distinct formula once (its image cache), which saves about a fifth of the memory and
    a quarter of the time of inline SVG."""
    svg = formula_svg(tex.strip(), display)
    label, style, width, height = _SIZE.search(svg).groups()
    source = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    image = (f'<img alt="{label}" src="data:image/svg+xml;base64,{source}" '
             f'style="width: {width}; height: {height};{" " + style if style else ""}">')
    return f'<div class="math display">{image}</div>' if display else f'<span class="math">{image}</span>'
