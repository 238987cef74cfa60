"""The output formats `studykit build` knows, in build order (builder modules load on first use)."""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from importlib import import_module
from types import ModuleType

MODULES = {"readme": "readme", "json": "json_export", "html": "html", "pdf": "pdf", "anki": "anki"}


class _Registry(Mapping[str, ModuleType]):
    """name -> builder module; importing a builder (WeasyPrint, genanki) waits until it is used."""

    def __getitem__(self, name: str) -> ModuleType:
        return import_module(f"builders.{MODULES[name]}")

    def __contains__(self, name: object) -> bool:
        return name in MODULES

    def __iter__(self) -> Iterator[str]:
        return iter(MODULES)

    def __len__(self) -> int:
        return len(MODULES)


FORMATS: Mapping[str, ModuleType] = _Registry()
PREREQUISITES = ""


def describe_outputs(slug: str) -> list[tuple[str, str]]:
    """(path, description) of every output, for the README's Quick start."""
    rows = []
    for name, module in FORMATS.items():
        for file_name, description in module.outputs(slug):
            rows.append((file_name if name == "readme" else f"output/{file_name}", description))
    return rows
