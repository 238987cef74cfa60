"""Short answers from legacy answers: whole sentences within the limit, never repeated in the detail."""
from __future__ import annotations

import re

from schema.models import MAX_SHORT_ANSWER

from .cleanup import protected_spans

ABBREVIATIONS = re.compile(r"(?:\b(?:e\.g|i\.e|etc|vs|cf|al|fig|eq|approx|resp|no|mr|mrs|dr|st|inc|ltd)|\b[A-Z])\.$", re.IGNORECASE)
LIST_ITEM = re.compile(r"^(\s*)(?:[-*+]|\d+[.)])\s+")
PLAIN_START = re.compile(r"^\s*(?:[-*+]\s|\d+[.)]\s|\||```|~~~|\$\$|>|!\[|<|\s{4})")


def sentences(text: str) -> list[str]:
    """Split a paragraph into sentences, never inside code spans or math, not after 'e.g.'."""
    masks: list[str] = []

    def hide_span(span: str) -> str:
        masks.append(span)
        return f"\x00{len(masks) - 1}\x00"

    hidden, last = "", 0
    for start, end in protected_spans(text):
        hidden += text[last:start] + hide_span(text[start:end])
        last = end
    hidden += text[last:]
    parts, start = [], 0
    for match in re.finditer(r"[.!?](?:[\"”’)\]*_]*)\s+(?=[A-Z0-9\"“(\[*_`$\x00])", hidden):
        piece = hidden[start:match.end()].strip()
        if ABBREVIATIONS.search(hidden[start:match.start() + 1]) or len(piece) < 12:
            continue
        parts.append(piece)
        start = match.end()
    parts.append(hidden[start:].strip())
    return [re.sub("\x00(\\d+)\x00", lambda m: masks[int(m.group(1))], p) for p in parts if p]


def blocks(markdown: str) -> list[str]:
    """Top-level blocks separated by blank lines (fences and display math kept whole)."""
    out: list[list[str]] = [[]]
    fence = None
    for line in markdown.split("\n"):
        stripped = line.strip()
        if fence:
            out[-1].append(line)
            if stripped.startswith(fence) and (fence != "$$" or True):
                fence = None
            continue
        if stripped.startswith(("```", "~~~")):
            fence = stripped[:3]
        elif stripped.startswith("$$") and not (len(stripped) > 4 and stripped.endswith("$$")):
            fence = "$$"
        if not stripped and not fence:
            if out[-1]:
                out.append([])
            continue
        out[-1].append(line)
    return ["\n".join(b) for b in out if b]


def _fit(pieces: list[str], joiner: str) -> int:
    """How many leading pieces (at most three) fit in the short-answer limit."""
    total, count = 0, 0
    for piece in pieces[:3]:
        total += len(piece) + (len(joiner) if count else 0)
        if total > MAX_SHORT_ANSWER:
            break
        count += 1
    return count


