"""The one markdown-it configuration: parsing for validation and rendering to HTML."""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token
from markdown_it.rules_inline import StateInline
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.dollarmath.index import math_inline_dollar

from . import cache


def _inline_math_rule():
    """`$...$` that is not touching a digit on either side (so `$5 and $10` is not math).

    Wraps the plugin's rule with allow_digits=True: its own digit check reads the character
    before position 0 as the LAST character of the paragraph, rejecting valid math.
    """
    rule = math_inline_dollar(allow_space=False, allow_digits=True, allow_double=False)

    def guarded(state: StateInline, silent: bool) -> bool:
        pos = state.pos
        if state.src[pos] != "$" or (pos > 0 and state.src[pos - 1].isdigit()):
            return False
        if not rule(state, True):
            return False
        end = state.pos
        state.pos = pos
        if end < state.posMax and state.src[end].isdigit():
            return False
        return rule(state, silent)

    return guarded


def _autolinks_verbatim(state) -> None:  # noqa: ANN001 - markdown-it's StateCore
    """An autolink's text is its URL, not prose: mark it as the escapes are (text_join makes it
    plain text again after smartquotes), so its quotes stay straight."""
    for block in state.tokens:
        inside = False
        for child in block.children or []:
            if child.type == "link_open":
                inside = child.markup == "autolink"
            elif child.type == "link_close":
                inside = False
            elif inside and child.type == "text":
                child.type = "text_special"


def _apostrophes(state) -> None:  # noqa: ANN001 - markdown-it's StateCore
    """A single quote smartquotes left straight after a character (it pairs quotes, and could
    not pair the one in "et al.'s") is an apostrophe."""
    for block in state.tokens:
        for child in block.children or []:
            if child.type == "text" and "'" in child.content:
                child.content = _APOSTROPHE.sub("’", child.content)


_APOSTROPHE = re.compile(r"(?<=\S)'")
QUOTES = "“”‘’"  # what straight quotes in prose become (double open/close, single open/close)


def make_parser(allow_html: bool = False, keep_escapes: bool = False, quotes: bool = False) -> MarkdownIt:
    """CommonMark + tables + strikethrough + `$`/`$$` math; raw HTML off unless asked for.

    Validation parses with `allow_html=True` only to find raw HTML and report it; every
    renderer uses the default, where raw HTML is escaped text and can never pass through.
    With `quotes`, straight quotes in prose become typographic ones (markdown-it's smartquotes
    rule alone: its other typographic replacements stay off); code, math, URLs and
    backslash-escaped quotes are not prose and keep theirs.
    """
    md = MarkdownIt("commonmark", {"html": allow_html, "linkify": False, "typographer": quotes, "quotes": QUOTES})
    md.enable(["table", "strikethrough"])
    if quotes:
        md.enable("smartquotes")
        md.core.ruler.before("smartquotes", "autolink_text_verbatim", _autolinks_verbatim)
        md.core.ruler.after("smartquotes", "apostrophes", _apostrophes)
    md.use(dollarmath_plugin, allow_space=False, allow_digits=False, double_inline=False)
    md.inline.ruler.at("math_inline", _inline_math_rule())
    if keep_escapes:
        # Backslash escapes as their own tokens, so the validator can tell an escaped `\$`
        # from a stray `$` (an unclosed formula). Renderers join them back into text.
        md.core.ruler.disable("text_join")
    return md


def highlight(code: str, lang: str, attrs: str) -> str:
    """Syntax-highlight a fenced code block with Pygments (inline styles, so it works in the
    web page, the PDFs and Anki alike); unknown or missing languages stay plain."""
    if not lang:
        return ""
    from pygments import highlight as pygmentize
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        lexer = get_lexer_by_name(lang)
    except ClassNotFound:
        return ""
    return pygmentize(code, lexer, HtmlFormatter(noclasses=True, nowrap=True))


VALIDATOR = make_parser(allow_html=True, keep_escapes=True)
VALIDATOR.validateLink = lambda url: True  # see every link, so unsafe ones are reported, not hidden
RENDERER = make_parser(allow_html=False)  # the source as written (headings, formulas, plain text)
TYPESET = make_parser(allow_html=False, quotes=True)  # what outputs show: typographic quotes in prose
TYPESET.options["highlight"] = highlight
BLOCKS = make_parser(allow_html=False)
BLOCKS.core.ruler.enableOnly(["normalize", "block"])  # block structure only: inline tokens keep their raw text


def headings(markdown: str) -> list[str]:
    """The source text of every heading of a document, in order, as the renderer sees them."""
    tokens = BLOCKS.parse(markdown)
    return [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]


def walk(tokens: list[Token]) -> Iterator[tuple[Token, Token | None]]:
    """Yield (token, enclosing block token) for every token, children included."""
    for token in tokens:
        yield token, None
        for child in token.children or []:
            yield child, token


def walk_lines(tokens: list[Token]) -> Iterator[tuple[Token, Token | None, int]]:
    """Yield (token, enclosing block token, 0-based line in the text) for every token: the
    block's first line plus the line breaks before the token inside its paragraph."""
    for token in tokens:
        line = token.map[0] if token.map else 0
        yield token, None, line
        for child in token.children or []:  # one pass, counting breaks: linear in the tokens
            yield child, token, line
            if token.map and child.type in ("softbreak", "hardbreak"):
                line += 1


