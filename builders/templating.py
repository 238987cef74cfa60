"""The jinja2 environments for templates/ (Markdown output unescaped, HTML autoescaped)."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import jinja2

_HERE = Path(__file__).resolve().parent
# In a checkout the layouts are the top-level templates/; an installed wheel carries them as builders/templates/.
TEMPLATES = _HERE / "templates" if (_HERE / "templates").is_dir() else _HERE.parent / "templates"
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|$~]|&(?=#?\w+;))")  # markup anywhere in a line; `&` only as an entity
_MD_LEAD = re.compile(r"^(\d+(?=[.)])|(?=[-+=]))")  # a list item or setext underline, at the start of a line


def md_text(text: str) -> str:
    """Plain text as Markdown that renders as itself, on one line: every character that is
    markup (`*`, `_`, backticks, `[`, `<`, `&`, `$`, ...) escaped with a backslash, a leading
    list marker escaped, and line breaks folded into spaces, so it can open no block and pair
    with nothing before or after it."""
    text = _MD_SPECIAL.sub(r"\\\1", re.sub(r"[ \t]*[\r\n][\s]*", " ", text))
    return _MD_LEAD.sub(r"\1\\", text)


def md_url(url: str) -> str:
    """A URL as a Markdown link destination that cannot end early or carry markup
    (`schema.models.safe_url`: everything outside a conservative RFC 3986 set %-encoded)."""
    from schema.models import safe_url

    return safe_url(url)


def md_inline(markdown: str) -> str:
    """Validated inline Markdown (a question) written again so it is self-contained: text
    escaped with `md_text`'s rule, each code span closed by its own fence, emphasis and
    strikethrough re-emitted; anything else (a link, an image, raw HTML, math) becomes
    escaped text. Fragments joined on one line (a Related line) cannot pair with each other.
    Quotes in its text are typographic, as every output shows them."""
    from schema.markdown import TYPESET

    out: list[str] = []
    marks = {"em": "*", "strong": "**", "s": "~~"}
    for token in TYPESET.parseInline(markdown)[0].children or []:
        kind = token.type
        if kind.endswith(("_open", "_close")) and kind.rsplit("_", 1)[0] in marks:
            out.append(marks[kind.rsplit("_", 1)[0]])
        elif kind == "code_inline":
            fence = "`" * (max((len(r) for r in re.findall("`+", token.content)), default=0) + 1)
            pad = " " if token.content.startswith(("`", " ")) or token.content.endswith(("`", " ")) else ""
            out.append(f"{fence}{pad}{token.content}{pad}{fence}")
        elif kind in ("softbreak", "hardbreak"):
            out.append(" ")
        elif kind in ("text", "text_special", "html_inline"):
            out.append(md_text(token.content))
        elif kind in ("math_inline", "image"):
            out.append(md_text(token.markup + token.content + token.markup if kind == "math_inline" else token.content))
    return "".join(out)


def markdown_env() -> jinja2.Environment:
    """Environment for Markdown templates: no HTML escaping, strict undefined."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md_text"] = md_text
    env.filters["md_url"] = md_url
    return env


@lru_cache(maxsize=1)
def html_env() -> jinja2.Environment:
    """Environment for HTML templates: autoescape on; rendered Markdown is passed as Markup.
    One per process, so each template is compiled once (the handout renders one per part)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
