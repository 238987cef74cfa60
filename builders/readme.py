"""README builder: README.md with a GitHub-anchored table of contents and every published answer."""
from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from urllib.parse import quote

from schema import LEVELS, Corpus, Question, Source
from schema.markdown import headings, inline_text
from schema.media import media_key, rewrite_images
from schema.quotes import curl_quotes
from schema.xrefs import rewrite_xrefs

from .slugger import Slugger
from .templating import markdown_env, md_inline, md_text, md_url

NAME = "readme"
FILE = "README.md"
LEVEL_TITLES = {"basic": "Basic questions", "intermediate": "Intermediate questions", "advanced": "Advanced questions"}


class ReadmeError(RuntimeError):
    """The rendered README does not have the headings the table of contents links to."""


def outputs(slug: str) -> list[tuple[str, str]]:
    """File names this builder writes, with a description for the README."""
    return [(FILE, "this README, with a table of contents whose every link lands on GitHub")]


@dataclass
class Heading:
    """A heading of the README: its Markdown text and its GitHub anchor."""

    text: str
    anchor: str = ""


@dataclass
class Plan:
    """Every heading of the document, in order, so anchors are assigned as GitHub will."""

    headings: list[Heading] = field(default_factory=list)

    def add(self, text: str) -> Heading:
        heading = Heading(text)
        self.headings.append(heading)
        return heading

    def assign_anchors(self) -> None:
        slugger = Slugger()
        for heading in self.headings:
            heading.anchor = slugger.slug(inline_text(heading.text))


def source_link(source: Source) -> str:
    """A source as a Markdown link, 'Authors (year). Title', with only the pieces it has (plain
    text when it has no link)."""
    lead = " ".join(p for p in (md_text(source.authors or ""), f"({source.year})" if source.year else "") if p)
    text = f"{lead}. {md_text(source.title)}" if lead else md_text(source.title)
    return f"[{text}]({md_url(source.link)})" if source.link else text


def tidy(markdown: str) -> str:
    """An answer as markdownlint wants it in the README, with the same rendering: no trailing
    spaces (but a two-space line break), no tabs, no runs of blank lines outside code blocks."""
    out: list[str] = []
    fence = ""
    for line in markdown.expandtabs(4).split("\n"):
        opening = re.match(r"^\s*(`{3,}|~{3,})", line)
        if fence and opening and opening.group(1).startswith(fence):
            fence = ""
        elif not fence and opening:
            fence = opening.group(1)
        stripped = line.rstrip()
        if not fence and line.endswith("  ") and not line.endswith("   ") and stripped:
            stripped = line  # a hard line break
        if not fence and not stripped and out and not out[-1]:
            continue
        out.append(stripped)
    return "\n".join(out)


def render(corpus: Corpus, outputs_list: list[tuple[str, str]] | None = None, formats: list[str] | None = None,
           prerequisites: str = "", content_path: str = "content") -> dict[str, bytes]:
    """Render README.md; verify that its headings are exactly the planned, anchored ones.

    `content_path` is the content folder relative to the README's folder (POSIX): images are
    linked by their path from the README to the file, so they show on GitHub and offline.
    """
    plan = Plan()
    project = corpus.meta.readme == "project"  # the studykit repository's own README
    fixed = {key: plan.add(text) for key, text in (("title", md_text(corpus.meta.title)),
                                                    *((("quick_start", "Quick start"), ("prerequisites", "Prerequisites"))
                                                      if project else ()),
                                                    ("contents", "Contents"))}
    sections = []
    anchors: dict[str, Heading] = {}
    for section in corpus.sections:
        if not section.published:
            continue
        entry = {"heading": f"{section.number}. {md_text(section.title)}", "levels": []}
        entry["h"] = plan.add(entry["heading"])
        for rank, level in enumerate(LEVELS, start=1):
            questions = section.by_level(level)
            if not questions:
                continue
            level_entry = {"heading": f"{section.number}.{rank} {LEVEL_TITLES[level]}", "questions": []}
            level_entry["h"] = plan.add(level_entry["heading"])
            for q in questions:
                anchors[q.id] = plan.add(md_inline(q.question))
                level_entry["questions"].append(q)
            entry["levels"].append(level_entry)
        sections.append(entry)
    cited = corpus.cited_sources()
    if cited:  # under `sources: optional` a guide may cite nothing
        fixed["references"] = plan.add("References")
    if project:
        fixed["about"] = plan.add("About this repository")
    plan.assign_anchors()

    verbatim: list[str] = []  # answers are inserted after the layout's blank lines are tidied

    def keep(markdown: str) -> str:
        verbatim.append(markdown)
        return f"\x00{len(verbatim) - 1}\x00"

    def image_path(q: Question, src: str) -> str:  # %-escaped: the content folder's own path may hold spaces
        return quote(posixpath.normpath(posixpath.join(content_path, media_key(q.file, src))), safe="/")

    def anchor(question_id: str) -> str:  # a cross-reference `[text](#id)` links to the question's heading
        return anchors[question_id].anchor

    def question_view(q: Question) -> dict:
        return {
            "heading": anchors[q.id].text,
            "id": q.id,
            "anchor": anchors[q.id].anchor,
            "short_answer": rewrite_xrefs(curl_quotes(q.short_answer), anchor),
            "answer": keep(tidy(rewrite_xrefs(rewrite_images(curl_quotes(q.answer), lambda src: image_path(q, src)), anchor)))
            if q.answer else "",
            "sources": [source_link(corpus.sources[s]) for s in q.sources],
            "related": [f"[{anchors[r].text}](#{anchors[r].anchor})" for r in q.related],
        }

    view_sections = [
        {
            "heading": s["heading"], "anchor": s["h"].anchor,
            "levels": [{"heading": lv["heading"], "anchor": lv["h"].anchor,
                        "questions": [question_view(q) for q in lv["questions"]]} for lv in s["levels"]],
        }
        for s in sections
    ]
    from . import formats as registry  # the registry imports this module

    text = markdown_env().get_template("README.md.j2").render(
        meta=corpus.meta,
        corpus=corpus,
        fixed=fixed,
        sections=view_sections,
        stats={"published": len(corpus.published)},
        references=[source_link(corpus.sources[sid]) for sid in cited],
        outputs=[{"path": p, "description": d} for p, d in (outputs_list or registry.describe_outputs(corpus.meta.slug))],
        formats=formats or list(registry.FORMATS),
        prerequisites=prerequisites or registry.PREREQUISITES,
        content_path=content_path,
    )
    text = re.sub(r"\n{3,}", "\n\n", text).rstrip("\n") + "\n"
    # Check the layout while each answer is still one placeholder paragraph: validated answers
    # hold no headings and close every block (checks.markdown_problems), so they cannot add,
    # hide or alter a heading once they are put in.
    found = headings(text)
    expected = [h.text for h in plan.headings]
    if found != expected:
        missing = [h for h in expected if h not in found] or [h for h in found if h not in expected]
        raise ReadmeError(f"README headings differ from the planned ones (first difference: {missing[:1]!r})")
    text = re.sub("\x00(\\d+)\x00", lambda m: verbatim[int(m.group(1))], text)
    return {FILE: text.encode("utf-8")}
