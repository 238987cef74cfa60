"""GitHub heading anchors: a port of github-slugger (lowercase, strip, spaces to dashes, dedupe)."""
from __future__ import annotations

import re

from schema.markdown import inline_text

from .slugger_table import REMOVED_RANGES

_REMOVED = re.compile("[" + "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in REMOVED_RANGES) + "]")


def slug(text: str) -> str:
    """github-slugger's `slug()`: one heading text to its anchor, without de-duplication."""
    return _REMOVED.sub("", text.lower()).replace(" ", "-")


class Slugger:
    """github-slugger's `BananaSlug`: unique slugs in document order (`x`, `x-1`, `x-2`, ...)."""

    def __init__(self) -> None:
        self.occurrences: dict[str, int] = {}

    def slug(self, text: str) -> str:
        original = result = slug(text)
        while result in self.occurrences:
            self.occurrences[original] += 1
            result = f"{original}-{self.occurrences[original]}"
        self.occurrences[result] = 0
        return result


def heading_anchor(slugger: Slugger, heading_markdown: str) -> str:
    """Anchor GitHub gives a Markdown heading: formatting stripped, then slugged."""
    return slugger.slug(inline_text(heading_markdown))
