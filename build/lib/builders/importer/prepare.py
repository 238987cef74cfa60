"""Line-level clean-up before parsing: navigation and badges out, HTML wrappers to Markdown, line count kept."""
from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterator

LIST_HEADING = re.compile(r"^\s{0,3}(\d+)[.)]\s+(#{1,6})\s+(.*)$")
FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
DETAILS_TAG = re.compile(r"</?details[^>]*>", re.IGNORECASE)
TAG = re.compile(r"<[^<>\n]+>")
ANSWER_LABEL = re.compile(r"^\W*(show |see |view |click (here )?(to|for) (see |show |view |expand )?(the )?)?(answer|answers|solution|explanation|hint|details|expand|more|code)\b\W*$", re.IGNORECASE)
ANSWER_MARK = "<!-- studykit:answer -->"
ID_COMMENT = re.compile(r"<!--\s*studykit:id\s+[a-z0-9-]+\s*-->")
NAV_WORDS = re.compile(r"(back\s+to\s+top|back\s+to\s+(the\s+)?(contents|index|toc|questions)|go\s+to\s+top|^\W*top\W*$|table\s+of\s+contents|⬆|↑|↥|⇑|⤴|🔝|⇧)", re.IGNORECASE)
HTML_NAV = re.compile(r"(?:<[^>]+>\s*|\*\*)*<a\b[^>]*href=[\"']#[^\"']*[\"'][^>]*>(.*?)</a>(?:\s*<[^>]+>|\*\*)*", re.IGNORECASE)
NAV_LINE = re.compile(r"^\s*(?:<[^<>]+>\s*)*(?:\*+\s*)?\[([^\]]*)\]\((#[^)]*|)\)(?:\s*\*+)?(?:\s*<[^<>]+>)*\s*$")
IMAGE_ONLY = re.compile(r"^\s*(?:(?:\[?!\[[^\]]*\]\([^)]*\)\]?(?:\([^)]*\))?|<a\b[^>]*>|</a>|<img\b[^>]*>|<p\b[^>]*>|</p>|<div\b[^>]*>|</div>|<br\s*/?>)\s*)+$", re.IGNORECASE)
BADGE_URL = re.compile(r"shields\.io|badge|badgen\.net|travis-ci|circleci|codecov|forthebadge|visitor|hits\.|komarev|star-history|contrib\.rocks", re.IGNORECASE)


def prepare(text: str) -> tuple[str, Counter, set[int]]:
    """The text with navigation removed and wrappers rewritten, counts of what was done, and the
    lines where a `<summary>` became a bold question line."""
    lines = text.split("\n")
    done: Counter = Counter()
    if lines and lines[0].strip() == "---" and "---" in (l.strip() for l in lines[1:40]):
        end = next(i for i, l in enumerate(lines[1:40], 1) if l.strip() == "---")
        title = next((m.group(1).strip().strip("\"'") for m in map(re.compile(r"^title:\s*(.+)$").match, lines[1:end]) if m), "")
        lines[: end + 1] = [""] * (end + 1)
        if title:  # the page title lives only in the front matter: keep it as the title heading
            lines[0] = f"# {title}"
        done["YAML front matter skipped"] += 1
    text = _without_comments("\n".join(lines), done)
    lines = _inline_references(text.split("\n"), done)
    fence = None
    summaries: set[int] = set()
    for index, line in enumerate(lines):
        opening = FENCE.match(line)
        if fence:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = None
            continue
        if opening:
            fence = opening.group(1)
            continue
        lines[index] = _prepare_line(line, done)
        if "<summary" in line.lower() and lines[index].startswith("**"):
            summaries.add(index)
    return "\n".join(lines), done, summaries


DEFINITION = re.compile(r"^ {0,3}\[([^\]\n]{1,500})\]:[ \t]*<?([^\s<>]{1,2000})>?(?:[ \t]+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?[ \t]*$")
REFERENCE = re.compile(r"\[([^\[\]\n]{1,500})\](?:\[([^\[\]\n]{0,500})\]|(?![(:\[]))")


