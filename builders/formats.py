"""The output formats `studykit build` knows, in build order."""
from __future__ import annotations

from types import ModuleType

from . import anki, html, json_export, pdf, readme

FORMATS: dict[str, ModuleType] = {
    "readme": readme, "json": json_export, "html": html, "pdf": pdf, "anki": anki,
}
PREREQUISITES = ""


def describe_outputs(slug: str) -> list[tuple[str, str]]:
    """(path, description) of every output, for the README's Quick start."""
    rows = []
    for name, module in FORMATS.items():
        for file_name, description in module.outputs(slug):
            rows.append((file_name if name == "readme" else f"output/{file_name}", description))
    return rows
