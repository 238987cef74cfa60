"""`studykit new DIR`: a new guide that checks and builds at once, one example question per level."""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from .importer.questions import make_id


class NewGuideError(Exception):
    """DIR cannot hold a new guide (it is a file, or a folder with something in it)."""


def default_author() -> str:
    """`git config user.name` when git knows one, else a placeholder the author will see."""
    try:
        name = subprocess.run(["git", "config", "user.name"], capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        name = ""
    return name or "The authors"


def quoted(text: str) -> str:
    """A YAML scalar that always parses back as this string (JSON strings are YAML)."""
    return json.dumps(text, ensure_ascii=False)


def files(title: str, slug: str, author: str) -> dict[str, str]:
    """Every file of the new guide, by path relative to DIR."""
    return {
        "README.md": README.format(title=title),
        "content/corpus.yaml": CORPUS.format(title=quoted(title), slug=slug, author=quoted(author)),
        "content/bibliography.yaml": BIBLIOGRAPHY,
        "content/01-first-steps/section.yaml": "id: first-steps\ntitle: First steps\n",
        "content/01-first-steps/01-what-is-a-question-file.md": BASIC,
        "content/01-first-steps/02-how-are-levels-used.md": INTERMEDIATE,
        "content/01-first-steps/03-how-to-write-math.md": ADVANCED,
    }


def create(directory: Path, title: str | None = None, slug: str | None = None, author: str | None = None) -> list[Path]:
    """Write the new guide into DIR (created if missing; an existing DIR must be empty)."""
    if directory.exists() and not directory.is_dir():
        raise NewGuideError(f"{directory}: is a file; give a folder for the new guide")
    if directory.is_dir() and any(directory.iterdir()):
        raise NewGuideError(f"{directory}: is not empty; give a new or empty folder (nothing was written)")
    title = (title or directory.resolve().name.replace("-", " ").replace("_", " ").strip().title() or "My Study Guide").strip()
    slug = slug or make_id(title, 40, "study-guide")
    if not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", slug):
        raise NewGuideError(f"--slug: {slug!r} must be lowercase letters, digits and single hyphens (e.g. my-guide)")
    written = []
    for relative, text in files(title, slug, author or default_author()).items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


README = """# {title}

A study guide built with [studykit](https://pypi.org/project/studykit/). The questions live in
`content/`, one Markdown file each (`content/01-first-steps/` shows the format). Two commands:

```sh
studykit check --content content   # validates every file, reporting problems with file and line
studykit build --content content   # writes output/ (PDFs, Anki deck, web page, JSON) and this README
```

The first build replaces this file with the guide's own README: contents, every question and
its answers. Edit the files in `content/`, never the generated README.
"""

CORPUS = """title: {title}
slug: {slug}                  # file-name stem of every output
description: >-
  What this guide covers, in a sentence or two (shown at the top of the README and the handouts).
author: {author}
language: en                  # BCP 47 tag of the text
keywords: [study guide]
sources: optional             # `required`: every question must cite a source from bibliography.yaml
"""

BIBLIOGRAPHY = """# Every source the answers cite, keyed by a short id. A question cites them in `sources: [...]`.
commonmark:
  authors: John MacFarlane
  title: CommonMark Spec
  year: 2024
  url: https://spec.commonmark.org/
"""

BASIC = """---
id: what-is-a-question-file
question: What does a question file hold?
level: basic
short_answer: >-
  YAML front matter with the question, its level and a short answer, then the detailed answer
  in Markdown.
sources: [commonmark]
related: [how-are-levels-used]
tags: [format]
---
Each question is one `.md` file in a section folder. The part between the `---` lines is
YAML:

- `id` names the question for good (Anki notes and links use it), so pick it once;
- `question` is the question as a learner reads it;
- `short_answer` is the one to three sentences you would say in an interview;
- `sources` lists ids from `bibliography.yaml`.

Everything after the front matter is the detailed answer: paragraphs, lists, tables, code and
math. Files are ordered by their number within a level.
"""

INTERMEDIATE = """---
id: how-are-levels-used
question: How are the levels used?
level: intermediate
short_answer: >-
  Every question is basic, intermediate or advanced; each output groups a section's questions by
  level, and the Anki cards carry the level.
related: [what-is-a-question-file]
---
Give a question the level a learner needs to answer it:

| level | meant for |
|---|---|
| basic | a definition or a fact |
| intermediate | how or why something works |
| advanced | a derivation, a trade-off or a design decision |

Set `status: draft` on a question you have not answered yet: `check` still validates it and
`stats` counts it, but no output shows it until you remove the line.
"""

ADVANCED = """---
id: how-to-write-math
question: How do I write formulas in an answer?
level: advanced
short_answer: >-
  In TeX between dollar signs: $e^{i\\pi} + 1 = 0$ inline, or a block between two `$$` lines.
---
Inline math goes between single dollar signs, and display math sits on lines of its own:

$$
\\sum_{k=1}^{n} k = \\frac{n(n+1)}{2}
$$

Every formula must parse with KaTeX in strict mode, so `check` catches a typo before a build
does. Write a literal dollar sign as `\\$`.
"""
