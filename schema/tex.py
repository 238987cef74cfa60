"""TeX validation with the vendored KaTeX (strict mode) running in an embedded V8."""
from __future__ import annotations

import atexit
from functools import lru_cache
from pathlib import Path

from . import cache

KATEX_JS = Path(__file__).parent / "vendor" / "katex.min.js"
MAX_FORMULA_CHARS = 4000

_CHECK_FN = """
function studykitCheck(tex, display) {
  try {
    katex.renderToString(tex, {throwOnError: true, displayMode: display, strict: 'error',
                               trust: false, maxExpand: 1000, maxSize: 100});
    return '';
  } catch (e) {
    return String(e.message || e);
  }
}
"""


@lru_cache(maxsize=1)
def _context():
    from py_mini_racer import MiniRacer

    ctx = MiniRacer()
    ctx.eval(KATEX_JS.read_text(encoding="utf-8"))
    ctx.eval(_CHECK_FN)
    # Tear V8 down while the interpreter is still whole: left to the garbage collector at
    # shutdown, MiniRacer.__del__ can deadlock waiting on V8's task runner.
    atexit.register(ctx.close)
    return ctx


KATEX_VERSION = cache.key(KATEX_JS.read_text(encoding="utf-8"), _CHECK_FN)[:16]


@lru_cache(maxsize=8192)
def tex_error(tex: str, display: bool) -> str:
    """Return KaTeX's parse error for `tex`, or '' when it parses (results cached on disk)."""
    if len(tex) > MAX_FORMULA_CHARS:
        return f"formula is {len(tex)} characters long (limit {MAX_FORMULA_CHARS})"
    if not tex.strip():
        return "empty formula"
    digest = cache.key("katex", KATEX_VERSION, str(display), tex)
    cached = cache.read("katex", digest)
    if cached is not None:
        return cached
    message = _context().call("studykitCheck", tex, display).removeprefix("KaTeX parse error: ")
    cache.write("katex", digest, message)
    return message
