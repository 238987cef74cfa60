"""TeX validation with the vendored KaTeX (strict mode) running in an embedded V8."""
from __future__ import annotations

import atexit
import time
from functools import lru_cache
from pathlib import Path

from . import cache
from .limits import MAX_FORMULA_CHARS, MAX_RENDERED_CHARS, formula_problem

KATEX_JS = Path(__file__).parent / "vendor" / "katex.min.js"
KATEX_SECONDS = 2.0  # time budget of one formula in KaTeX (the guide's slowest takes a few ms)
KATEX_TOTAL_SECONDS = 30.0  # and of all formulas retried one by one after a batch ran out of time
TIMED_OUT = "formula takes KaTeX"
__all__ = ["MAX_FORMULA_CHARS", "tex_errors"]

_CHECK_FN = """
function studykitCheck(tex, display, limit) {
  try {
    var markup = katex.renderToString(tex, {throwOnError: true, displayMode: display, strict: 'error',
                                            trust: false, maxExpand: 1000, maxSize: 100});
    return markup.length > limit ? 'formula draws ' + markup.length + ' characters of markup (limit ' + limit + ')' : '';
  } catch (e) {
    return String(e.message || e);
  }
}
function studykitCheckAll(items, limit) {
  return items.map(function (item) { return studykitCheck(item[0], item[1], limit); });
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
_VERDICTS: dict[tuple[str, bool], str] = {}  # (tex, display) -> error, for this process
_MAX_VERDICTS = 50_000  # a long watch session starts afresh (from the disk cache) beyond this


def tex_errors(formulas: list[tuple[str, bool]]) -> list[str]:
    """KaTeX's parse error for each (tex, display), or '' for one that parses.

    Verdicts are kept on disk (`.cache/katex/`), so an edit that keeps a text's formulas does not
    even start V8 (about 0.1 s). The formulas not found there go to V8 in one call: a call costs
    about 0.5 ms of thread hand-over, checking a formula about 0.2 ms.
    """
    if len(_VERDICTS) > _MAX_VERDICTS:
        _VERDICTS.clear()
    todo = []
    for tex, display in dict.fromkeys(formulas):
        if (tex, display) in _VERDICTS:
            continue
        if refused := formula_problem(tex):
            _VERDICTS[tex, display] = refused
        elif not tex.strip():
            _VERDICTS[tex, display] = "empty formula"
        elif (cached := cache.read("katex", _digest(tex, display))) is not None:
            _VERDICTS[tex, display] = cached
        else:
            todo.append((tex, display))
    if todo:
        messages = _katex(todo)
        for (tex, display), message in zip(todo, messages, strict=True):
            message = _whole_characters(message.removeprefix("KaTeX parse error: "))
            _VERDICTS[tex, display] = message
            if not message.startswith(TIMED_OUT):  # a busy machine's verdict, not the formula's
                cache.write("katex", _digest(tex, display), message)
    return [_VERDICTS[formula] for formula in formulas]


def _katex(todo: list[tuple[str, bool]]) -> list[str]:
    """KaTeX's verdicts, under a time budget: all formulas in one call, and if that runs out of
    time, one call per formula, each with its own budget, until the total budget is spent."""
    from py_mini_racer import JSTimeoutException

    context = _context()
    try:
        return context.call("studykitCheckAll", [[tex, display] for tex, display in todo], MAX_RENDERED_CHARS,
                            timeout_sec=KATEX_SECONDS * (1 + len(todo) / 100))
    except JSTimeoutException:
        pass
    messages = []
    deadline = time.monotonic() + KATEX_TOTAL_SECONDS
    for tex, display in todo:
        if time.monotonic() > deadline:
            messages.append(f"{TIMED_OUT} too long: its budget of {KATEX_TOTAL_SECONDS:g} s was spent on slower formulas; simplify those")
            continue
        try:
            messages.append(context.call("studykitCheck", tex, display, MAX_RENDERED_CHARS, timeout_sec=KATEX_SECONDS))
        except JSTimeoutException:
            messages.append(f"{TIMED_OUT} over {KATEX_SECONDS:g} s; simplify it")
    return messages


def _whole_characters(message: str) -> str:
    """KaTeX quotes the formula in UTF-16 units: join surrogate pairs (emoji) back into characters,
    and replace a pair it cut in half."""
    return message.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _digest(tex: str, display: bool) -> str:
    return cache.key("katex", KATEX_VERSION, str(MAX_RENDERED_CHARS), str(display), tex)
