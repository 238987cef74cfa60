"""Content schema: pydantic models, the loader and its error types (the only reader of content/)."""
from .errors import ContentErrors, Problem
from .loader import load_corpus
from .models import LEVELS, Corpus, Metadata, Question, Section, Source

__all__ = ["LEVELS", "ContentErrors", "Corpus", "Metadata", "Problem", "Question", "Section", "Source", "load_corpus"]
