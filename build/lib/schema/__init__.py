"""Content schema: pydantic models, the loader and its error types (the only reader of content/)."""
from __future__ import annotations

from importlib import import_module

from .errors import ContentErrors, Problem

ANKI_LOCK = "anki-notes.lock.json"  # the Anki note record, written by the anki build beside the content
__all__ = ["ANKI_LOCK", "LEVELS", "ContentErrors", "Corpus", "Metadata", "Problem", "Question", "Section", "Source", "load_corpus"]
_LAZY = {"load_corpus": "loader", "LEVELS": "models", "Corpus": "models", "Metadata": "models",
         "Question": "models", "Section": "models", "Source": "models"}


def __getattr__(name: str):  # PEP 562: pydantic and the loader are imported on first use only
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
