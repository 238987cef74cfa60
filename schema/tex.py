"""TeX validation with the vendored KaTeX (strict mode) running in an embedded V8."""
from __future__ import annotations

import asyncio
import atexit
import json
import signal
import threading
import time
from contextlib import suppress
from functools import lru_cache
from pathlib import Path

from . import cache
from .render_limits import MAX_FORMULA_CHARS, MAX_RENDERED_CHARS, formula_problem

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

    # The constructor runs a script of its own, which an interrupt would leave running (see
    # _eval): Ctrl-C waits until it is done. Its threads inherit the mask, so signals go to this one.
    # It is made in a thread of its own: MiniRacer adopts an asyncio loop running in the calling
    # thread (a notebook's, Playwright's sync API's) and would wait on it forever; in a fresh
    # thread it starts its own loop thread, as it does when no loop runs.
    made: list = []

    def make() -> None:
        try:
            made.append(MiniRacer())
        except BaseException as exc:  # noqa: BLE001 - re-raised in the calling thread
            made.append(exc)

    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        maker = threading.Thread(target=make, name="studykit-katex-init", daemon=True)
        maker.start()
        maker.join()
        if isinstance(made[0], BaseException):
            raise made[0]
        ctx = made[0]
        # Tear V8 down while the interpreter is still whole: left to the garbage collector at
        # shutdown, MiniRacer.__del__ can deadlock waiting on V8's task runner.
        atexit.register(ctx.close)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
    _eval(ctx, KATEX_JS.read_text(encoding="utf-8"))
    _eval(ctx, _CHECK_FN)
    return ctx


def _eval(ctx, code: str, timeout: float | None = None) -> object:  # noqa: ANN001 - a py_mini_racer.MiniRacer
    """`ctx.eval(code)`, except that an interrupt (Ctrl-C, SIGTERM) or the time-out (TimeoutError)
    stops the script and waits for V8 to let go of it before propagating: a script left running
    calls back into the event loop after `close()` has shut it, which prints "Exception ignored
    ... Event loop is closed"."""
    loop = ctx._ctx.event_loop  # noqa: SLF001 - MiniRacer's own loop thread
    future = asyncio.run_coroutine_threadsafe(asyncio.wait_for(ctx.eval_cancelable(code), timeout), loop)
    try:
        return future.result()
    except BaseException:
        future.cancel()  # the task's cleanup cancels the V8 task
        _settle(ctx, loop)
        raise


def _settle(ctx, loop: asyncio.AbstractEventLoop) -> None:  # noqa: ANN001
    """Wait (5 s at most) until V8 has finished the cancelled script: V8 runs one script at a
    time, so a script queued after it returns only then. A second Ctrl-C meanwhile is ignored."""
    main = threading.current_thread() is threading.main_thread()
    handlers = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)} if main else {}
    try:
        with suppress(Exception):
            asyncio.run_coroutine_threadsafe(ctx.eval_cancelable("0"), loop).result(timeout=5)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


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
    time, one call per formula, each with its own budget, until the total budget is spent. (Through
    `_eval`, so an interrupt or a time-out also stops the script inside V8.)"""
    context = _context()

    def call(function: str, args: list, seconds: float) -> object:
        return json.loads(_eval(context, f"JSON.stringify({function}(...{json.dumps(args)}))", timeout=seconds))

    try:
        return call("studykitCheckAll", [[[tex, display] for tex, display in todo], MAX_RENDERED_CHARS],
                    KATEX_SECONDS * (1 + len(todo) / 100))
    except TimeoutError:
        pass
    messages = []
    deadline = time.monotonic() + KATEX_TOTAL_SECONDS
    for tex, display in todo:
        if time.monotonic() > deadline:
            messages.append(f"{TIMED_OUT} too long: its budget of {KATEX_TOTAL_SECONDS:g} s was spent on slower formulas; simplify those")
            continue
        try:
            messages.append(call("studykitCheck", [tex, display, MAX_RENDERED_CHARS], KATEX_SECONDS))
        except TimeoutError:
            messages.append(f"{TIMED_OUT} over {KATEX_SECONDS:g} s; simplify it")
    return messages


def _whole_characters(message: str) -> str:
    """KaTeX quotes the formula in UTF-16 units: join surrogate pairs (emoji) back into characters,
    and replace a pair it cut in half."""
    return message.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _digest(tex: str, display: bool) -> str:
    return cache.key("katex", KATEX_VERSION, str(MAX_RENDERED_CHARS), str(display), tex)