def alt_text(image: Token) -> str:
    """An image's alt text as plain text (markup removed, whitespace collapsed)."""
    parts: list[str] = []
    for child in image.children or []:
        if child.type in {"text", "code_inline", "text_special", "math_inline"}:
            parts.append(child.content)
        elif child.type == "image":
            parts.append(alt_text(child))
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return " ".join("".join(parts).split())


def inline_text(markdown: str) -> str:
    """Plain text of one line of inline Markdown, as a heading's rendered text."""
    out: list[str] = []
    for token, _ in walk(RENDERER.parseInline(markdown)):
        if token.type in {"text", "code_inline", "text_special", "math_inline"}:
            out.append(token.content)
        elif token.type == "image":
            out.append(token.content)
    return "".join(out)


def formulas(markdown: str) -> list[tuple[str, bool]]:
    """Every formula of a Markdown text as (TeX, display?), in order."""
    return [(t.content, t.type != "math_inline") for t, _ in walk(RENDERER.parse(markdown))
            if t.type in ("math_inline", "math_block", "math_block_label")]


MathFn = Callable[[str, bool], str]
ImageFn = Callable[[str], str | None]  # an image's src as written -> the URL to use, or None (alt text only)
# A cross-reference's question id -> the HTML before and after the link's text (e.g. an <a> to
# the question); without one, the text stays plain.
XrefFn = Callable[[str], tuple[str, str]]
_PLACEHOLDER = re.compile("\x00([^\x00]*)\x00")  # markdown-it turns NUL into U+FFFD, so content cannot forge one


def _placeholder(*parts: str) -> str:
    return "\x00" + json.dumps(parts) + "\x00"


def _renderer(math: MathFn) -> RendererHTML:
    renderer = RendererHTML(TYPESET)

    def formula(display: bool):
        def rule(tokens: list[Token], idx: int, options, env) -> str:  # noqa: ANN001
            return math(tokens[idx].content, display) + ("\n" if display else "")

        return rule

    def image(tokens: list[Token], idx: int, options, env) -> str:  # noqa: ANN001
        # A placeholder naming the image as written; `render_html` turns it into an <img>
        # after the (image-independent) cache, so a changed image file is never stale.
        token = tokens[idx]
        return _placeholder("img", str(token.attrs.get("src", "")), alt_text(token), str(token.attrs.get("title", "")))

    def link_open(tokens: list[Token], idx: int, options, env) -> str:  # noqa: ANN001
        # A cross-reference `[text](#id)` is a placeholder too, resolved after the cache (the
        # target's title may change); links cannot nest, so its close is the next link_close.
        href = str(tokens[idx].attrs.get("href", ""))
        env["xref"] = href[1:] if href.startswith("#") else None
        return _placeholder("xref-open", env["xref"]) if env["xref"] else renderer.renderToken(tokens, idx, options, env)

    def link_close(tokens: list[Token], idx: int, options, env) -> str:  # noqa: ANN001
        xref, env["xref"] = env.get("xref"), None
        return _placeholder("xref-close", xref) if xref else renderer.renderToken(tokens, idx, options, env)

    renderer.rules["math_inline"] = formula(False)
    renderer.rules["math_block"] = formula(True)
    renderer.rules["math_block_label"] = formula(True)
    renderer.rules["image"] = image
    renderer.rules["link_open"] = link_open
    renderer.rules["link_close"] = link_close
    return renderer


def _fill(html: str, image: ImageFn | None, xref: XrefFn | None) -> str:
    """Replace each image placeholder by an <img> with the URL `image(src)` gives, or by its
    escaped alt text when there is no such image (or no `image` function); and each
    cross-reference's ends by what `xref(id)` gives (nothing without an `xref` function)."""
    def one(match: re.Match[str]) -> str:
        kind, *parts = json.loads(match.group(1))
        if kind != "img":
            return (xref(parts[0])[kind == "xref-close"]) if xref else ""
        src, alt, title = parts
        url = image(src) if image else None
        if not url:
            return escapeHtml(alt)
        title_attr = f' title="{escapeHtml(title)}"' if title else ""
        return f'<img class="figure" src="{escapeHtml(url)}" alt="{escapeHtml(alt)}"{title_attr}>'

    return _PLACEHOLDER.sub(one, html)


def render_html(markdown: str, math: MathFn, memo: str = "", image: ImageFn | None = None,
                xref: XrefFn | None = None) -> str:
    """Render Markdown to HTML; `math(tex, display)` returns the HTML for each formula,
    `image(src)` the URL of each image and `xref(id)` the HTML around each cross-reference's
    text (see `_fill`).

    With `memo` (naming the math flavour and the code version) the result is kept in
    `.cache/html/`, so an unchanged answer is not parsed again in the next build. Images and
    cross-references are put in after the cache: it holds only placeholders, never an image's
    URL or bytes, nor another question's title.
    """
    digest = cache.key("html", memo, markdown) if memo else ""
    if memo and (hit := cache.read("html", digest)) is not None:
        return _fill(hit, image, xref)
    html = _renderer(math).render(TYPESET.parse(markdown), TYPESET.options, {})
    if memo:
        cache.write("html", digest, html)
    return _fill(html, image, xref)


def render_inline_html(markdown: str, math: MathFn, xref: XrefFn | None = None) -> str:
    """Render one line of inline Markdown (a question) to HTML, without a paragraph."""
    return _fill(_renderer(math).render(TYPESET.parseInline(markdown), TYPESET.options, {}), None, xref)
