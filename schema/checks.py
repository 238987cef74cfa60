"""Checks on Markdown fields: raw HTML, headings, links, images, stray `$`, TeX, mojibake."""
from __future__ import annotations

import re

from .bounds import bound_problems, definition_problems
from .errors import Problem
from .render_limits import MAX_MARKDOWN_DEPTH, markdown_depth
from .unicode_rules import hidden_characters
from .markdown import VALIDATOR, alt_text, headings, walk_lines
from .media import MEDIA_DIR, REMOTE, SAFE_SRC, rewrite_is_exact
from .tex import tex_errors
from .xrefs import XREF_TARGET
from .xrefs import rewrite_is_exact as xrefs_rewrite_exactly

SAFE_LINK = re.compile(r"^https?://[^\s<>\"']+$", re.IGNORECASE)
# A display-math line that a Markdown tool without math support would read as a list, quote or heading.
MARKDOWN_LOOKALIKE = re.compile(r"^\s*(?:[-+*]\s|>|#|\d+[.)]\s)")
STYLE = {"em_open": "*", "strong_open": "**", "bullet_list_open": "-"}


SINGLE_BYTE_CODECS = ("mac_roman", "cp1252", "latin-1")


def is_mojibake(line: str) -> bool:
    """ftfy's badness heuristic, plus UTF-8 that was decoded with a single-byte codepage.

    ftfy misses Mac Roman damage such as `‚àöd‚Çñ` (for `√dₖ`); such text re-encodes with
    that codepage into valid UTF-8, which ordinary text practically never does.
    """
    if line.isascii():
        return False
    from ftfy.badness import is_bad  # imported only when some text is not ASCII

    if is_bad(line):
        return True
    for codec in SINGLE_BYTE_CODECS:
        try:
            repaired = line.encode(codec).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if repaired != line:
            return True
    return False


def text_problems(text: str, path: str, field: str, first_line: int) -> list[Problem]:
    """Mojibake (ftfy's badness heuristic), replacement characters, and control, bidi and
    invisible characters (hidden_characters)."""
    problems = []
    for offset, line in enumerate(text.split("\n")):
        where = first_line + offset
        if "\ufffd" in line:
            problems.append(Problem(path, where, field, "contains U+FFFD (text was decoded with errors)"))
        elif is_mojibake(line):
            problems.append(Problem(path, where, field, f"looks like mojibake: {line.strip()[:60]!r}"))
        problems += [Problem(path, where, field, message) for message in hidden_characters(line)]
    return problems


