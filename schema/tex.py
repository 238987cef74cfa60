"""TeX validation with the vendored KaTeX (strict mode) running in an embedded V8."""
from __future__ import annotations

import atexit
from functools import lru_cache
from pathlib import Path

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


@lru_cache(maxsize=4096)
def tex_error(tex: str, display: bool) -> str:
    """Return KaTeX's parse error for `tex`, or '' when it parses."""
    if len(tex) > MAX_FORMULA_CHARS:
        return f"formula is {len(tex)} characters long (limit {MAX_FORMULA_CHARS})"
    if not tex.strip():
        return "empty formula"
    message = _context().call("studykitCheck", tex, display)
    return message.removeprefix("KaTeX parse error: ")
