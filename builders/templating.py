"""The jinja2 environments for templates/ (Markdown output unescaped, HTML autoescaped)."""
from __future__ import annotations

import re
from pathlib import Path

import jinja2

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|$~])")


def md_text(text: str) -> str:
    """Escape plain text for Markdown, so it renders as itself."""
    return _MD_SPECIAL.sub(r"\\\1", text)


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
    return env


def html_env() -> jinja2.Environment:
    """Environment for HTML templates: autoescape on; rendered Markdown is passed as Markup."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