def split_short(answer: str) -> tuple[str, str]:
    """(short answer, detailed answer) of an answer; ('', answer) when no prose can stand alone."""
    checked = re.findall(r"^\s*[-*+]\s+\[[xX]\]\s+(.+?)\s*$", answer, re.M)
    if checked and len(re.findall(r"^\s*[-*+]\s+\[[ xX]\]\s", answer, re.M)) >= 2:
        short = "; ".join(c.rstrip(".;") for c in checked) + "."
        if len(short) <= MAX_SHORT_ANSWER:
            return short[0].upper() + short[1:], answer  # a quiz: the ticked options answer it
    parts = blocks(answer)
    links = ""  # a paragraph that is only a link: the short answer of last resort
    for index, block in enumerate(parts):
        if all(line.lstrip().startswith(">") for line in block.split("\n")):
            block = "\n".join(re.sub(r"^\s*>\s?", "", line) for line in block.split("\n"))  # a quoted note reads as prose
        if block.rstrip().endswith(":") and index + 1 < len(parts) and not PLAIN_START.match(block) and _prose(block, index):
            # a lead-in ('... expressed as:') and what it introduces: a statement, a formula or a short list
            follow = _inline_form(parts[index + 1])
            lead = " ".join(block.split())
            if follow and len(lead) + len(follow) < MAX_SHORT_ANSWER and len(sentences(lead)) <= 3:
                return f"{lead} {follow}", "\n\n".join(parts[:index] + parts[index + 1:]).strip()
        if PLAIN_START.match(block) or block.rstrip().endswith(":") and index + 1 < len(parts):
            if index == 0 and LIST_ITEM.match(block):
                short, detail = _from_list(block, parts[1:])
                if short:
                    return short, detail
            continue
        label = re.fullmatch(r"\s*(\*\*|__|\*)([^*:\n]+?)[.:]?\1\s*:?\s*", block)
        if label and index + 1 < len(parts) and len(label.group(2).split()) <= 3:
            continue  # a lead-in label ('**Idea.**') says nothing by itself; 'Answer: D' does
        if not _prose(block, index):
            links = links or (block if re.search(r"\]\(https?://", block) and "\n" not in block.strip() else "")
            continue
        said = sentences(" ".join(block.split()))
        take = _fit(said, " ")
        if not take:
            continue
        short = " ".join(said[:take])
        rest = " ".join(said[take:])
        before = parts[:index]
        if not rest and before and re.fullmatch(r"\s*(\*\*|__|\*)[^*\n]+\1\s*", before[-1]) and (index + 1 == len(parts) or
                                                                                         re.fullmatch(r"\s*(\*\*|__|\*)[^*\n]+\1\s*", parts[index + 1])):
            before = before[:-1]  # the label of the paragraph taken whole labels nothing now
        detail = before + ([rest] if rest else []) + parts[index + 1:]
        return short, "\n\n".join(detail).strip()
    short, detail = _from_nested_item(answer)
    if short:
        return short, detail
    short, detail = _from_table(answer)
    if not short:
        short, detail = _from_code(answer)
    if not short and links and len(links) <= MAX_SHORT_ANSWER:
        short, detail = " ".join(links.split()), "\n\n".join(p for p in parts if p != links)
    return short, detail


def _from_table(answer: str) -> tuple[str, str]:
    """An answer that opens with a table: its first rows, read out as a sentence; the table stays."""
    table = next((p for p in blocks(answer) if p.lstrip().startswith("|")), "")
    if not table:
        return "", answer
    rows = [[c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))] for line in table.split("\n") if line.strip()]
    if len(rows) < 3 or not re.fullmatch(r"[\s:|-]+", table.split("\n")[1]):
        return "", answer
    header, body = rows[0], rows[2:]
    said = []
    for row in body[:3]:
        if len(header) == 2 or len(row) < 3:
            said.append(f"{row[0]}: {row[1] if len(row) > 1 else ''}".strip(": "))
        else:
            said.append(f"{row[0]}: " + ", ".join(f"{cell} ({name})" for cell, name in zip(row[1:], header[1:]) if cell))
    short = "; ".join(said).replace("**", "") + "."
    return (short, answer) if len(short) <= MAX_SHORT_ANSWER and all(said) else ("", answer)


def _from_code(answer: str) -> tuple[str, str]:
    """An answer that is code and nothing else to say: its first statement, as inline code."""
    parts = blocks(answer)
    if not parts or not parts[0].lstrip().startswith(("```", "~~~")):
        return "", answer
    code = _first_statement(parts[0])
    return (code, answer) if code else ("", answer)


def _first_statement(fence: str) -> str:
    """The first line of a fenced block that is not a comment, as inline code ('' if none fits)."""
    for line in fence.split("\n")[1:-1]:
        code = line.strip()
        if code and not code.startswith(("--", "//", "#", "/*", "*", "<!--")) and "`" not in code and len(code) <= 200:
            return f"`{code}`"
    return ""