def markdown_problems(
    markdown: str, path: str, field: str, first_line: int, *, inline_only: bool = False,
    single_paragraph: bool = False, allow_math: bool = True, allow_images: bool = False,
) -> list[Problem]:
    """Everything a Markdown field may not contain, each with its line."""
    problems = text_problems(markdown, path, field, first_line)
    if bounds := bound_problems(markdown, path, field, first_line):
        return problems + bounds  # checked before the full parse, which they would slow down
    try:
        env: dict = {}
        tokens = VALIDATOR.parseInline(markdown, env) if inline_only else VALIDATOR.parse(markdown, env)
    except RecursionError:
        return problems + [Problem(path, first_line, field, "Markdown is nested too deeply")]
    problems += definition_problems(env, path, field, first_line)
    depth, offset = markdown_depth(tokens)
    if depth > MAX_MARKDOWN_DEPTH:
        problems.append(Problem(path, first_line + offset, field, f"Markdown is nested {depth} deep (limit {MAX_MARKDOWN_DEPTH}: emphasis, links, lists and quotes inside each other)"))
    paragraphs = 0
    formulas = []  # (where its problem goes in the list, line, tex, display): checked together below
    for token, parent, offset in walk_lines(tokens):
        line = first_line + offset
        kind = token.type
        if kind in ("html_block", "html_inline"):
            problems.append(Problem(path, line, field, f"raw HTML is not allowed: {token.content.strip()[:40]!r}"))
        elif kind == "heading_open":
            problems.append(Problem(path, line, field, "headings are not allowed here; use a bold lead-in"))
        elif kind == "paragraph_open":
            paragraphs += 1
        elif single_paragraph and kind.endswith("_open") and kind not in (
            "paragraph_open", "strong_open", "em_open", "s_open", "link_open"
        ):
            problems.append(Problem(path, line, field, f"must be one plain paragraph (found {kind[:-5]})"))
        elif kind in ("math_block", "math_block_label") and single_paragraph:
            problems.append(Problem(path, line, field, "display math is not allowed here; use $...$"))
        if kind in STYLE and token.markup != STYLE[kind]:
            what = {"em_open": "*emphasis*", "strong_open": "**bold**", "bullet_list_open": "'-' for bullets"}[kind]
            problems.append(Problem(path, line, field, f"write {what}, not {token.markup!r} (one style, as markdownlint expects)"))
        if kind == "inline" and token.children and _only_emphasis(token.children):
            problems.append(Problem(path, line, field, "a paragraph that is only bold/italic text reads as a heading; end it with punctuation or add text"))
        if kind in ("math_block", "math_block_label"):
            for offset, tex_line in enumerate(token.content.split("\n"), start=1):
                if MARKDOWN_LOOKALIKE.match(tex_line):
                    problems.append(Problem(path, line + offset, field, f"display-math line starts like Markdown ({tex_line.strip()[:20]!r}); move the operator to the previous line"))
        if kind == "link_open":
            href = str(token.attrs.get("href", ""))
            if inline_only:
                problems.append(Problem(path, line, field, "links are not allowed here"))
            elif href.startswith("#") and not XREF_TARGET.match(href):
                problems.append(Problem(path, line, field, f"a cross-reference names a question id: [text](#question-id), not {href[:60]!r}"))
            elif not SAFE_LINK.match(href) and not href.startswith("#"):
                problems.append(Problem(path, line, field, f"links must be absolute http(s) URLs or [text](#question-id): {href[:60]!r}"))
        elif kind == "image":
            problems += image_problems(str(token.attrs.get("src", "")), alt_text(token), path, line, field, allow_images)
        elif kind == "text" and inline_only and "`" in token.content:  # would pair with a neighbour's on a joined line
            problems.append(Problem(path, line, field, "stray '`' (unclosed code span?); write \\` for a backtick"))
        elif kind == "text" and "$" in token.content:
            problems.append(Problem(path, line, field, "stray '$' (unclosed math?); write \\$ for a dollar sign"))
        elif kind in ("math_inline", "math_block", "math_block_label"):
            if not allow_math:
                problems.append(Problem(path, line, field, "math is not allowed here; write it in Unicode (e.g. √dₖ)"))
            else:
                formulas.append((len(problems), line, token.content.strip(), kind != "math_inline"))
    errors = tex_errors([(tex, display) for _, _, tex, display in formulas])
    for (position, line, _, _), error in reversed(list(zip(formulas, errors))):
        if error:
            prefix = "" if error.startswith("formula ") else "formula does not parse: "  # a limit's own message
            problems.insert(position, Problem(path, line, field, prefix + error))
    if single_paragraph and paragraphs > 1:
        problems.append(Problem(path, first_line, field, "must be a single paragraph"))
    if allow_images and "![" in markdown and not rewrite_is_exact(markdown):
        problems.append(Problem(path, first_line, field, "an image path is also written elsewhere in this answer (in code?), so outputs could not rewrite it safely; write that text differently"))
    if "#" in markdown and not xrefs_rewrite_exactly(markdown):
        problems.append(Problem(path, first_line, field, "a cross-reference's [text](#id) is also written elsewhere in this text (in code?), so outputs could not rewrite it safely; write that text differently"))
    if not inline_only and headings(markdown + "\n\n# end\n")[-1:] != ["end"]:
        fences = [t for t in tokens if t.type == "fence" and t.map]
        line = first_line + (fences[-1].map[0] if fences else 0)
        problems.append(Problem(path, line, field, "code fence is never closed; it would swallow everything after it in the README and pages"))
    return problems


def image_problems(src: str, alt: str, path: str, line: int, field: str, allowed: bool) -> list[Problem]:
    """What is wrong with an image as written (its file is checked by media.MediaReader)."""
    example = f"![A diagram of ...](../{MEDIA_DIR}/NAME.png)"
    if not allowed:
        return [Problem(path, line, field, f"images are only allowed in the detailed answer (the file's body): {src[:60]!r}")]
    problems = []
    if REMOTE.match(src):
        problems.append(Problem(path, line, field, f"remote images are never fetched: {src[:60]!r}; copy the file into {MEDIA_DIR}/ and write {example}"))
    elif not src:
        problems.append(Problem(path, line, field, f"image has no path; write {example}"))
    elif src.startswith("/"):
        problems.append(Problem(path, line, field, f"image paths are relative to the question file, not absolute: {src[:60]!r}; write {example}"))
    elif not SAFE_SRC.match(src):
        problems.append(Problem(path, line, field, f"image path {src[:60]!r} may use only letters, digits, '.', '_', '-' and '/'; rename the file"))
    if not alt:
        problems.append(Problem(path, line, field, f"image {src[:60]!r} needs alt text describing it: {example}"))
    return problems


def _only_emphasis(children: list) -> bool:
    """True for a paragraph that is just one bold/italic span not ending in punctuation (markdownlint MD036)."""
    children = [c for c in children if not (c.type == "text" and not c.content)]
    kinds = [c.type for c in children]
    if len(kinds) < 3 or kinds[0] not in ("strong_open", "em_open") or kinds[-1] != kinds[0].replace("open", "close"):
        return False
    depth = 0
    for index, child in enumerate(children):
        depth += child.nesting
        if depth == 0 and index != len(children) - 1:
            return False
    text = "".join(c.content for c in children if c.type in ("text", "code_inline", "text_special")).rstrip()
    return not text or text[-1] not in ".,;:!?。，；：！？"
