"""A rule for `check`: the year prose gives a cited work ("Press & Wolf (2016)") is its bibliography year."""
from __future__ import annotations

import re

from .errors import Problem
from .models import Question, Source

# A surname, then optionally "et al." or "& Other" / "and Other", then a year, bracketed or not.
CITE = re.compile(r"\b([A-Z][\w'-]+)(?:\s+et\s+al\.|\s+(?:&|and)\s+[A-Z][\w'-]+)?,?\s+\(?((?:19|20)\d\d)\)?")


def first_author(source: Source) -> str:
    """The first author's surname ('Le Scao' -> 'Scao', 'Brown et al.' -> 'Brown'), or ''."""
    names = re.sub(r"\s*\(.*\)", "", source.authors or "").split(",")[0].removesuffix(" et al.").split()
    return names[-1] if names else ""


def year_problems(q: Question, sources: dict[str, Source], line_of_source) -> list[Problem]:  # noqa: ANN001
    """A problem, on the `sources` entry, for each in-text citation of one of the question's own
    sources by its first author whose year no source of that author in the list has."""
    cited: dict[str, list[tuple[int, Source]]] = {}
    for index, sid in enumerate(q.sources):
        if sid in sources and first_author(sources[sid]):
            cited.setdefault(first_author(sources[sid]), []).append((index, sources[sid]))
    problems, seen = [], set()
    for match in CITE.finditer("\n".join((q.question, q.short_answer, q.answer))):
        works = cited.get(match.group(1))
        if not works or any(s.year == int(match.group(2)) for _, s in works) or match.group(0) in seen:
            continue
        seen.add(match.group(0))
        index, source = works[0]
        text = " ".join(match.group(0).split())
        text = text if "(" in text else text.rstrip(")")
        problems.append(Problem(q.path, line_of_source(index), "sources", f"the text cites {text!r} but "
                                f"{source.id!r} is dated {source.year} in bibliography.yaml: make the two agree"))
    return problems
