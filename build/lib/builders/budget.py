"""Renderers' budgets (a formula's time, recursion) and their breaches reported against the question files."""
from __future__ import annotations

import functools
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

from schema import ContentErrors, Corpus
from schema.errors import Problem
from schema.render_limits import markdown_depth
from schema.markdown import VALIDATOR, formulas

P = ParamSpec("P")
R = TypeVar("R")

FORMULA_SECONDS = 20.0  # one formula in ziamath (the guide's slowest takes about 0.2 s)


class FormulaError(Exception):
    """A formula no renderer could draw: (TeX, display?, why). Picklable, so it crosses from a worker."""

    def __init__(self, tex: str, display: bool, reason: str):
        super().__init__(tex, display, reason)
        self.tex, self.display, self.reason = tex, display, reason

    def __str__(self) -> str:
        return f"formula {_quote(self.tex)} could not be drawn: {self.reason}"


class _OutOfTime(Exception):
    pass


@contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Raise _OutOfTime in the block after `seconds` of wall time (SIGALRM: main thread only;
    elsewhere, unbounded). The renderers are pure Python, so the alarm interrupts them."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum, frame) -> None:  # noqa: ANN001
        while frame is not None:  # an exception in a finaliser would be printed and lost: wait for the next alarm
            if frame.f_code.co_name == "__del__":
                return
            frame = frame.f_back
        raise _OutOfTime

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.05)  # then every 50 ms until one lands
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def guarded(tex: str, display: bool, seconds: float | None = None) -> Iterator[None]:
    """Run a renderer on one formula: running out of time, recursing too deep or failing becomes
    a FormulaError naming the formula."""
    budget = FORMULA_SECONDS if seconds is None else seconds
    try:
        with time_budget(budget):
            yield
    except _OutOfTime:
        raise FormulaError(tex, display, f"it took over {budget:g} s to draw; simplify it or split it") from None
    except RecursionError:
        raise FormulaError(tex, display, "it is nested too deeply to draw; simplify it") from None
    except FormulaError:
        raise
    except Exception as exc:  # noqa: BLE001 - any renderer failure is the formula's
        raise FormulaError(tex, display, f"{type(exc).__name__}: {str(exc)[:200]}") from None


def located(corpus: Corpus, error: FormulaError) -> ContentErrors:
    """The failure as a content error in every question file whose answers hold the formula."""
    problems = []
    for section in corpus.sections:
        for question in section.questions:
            for field, text in (("short_answer", question.short_answer), ("answer", question.answer)):
                if any(tex.strip() == error.tex and display == error.display for tex, display in formulas(text)):
                    problems.append(Problem(question.path, 0, field, str(error)))
    return ContentErrors(problems or [Problem("(content)", 0, "", str(error))])


def deepest(corpus: Corpus) -> ContentErrors:
    """A renderer recursed too deep: blame the answer with the most deeply nested Markdown."""
    fields = [(markdown_depth(VALIDATOR.parse(text))[0], question.path, field)
              for section in corpus.sections for question in section.questions
              for field, text in (("short_answer", question.short_answer), ("answer", question.answer))]
    depth, path, field = max(fields, default=(0, "(content)", ""))
    return ContentErrors([Problem(path, 0, field, f"an output could not be drawn: its Markdown (nested {depth} deep, the most of any answer) is too deep for a renderer; flatten it")])


def reported(render: Callable[P, R]) -> Callable[P, R]:
    """Decorate a function whose first argument is the corpus: a FormulaError or RecursionError
    from any renderer (in this process or a worker) becomes ContentErrors naming the question file."""
    @functools.wraps(render)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return render(*args, **kwargs)
        except FormulaError as exc:
            raise located(args[0], exc) from None
        except RecursionError:
            raise deepest(args[0]) from None
    return wrapper


def _quote(tex: str) -> str:
    short = " ".join(tex.split())  # check refused control characters already
    return "`" + (short if len(short) <= 60 else short[:57] + "...") + "`"