def _inline_form(block: str) -> str:
    """A block as a piece of one sentence: a code block's first statement, a one-line display formula as
    inline math, a list's items joined by semicolons; '' when it has no short inline form."""
    stripped = block.strip()
    if stripped.startswith(("```", "~~~")):
        return _first_statement(block)
    formula = re.fullmatch(r"\$\$\s*([^$\n]+?)\s*\$\$", stripped) or re.fullmatch(r"\$\$\n([^$\n]+)\n\$\$", stripped)
    if formula:
        return f"${formula.group(1).strip()}$."
    items = [LIST_ITEM.sub("", line).strip() for line in stripped.split("\n")]
    if all(LIST_ITEM.match(line) for line in stripped.split("\n")) and len(items) <= 5:
        return "; ".join(i.rstrip(".;,") for i in items) + "."
    return ""


def _prose(block: str, index: int) -> bool:
    """A paragraph that can stand alone: it says something outside links and, after the first
    block, starts a sentence (not 'where μ is the mean...')."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", "", block)
    start = block.lstrip("*_`\"“'( ")
    return bool(re.search(r"\w", text)) and bool(start) and (index == 0 or not start[0].islower())


def _from_nested_item(answer: str) -> tuple[str, str]:
    """No prose paragraph: the first list item that is a sentence (not a label) stands in, and leaves
    the list; a label left with nothing under it goes too."""
    lines = answer.split("\n")
    fence = False
    for index, line in enumerate(lines):
        if line.strip().startswith(("```", "~~~")):
            fence = not fence
        match = LIST_ITEM.match(line)
        if fence or not match:
            continue
        text = " ".join(line[match.end():].split())
        depth = len(match.group(1))
        nxt = lines[index + 1] if index + 1 < len(lines) else ""
        has_children = bool(nxt.strip()) and len(nxt) - len(nxt.lstrip()) > depth
        if has_children or len(text.split()) < 5 or not text.endswith((".", "!", "?")) and len(text.split()) < 10 or text.endswith(":") or text.startswith(("**", "`", "$", "[", "!")) and text.endswith(("**", "`", "$", ")")):
            continue
        said = sentences(text)
        take = _fit(said, " ")
        if not take:
            continue
        rest = lines[:index] + lines[index + 1:]
        parent = index - 1
        if parent >= 0 and LIST_ITEM.match(rest[parent]) and len(rest[parent]) - len(rest[parent].lstrip()) < depth:
            after = rest[parent + 1] if parent + 1 < len(rest) else ""
            if not after.strip() or len(after) - len(after.lstrip()) <= len(rest[parent]) - len(rest[parent].lstrip()):
                del rest[parent]
        return " ".join(said[:take]), "\n".join(rest).strip()
    return "", answer


def _from_list(block: str, after: list[str]) -> tuple[str, str]:
    """Leading items of a list become the short answer; the rest of the list stays."""
    lines = block.split("\n")
    base = min(len(m.group(1)) for m in map(LIST_ITEM.match, lines) if m)
    items: list[list[str]] = []
    for line in lines:
        match = LIST_ITEM.match(line)
        if match and len(match.group(1)) < base + 2:
            items.append([line[match.end():]])
        elif items:
            items[-1].append(line)
    firsts = [" ".join(item[0].split()) for item in items]
    if any(len(item) > 1 for item in items[:1]) or not all(firsts):
        return "", "\n\n".join([block] + after)
    take = _fit(firsts, "; ")
    if not take:
        return "", "\n\n".join([block] + after)
    texts = [f.rstrip(".;,") for f in firsts[:take]]
    short = "; ".join(texts) + ("." if not texts[-1].endswith(("?", "!")) else "")
    kept, count = [], 0
    for line in lines:
        match = LIST_ITEM.match(line)
        if match and len(match.group(1)) < base + 2:
            count += 1
        if count > take:
            kept.append(line)
    return short, "\n\n".join(["\n".join(kept)] + after).strip()
