"""Difficulty markers in legacy documents: level headings, emoji and tags, mapped by one table."""
from __future__ import annotations

import re

# The documented table (docs/import.md): each marker and the level it stands for.
EMOJI = {"👶": "basic", "🐣": "basic", "🟢": "basic", "🟩": "basic",
         "🟡": "intermediate", "🟨": "intermediate", "🟠": "intermediate", "🟧": "intermediate",
         "🚀": "advanced", "🔴": "advanced", "🟥": "advanced", "🔥": "advanced"}
STARS = "⭐★🌟"
WORDS = {"basic": "basic", "easy": "basic", "beginner": "basic", "junior": "basic", "entry": "basic", "entry-level": "basic",
         "fundamental": "basic", "fundamentals": "basic", "elementary": "basic",
         "intermediate": "intermediate", "medium": "intermediate", "mid": "intermediate", "mid-level": "intermediate", "moderate": "intermediate",
         "advanced": "advanced", "hard": "advanced", "expert": "advanced", "senior": "advanced", "difficult": "advanced", "tricky": "advanced"}
_WORD = "|".join(sorted((re.escape(w) for w in WORDS), key=len, reverse=True))
LETTERS = {"e": "basic", "m": "intermediate", "h": "advanced"}
TAG = re.compile(rf"(?:\*\*|__|`)?[\[(] ?(?P<word>{_WORD}|[EMH])(?: level)? ?[\])](?:\*\*|__|`)?", re.IGNORECASE)  # linear: no leading \s*
EMOJI_RUN = re.compile("(?:" + "|".join(map(re.escape, EMOJI)) + rf"|[{STARS}])(?:\ufe0f)?|\ufe0f")
LEVEL_HEADING = re.compile(rf"^\W*(?:[\d.]+\s*)?(?:level\s*[:\-]?\s*)?(?P<word>{_WORD})(?:\s+(?:level|questions?|interview\s+questions?|problems?|concepts?|topics?))*\s*(?:\((?:cont(?:inued|\.|d)?|part\s*\d+|\d+)\))?\W*$", re.IGNORECASE)


def level_marker(text: str) -> tuple[str, str]:
    """(the difficulty markers found, the text without them). Markers: emoji, stars, [Easy]-style tags."""
    found: list[str] = []
    text = re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", text)

    def take(match: re.Match) -> str:
        found.append(match.group(0).strip())
        return " "

    without = TAG.sub(take, text)
    without = EMOJI_RUN.sub(take, without)
    return " ".join(found), re.sub(r"\s{2,}", " ", without).strip()


def marker_level(marker: str, stars_from_one: bool) -> str | None:
    """The level a marker string stands for (stars: by count; one star is basic only where the
    document grades with stars alone)."""
    if not marker:
        return None
    tag = TAG.search(marker)
    if tag:
        word = tag.group("word").lower()
        return WORDS.get(word) or LETTERS[word]
    for emoji, level in EMOJI.items():
        if emoji in marker:
            return level
    stars = sum(marker.count(s) for s in STARS)
    if stars:
        return {1: "basic" if stars_from_one else "intermediate", 2: "intermediate"}.get(stars, "advanced")
    return None


def heading_level(text: str) -> str | None:
    """The level a heading such as 'Basic questions' or '🚀 Hard' names, or None."""
    marker, rest = level_marker(text)
    match = LEVEL_HEADING.match(rest) if rest else None
    if match:
        return WORDS[match.group("word").lower()]
    if marker and not rest.strip(" :-–—"):
        return marker_level(marker, stars_from_one=True)
    return None