def _inline_references(lines: list[str], done: Counter) -> list[str]:
    """Reference-style links and images (`[text][label]`, `[label]` with `[label]: url` elsewhere)
    become inline ones and the definitions go: content may not define references (an answer
    could otherwise serve a link to another one in the README)."""
    targets: dict[str, str] = {}
    for index in _outside_fences(lines):
        line = lines[index]
        definition = DEFINITION.match(line)
        if definition:
            targets.setdefault(" ".join(definition.group(1).casefold().split()), definition.group(2))
            lines[index] = ""
            done["reference definitions removed (their links made inline)"] += 1
    if not targets:
        return lines
    from .cleanup import _masked

    def inline(match: re.Match) -> str:
        label = match.group(2) if match.group(2) else match.group(1)
        url = targets.get(" ".join(label.casefold().split()))
        return f"[{match.group(1)}]({url})" if url else match.group(0)

    for index in _outside_fences(lines):
        if "[" in lines[index]:
            lines[index] = _masked(lines[index], lambda part: REFERENCE.sub(inline, part))
    return lines


def _outside_fences(lines: list[str]) -> Iterator[int]:
    """Indices of the lines outside fenced code blocks (the fence lines themselves excluded)."""
    fence = None
    for index, line in enumerate(lines):
        opening = FENCE.match(line)
        if fence or opening:
            fence = None if fence and opening and opening.group(1)[0] == fence[0] else (fence or opening.group(1))
            continue
        yield index


def _without_comments(text: str, done: Counter) -> str:
    """HTML comments become blank lines (a studykit id comment stays); one linear scan."""
    out, last = [], 0
    while (start := text.find("<!--", last)) >= 0:
        end = text.find("-->", start + 4)
        if end < 0:
            break  # an unclosed comment: nothing after it can close one either
        comment = text[start:end + 3]
        out += [text[last:start], comment if ID_COMMENT.fullmatch(comment) else _blank_lines(comment, done)]
        last = end + 3
    return "".join(out) + text[last:]


def _blank_lines(comment: str, done: Counter) -> str:
    done["HTML comments removed"] += 1
    return "\n" * comment.count("\n")


def _prepare_line(line: str, done: Counter) -> str:
    if "<b>" in line or "<strong>" in line:
        line = re.sub(r"<(b|strong)>(?=\S)(.*?)(?<=\S)</\1>", r"**\2**", line)
    match = LIST_HEADING.match(line)
    if match:  # `1. ### Title`: a numbered heading written as a list item
        done["numbered list-item headings made headings"] += 1
        return f"{match.group(2)} {match.group(1)}. {match.group(3)}"
    if "<summary" in line.lower() or DETAILS_TAG.search(line):
        return _details(line, done)
    anchor = HTML_NAV.fullmatch(line.strip())
    if anchor and NAV_WORDS.search(anchor.group(1)):
        done["'back to top' links removed"] += 1
        return ""
    nav = NAV_LINE.match(line)
    if nav and (not nav.group(2) or NAV_WORDS.search(nav.group(1))) and NAV_WORDS.search(nav.group(1) or "top"):
        done["'back to top' links removed"] += 1
        return ""
    if IMAGE_ONLY.match(line) and "![" in line or IMAGE_ONLY.match(line) and "<img" in line.lower():
        urls = re.findall(r"!\[[^\]]*\]\(([^)\s]*)|src=[\"']([^\"']*)", line)  # the images' own addresses
        if urls and all(BADGE_URL.search(a or b) for a, b in urls):
            done["badge lines removed"] += 1
            return ""
    return line


def _details(line: str, done: Counter) -> str:
    """`<details><summary>Q</summary>` becomes a bold paragraph `**Q**`; 'Answer'-type summaries go."""
    lower = line.lower()
    opening = lower.find("<summary")
    inner = lower.find(">", opening) + 1 if opening >= 0 else 0
    closing = lower.find("</summary>", inner) if opening >= 0 else -1
    if closing < 0:
        if opening >= 0:
            return line
        done["<details> wrappers removed"] += 1
        return DETAILS_TAG.sub("", line).strip()
    rest = DETAILS_TAG.sub("", line[:opening] + line[closing + len("</summary>"):]).strip()
    label = " ".join(html.unescape(TAG.sub("", line[inner:closing])).split())
    label = re.sub(r"^\*\*(.*)\*\*$", r"\1", label).strip()
    done["<details> wrappers removed"] += 1
    if not label or ANSWER_LABEL.match(label):
        return ANSWER_MARK + (f" {rest}" if rest else "")  # what comes before it is still the question
    return f"**{label}**" + (f" {rest}" if rest else "")
