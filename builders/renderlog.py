"""Warnings the renderers log (WeasyPrint, fontTools): collected per job, in whichever process
renders it, and reported once per build, one line per distinct message with a count."""
from __future__ import annotations

import logging
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from schema.errors import printable

LOGGERS = {"weasyprint": "WeasyPrint", "fontTools": "fontTools"}
Warning_ = tuple[str, str]  # (renderer, message)


class _Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.kept: list[Warning_] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.kept.append((LOGGERS.get(record.name.split(".")[0], record.name), record.getMessage()))


@contextmanager
def collected() -> Iterator[list[Warning_]]:
    """Keep the renderers' warnings in a list instead of passing them up to the root logger,
    where they would print once per PDF (and twice once a library has called basicConfig, as
    ziafont's module-level logging.debug() does)."""
    handler = _Keep()
    loggers = [logging.getLogger(name) for name in LOGGERS]
    saved = [(logger.propagate, [h for h in logger.handlers if isinstance(h, _Keep)]) for logger in loggers]
    for logger, (_, outer) in zip(loggers, saved):
        for keeper in outer:  # nested: only the innermost collection keeps a warning (the outer one
            logger.removeHandler(keeper)  # gets what the inner code chooses to log again, see replay)
        logger.addHandler(handler)
        logger.propagate = False
    try:
        yield handler.kept
    finally:
        for logger, (propagate, outer) in zip(loggers, saved):
            logger.removeHandler(handler)
            for keeper in outer:
                logger.addHandler(keeper)
            logger.propagate = propagate


def replay(warnings: list[Warning_]) -> None:
    """Log warnings collected elsewhere (in a worker, or remembered with a cached part) again,
    for whoever collects them here."""
    names = {label: name for name, label in LOGGERS.items()}
    for renderer, message in warnings:
        logging.getLogger(names.get(renderer, renderer)).warning("%s", message)


def summary(warnings: list[Warning_]) -> list[str]:
    """One line per distinct warning, in first-seen order, with how often it came."""
    return [f"warning: {renderer}: {message}" + (f" ({count} times)" if count > 1 else "")
            for (renderer, message), count in Counter(warnings).items()]


def report(warnings: list[Warning_]) -> None:
    """Print the summary on stderr (also with -q: a warning is not progress)."""
    for line in summary(warnings):
        print(printable(line), file=sys.stderr, flush=True)  # renderers may quote content
