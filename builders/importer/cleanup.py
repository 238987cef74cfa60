"""Rewrite legacy Markdown into what the content rules accept: one style, no raw HTML, local images."""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from html.parser import HTMLParser
from urllib.parse import parse_qs, unquote, urlsplit

FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})(.*)$")
INLINE_MATH = re.compile(r"(?<![\\$\d])\$(?=\S)(?:[^$\\]|\\.)+?(?<=\S)\$(?![\d$])")
IMAGE = re.compile(r"!\[(?P<alt>[^\]\n]{0,500})\]\((?P<src><[^>\n]{0,2000}>|[^)\s]{0,2000})(?:\s+\"[^\"\n]{0,500}\")?\)")
LINK = re.compile(r"(?<!!)\[(?P<text>(?:[^\[\]\n]|\[[^\[\]\n]{0,500}\]){0,500})\]\((?P<href><[^>\n]{0,2000}>|[^)\s]{0,2000})(?:\s+\"[^\"\n]{0,500}\")?\)")
XREF_PREFIX = "studykit-xref-"  # a link to a heading, kept (anchor in hex) until questions have ids
SAFE = re.compile(r"^https?://[^\s<>\"']+$", re.IGNORECASE)
SUB = str.maketrans("0123456789+-=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ")
SUP = str.maketrans("0123456789+-=()in", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁱⁿ")
MATH_IMAGE_HOSTS = ("render.githubusercontent.com", "latex.codecogs.com", "chart.googleapis.com", "math.now.sh", "i.upmath.me", "quicklatex.com")
ANSWER_LABEL = re.compile(r"^\s*(?:[-*+]\s+)?(?:\*\*|__)?\s*(?:a|ans|answer|solution)\s*[:.\-–—]\s*(?:\*\*|__)?\s*:?\s*", re.IGNORECASE)
PLACEHOLDER = re.compile(r"^\W*(?:(?:your\s+)?answer(?:\s+(?:here|goes\s+here|coming\s+soon|to\s+be\s+added|tbd))?|a|ans|todo|tbd|tba|to\s*do|wip|coming\s+soon|n/?a|none|pending|\.{2,}|…|to\s+be\s+(?:added|updated|written|done|completed|continued)|under\s+construction|work\s+in\s+progress)\W*$", re.IGNORECASE)

MARKS = {"b": "**", "strong": "**", "i": "*", "em": "*", "code": "`", "kbd": "`", "tt": "`"}  # tag -> Markdown on both sides
KNOWN_TAGS = {"b", "strong", "i", "em", "code", "kbd", "tt", "sub", "sup", "br", "p", "div", "ul", "ol", "li", "table", "tr",
              "td", "th", "thead", "tbody", "a", "img", "blockquote", "pre", "center", "span", "font", "small", "big", "hr",
              "h1", "h2", "h3", "h4", "h5", "h6", "details", "summary", "u", "ins", "del", "s", "strike", "mark", "script", "style"}
ImageFn = Callable[[str, str], str | None]


def is_placeholder(markdown: str) -> bool:
    """True for an answer that says nothing: empty, 'Answer:', 'Answer here', 'TODO', 'TBD', '...'."""
    text = re.sub(r"[*_`>#\-\s]+", " ", re.sub(r"</?[a-zA-Z][^>\n]*>", " ", markdown)).strip()
    return not text or bool(PLACEHOLDER.match(text))


def drop_answer_label(markdown: str, done: Counter) -> str:
    """A leading 'Answer:' / 'A:' / '**Ans.**' label goes."""
    match = ANSWER_LABEL.match(markdown)
    if match and not markdown[match.end():].startswith(("*", "_")) or match and match.group(0).strip().endswith(("**", "__")):
        done["'Answer:' labels removed"] += 1
        return markdown[match.end():].lstrip()
    return markdown


class _ToMarkdown(HTMLParser):
    """A small HTML to Markdown converter for the tags hand-written READMEs use."""

    def __init__(self, done: Counter):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.done = done
        self.stack: list[tuple[str, str]] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag in ("script", "style"):
            self.skip += 1
        elif tag in MARKS:
            self.out.append(MARKS[tag])
        elif tag in ("sub", "sup"):
            self.stack.append((tag, str(len(self.out))))
        elif tag == "br":
            self.out.append("\n")
        elif tag in ("p", "div", "ul", "ol", "table", "tr", "blockquote", "pre", "center"):
            self.out.append("\n\n")
        elif tag == "li":
            self.out.append("\n- ")
        elif tag == "a":
            self.stack.append(("a", a.get("href") or ""))
            self.out.append("\x01")
        elif tag == "img":
            self.out.append(f"![{a.get('alt') or a.get('title') or ''}]({a.get('src') or ''})")
        elif tag in ("td", "th"):
            self.out.append(" ")
        elif tag not in KNOWN_TAGS:
            self.out.append((self.get_starttag_text() or "").replace("<", "\\<"))
            return
        self.done["raw HTML tags rewritten"] += 1

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.skip = max(0, self.skip - 1)
        elif tag in MARKS:
            self.out.append(MARKS[tag])
        elif tag in ("sub", "sup") and self.stack and self.stack[-1][0] == tag:
            _, start = self.stack.pop()
            inner = "".join(self.out[int(start):])
            del self.out[int(start):]
            table = SUB if tag == "sub" else SUP
            converted = inner.translate(table)
            self.out.append(converted if all(c != o or c.isspace() for c, o in zip(converted, inner)) and inner.strip()
                            else ("_" if tag == "sub" else "^") + f"({inner})")
        elif tag == "a" and self.stack and self.stack[-1][0] == "a":
            _, href = self.stack.pop()
            joined = "".join(self.out)
            at = joined.rfind("\x01")
            text = joined[at + 1:]
            self.out = [joined[:at], f"[{text}]({href})" if href and text.strip() else text]
        elif tag in ("p", "div", "ul", "ol", "table", "blockquote", "pre", "center"):
            self.out.append("\n\n")
        elif tag == "tr":
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.out.append(data)


class _Table(HTMLParser):
    """Rows of cells of one HTML table, each cell's inner HTML kept for conversion."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th") and self.rows:
            self.cell = []
        elif self.cell is not None:
            self.cell.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append("".join(self.cell))
            self.cell = None
        elif self.cell is not None:
            self.cell.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)

    def handle_entityref(self, name: str) -> None:
        self.handle_data(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.handle_data(f"&#{name};")


def html_table_to_markdown(fragment: str, done: Counter) -> str:
    """An HTML <table> as a Markdown table (first row as the header)."""
    parser = _Table()
    parser.feed(fragment)
    rows = [[" ".join(html_to_markdown(c, done).split()).replace("|", "\\|") for c in row] for row in parser.rows if row]
    if not rows:
        return html_to_markdown(fragment, done)
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * width] + ["| " + " | ".join(r) + " |" for r in rows[1:]]
    done["HTML tables made Markdown tables"] += 1
    return "\n\n" + "\n".join(lines) + "\n\n"


def html_to_markdown(fragment: str, done: Counter) -> str:
    parser = _ToMarkdown(done)
    parser.feed(fragment)
    parser.close()
    return "".join(parser.out).replace("\x01", "")


def protected_spans(line: str) -> list[tuple[int, int]]:
    """(start, end) of each code span and inline formula of a line, in order; linear in its length
    (a code span closes at the next backtick run of the same length, as in CommonMark)."""
    spans: list[tuple[int, int]] = []
    runs = [(m.start(), m.end()) for m in re.finditer(r"`+", line)]
    by_length: dict[int, list[int]] = {}
    for index, (start, end) in enumerate(runs):
        by_length.setdefault(end - start, []).append(index)
    taken_until, cursor = -1, {k: 0 for k in by_length}
    for index, (start, end) in enumerate(runs):
        if start < taken_until:
            continue
        same = by_length[end - start]
        while cursor[end - start] < len(same) and same[cursor[end - start]] <= index:
            cursor[end - start] += 1
        if cursor[end - start] < len(same):
            close = runs[same[cursor[end - start]]]
            spans.append((start, close[1]))
            taken_until = close[1]
    code = spans
    outside = _gaps(line, code)
    maths = [(a + m.start(), a + m.end()) for a, b in outside for m in INLINE_MATH.finditer(line[a:b])]
    return sorted(code + maths)


def _gaps(line: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    gaps, last = [], 0
    for start, end in spans:
        gaps.append((last, start))
        last = end
    gaps.append((last, len(line)))
    return gaps


def _masked(line: str, fn: Callable[[str], str]) -> str:
    """Apply fn to the parts of a line outside code spans and inline math."""
    spans = protected_spans(line)
    parts = []
    for (a, b), span in zip(_gaps(line, spans), spans + [None], strict=True):
        parts.append(fn(line[a:b]))
        if span:
            parts.append(line[span[0]:span[1]])
    return "".join(parts)


def math_from_image(src: str) -> str | None:
    """TeX held in the URL of a GitHub/CodeCogs formula image, or None."""
    url = urlsplit(src)
    if url.hostname not in MATH_IMAGE_HOSTS:
        return None
    query = parse_qs(url.query)
    for key in ("math", "chl", "tex"):
        if key in query:
            return query[key][0].strip()
    if url.query and url.hostname == "latex.codecogs.com":
        return unquote(url.query).strip().removeprefix("\\dpi{110}").strip()
    return None


def clean_markdown(markdown: str, done: Counter, image: ImageFn, one_line: bool = False) -> str:
    """Every repair that keeps the meaning: headings, HTML, images, links, bullets, emphasis, `$`."""
    if "<table" in markdown.lower():
        chunks = re.split(r"(^\s*(?:`{3,}|~{3,})[^\n]*\n[\s\S]*?^\s*(?:`{3,}|~{3,})\s*$)", markdown, flags=re.M)
        markdown = "".join(chunk if index % 2 else re.sub(r"(?is)<table\b.*?</table\s*>", lambda m: html_table_to_markdown(m.group(0), done), chunk)
                           for index, chunk in enumerate(chunks))
    out: list[str] = []
    fence = None
    for line in markdown.split("\n"):
        opening = FENCE.match(line)
        stripped = line.strip()
        if fence == "$$":
            out.append(line)
            if stripped.endswith("$$"):
                fence = None
            continue
        if not fence and stripped.startswith("$$"):
            out.append(line)
            if not (len(stripped) > 4 and stripped.endswith("$$")):
                fence = "$$"
            continue
        if fence:
            out.append(line)
            if opening and opening.group(2)[0] == fence[0] and len(opening.group(2)) >= len(fence) and not opening.group(3).strip():
                fence = None
            continue
        if opening:
            fence = opening.group(2)
            out.append(line)
            continue
        out.append(_clean_line(line, done, image))
    if fence:
        out.append(fence)
        done["unclosed code fences and display math closed"] += 1
    text = "\n".join(out)
    if re.search(r"<[a-zA-Z/!][^<>]*>", text):
        text = _masked_blocks(text, lambda s: html_to_markdown(s, done) if re.search(r"<[a-zA-Z/!][^<>]*>", s) else s)
        text = "\n".join(_clean_line(l, done, image) if "![" in l else l for l in text.split("\n"))
        text = re.sub(r"\n{3,}", "\n\n", text)  # the blank lines that block tags left
    text = escape_stray_dollars(text, done)
    text = re.sub(r"\A(?:\s*(?:-{3,}|\*{3,}|_{3,})\s*\n)+|(?:\n\s*(?:-{3,}|\*{3,}|_{3,})\s*)+\Z", "", text.strip("\n"))  # separators
    return " ".join(text.split()) if one_line else end_bold_labels(text.strip("\n"), done)


def escape_stray_dollars(markdown: str, done: Counter) -> str:
    """Escape each `$` that markdown-it does not read as math (a price, an unclosed formula), paragraph
    by paragraph, so math that spans lines is kept."""
    if "$" not in markdown:
        return markdown
    from schema.markdown import VALIDATOR, walk

    out = []
    for block in re.split(r"(\n\s*\n)", markdown):
        tokens = VALIDATOR.parse(block)
        if block.lstrip().startswith(("```", "~~~", "$$")) or not any(t.type == "text" and "$" in t.content for t, _ in walk(tokens)):
            out.append(block)
            continue
        formulas = [t.content for t, _ in walk(tokens) if t.type == "math_inline"]
        kept: list[str] = []

        def keep(match: re.Match) -> str:
            kept.append(match.group(0))
            return f"\x00{len(kept) - 1}\x00"

        masked = block
        for tex in dict.fromkeys(formulas):
            masked = masked.replace(f"${tex}$", f"\x01{tex}\x01")
        masked = re.sub(r"`+[^`]*`+|\x01[^\x01]*\x01", keep, masked)
        masked = re.sub(r"(?<!\\)\$", r"\\$", masked)
        out.append(re.sub("\x00(\\d+)\x00", lambda m: kept[int(m.group(1))], masked).replace("\x01", "$"))
        done["stray '$' escaped"] += 1
    return "".join(out)


BOLD_LABEL = re.compile(r"^(\s*(?:[-*+]\s+|\d+[.)]\s+)?)(\*\*|\*)([^*\n]*?[^*\n.?!:;,。])\2\s*(:?)\s*$")


def end_bold_labels(markdown: str, done: Counter) -> str:
    """A paragraph or list item that is only bold text reads as a fake heading: end it with a full stop."""
    lines = markdown.split("\n")
    for index, line in enumerate(lines):
        match = BOLD_LABEL.match(line)
        if not match:
            continue
        standalone = match.group(1).strip() or index == 0 or not lines[index - 1].strip()
        ends = index + 1 == len(lines) or not lines[index + 1].strip() or re.match(r"^\s*([-*+]|\d+[.)])\s", lines[index + 1])
        if standalone and ends:
            lines[index] = f"{match.group(1)}{match.group(2)}{match.group(3)}{match.group(4) or '.'}{match.group(2)}"
            done["bold-only labels given a full stop"] += 1
    return "\n".join(lines)


def _masked_blocks(text: str, fn: Callable[[str], str]) -> str:
    """Apply fn to the text outside fenced code blocks, code spans and inline math."""
    chunks = re.split(r"(^\s*(?:`{3,}|~{3,})[^\n]*\n[\s\S]*?^\s*(?:`{3,}|~{3,})\s*$)", text, flags=re.M)
    return "".join(chunk if index % 2 else "\n".join(_masked(l, fn) for l in chunk.split("\n")) for index, chunk in enumerate(chunks))


def _clean_line(line: str, done: Counter, image: ImageFn) -> str:
    heading = re.match(r"^ {0,3}(#{1,6})(?:[ \t]+(.*))?$", line)
    if heading:  # (closing hashes are cut in Python: a regex for them backtracks on long lines)
        done["headings inside answers made bold lead-ins"] += 1
        label = (heading.group(2) or "").strip()
        label = label.rstrip("#").rstrip() if label.rstrip("#") != label and label.rstrip("#")[-1:].isspace() or not label.rstrip("#") else label
        label = label.strip().strip("*_").rstrip(".:")
        return f"**{label}.**" if label else ""
    bullet = re.match(r"^(\s*)[*+](\s+)(?=\S)", line)
    if bullet and not re.match(r"^\s*\*\s*\*\s*\*[\s*]*$", line):
        done["'*' and '+' bullets made '-'"] += 1
        line = f"{bullet.group(1)}-{bullet.group(2)}" + line[bullet.end():]
    if re.fullmatch(r"\s*(\*\s*){3,}|\s*(_\s*){3,}", line):
        return "---"
    return _masked(line, lambda s: _clean_text(s, done, image))


def _clean_text(text: str, done: Counter, image: ImageFn) -> str:
    def img(match: re.Match) -> str:
        src = match.group("src").strip("<>")
        alt = " ".join(match.group("alt").split())
        tex = math_from_image(src)
        if tex is not None:
            done["formula images made $TeX$"] += 1
            return f"${tex}$"
        result = image(src, alt)
        return result if result is not None else alt

    def link(match: re.Match) -> str:
        href, label = match.group("href").strip("<>"), match.group("text")
        if SAFE.match(href) and label.strip():
            return match.group(0)
        if href.startswith("#") and len(href) > 1 and label.strip():  # resolved once ids are known
            return f"[{label}](#{XREF_PREFIX}{unquote(href[1:]).encode('utf-8').hex()})"
        done["relative, empty or unsafe links made text"] += 1
        return label

    text = IMAGE.sub(img, text)
    text = LINK.sub(link, text)
    new = re.sub(r"(?<![\w\\_])__(?=\S)(.{1,500}?)(?<=\S)__(?![\w_])", r"**\1**", text)  # (bounded: linear)
    new = re.sub(r"(?<![\w\\_*])_(?=[^\s_])(.{1,500}?)(?<=[^\s_\\])_(?![\w_])", r"*\1*", new)
    if new != text:
        done["'_' emphasis made '*'"] += 1
        text = new
    new = re.sub(r"\$\$(?=\S)(.{1,2000}?)(?<=\S)\$\$", r"$\1$", text)
    if new != text:
        done["inline $$...$$ made $...$"] += 1
        text = new
    return text


BARE_URL = re.compile(r"(?<![(<\[\w/\"'=])(https?://[^\s<>()\[\]`]*[^\s<>()\[\]`.,;:!?'\"*_])")


def lint_style(markdown: str, done: Counter) -> str:
    """What markdownlint asks of the README that the answer can give without changing what it says:
    a language on every code fence, bare addresses as autolinks, a blank line before a fence or a
    list that follows a paragraph, no spaces just inside code spans."""
    out: list[str] = []
    fence = ""
    for line in markdown.split("\n"):
        opening = FENCE.match(line)
        if fence:
            out.append(line)
            if opening and opening.group(2)[0] == fence[0] and len(opening.group(2)) >= len(fence) and not opening.group(3).strip():
                fence = ""
                out.append("")  # a blank line after the fence (extra ones go when the README is tidied)
            continue
        previous = out[-1] if out else ""
        if opening:
            fence = opening.group(2)
            if not opening.group(3).strip():
                line = f"{opening.group(1)}{fence}text"
                done["code fences given a language ('text')"] += 1
            if previous.strip():
                out.append("")
            out.append(line)
            continue
        starts_list = re.match(r"^\s*(?:[-*+]|1[.)])\s+\S", line)
        if starts_list and previous.strip() and not re.match(r"^\s*(?:[-*+]|\d+[.)])\s", previous) \
                and len(previous) - len(previous.lstrip()) >= len(line) - len(line.lstrip()) and not previous.startswith(" "):
            out.append("")  # a list may interrupt a paragraph; markdownlint wants it set apart
        line = _masked(line, lambda t: BARE_URL.sub(r"<\1>", t))
        line = re.sub(r"(?<!`)`\s+([^`\s][^`]*?)\s+`(?!`)", r"`\1`", line)
        out.append(line)
    return "\n".join(out).strip("\n")
