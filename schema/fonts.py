"""The fonts the PDFs draw with (one list, shared with the CSS) and the characters they cover."""
from __future__ import annotations

import base64
import bisect
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path

from . import cache
from .errors import Problem


@dataclass(frozen=True)
class Font:
    """A font family the PDFs use and the package that installs it (a documented prerequisite)."""

    family: str
    debian: str
    fedora: str
    macos: str  # a Homebrew cask


EMOJI = "Noto Color Emoji"
CJK = "Noto Sans CJK SC"  # Chinese, Japanese and Korean text, common in imported guides
PRINT_FONTS: tuple[Font, ...] = (
    Font("DejaVu Serif", "fonts-dejavu-core", "dejavu-serif-fonts", "font-dejavu"),
    Font("DejaVu Sans", "fonts-dejavu-core", "dejavu-sans-fonts", "font-dejavu"),
    Font("DejaVu Sans Mono", "fonts-dejavu-core", "dejavu-sans-mono-fonts", "font-dejavu"),
    Font(CJK, "fonts-noto-cjk", "google-noto-sans-cjk-fonts", "font-noto-sans-cjk"),
    Font(EMOJI, "fonts-noto-color-emoji", "google-noto-color-emoji-fonts", "font-noto-color-emoji"),
)
# Fonts bundled in the repository (open licence, beside them) for the PDFs' body text: STIX Two
# Text, designed with STIX Two Math, which ziamath draws every formula with. Loaded by @font-face
# rules with data: URIs (the PDFs' URL fetcher reads nothing else), so no install is needed.
# In a checkout: templates/fonts/; in an installed wheel the layouts live in builders/templates/.
_TOP = Path(__file__).resolve().parent.parent
BUNDLED_DIR = next((d for d in (_TOP / "templates" / "fonts", _TOP / "builders" / "templates" / "fonts") if d.is_dir()),
                   _TOP / "templates" / "fonts")
TEXT_FONT = "STIX Two Text"
BUNDLED: tuple[tuple[str, int, str], ...] = tuple(  # (file, weight, style)
    (f"STIXTwoText-{weight}-{style}.woff2", weight, style) for weight in (400, 700) for style in ("normal", "italic"))
# The CSS font stacks (`var(--font-serif)` etc. in templates/html/*.css): the print font first,
# then what a browser without it may have, DejaVu Sans for symbols the others lack (text glyphs
# before colour emoji), then the emoji font, then the generic family.
STACKS: dict[str, tuple[str, ...]] = {
    "serif": ("DejaVu Serif", "Georgia", "Times New Roman", "DejaVu Sans", CJK, EMOJI, "serif"),
    "sans": ("DejaVu Sans", "Helvetica Neue", "Arial", CJK, EMOJI, "sans-serif"),
    "mono": ("DejaVu Sans Mono", "Menlo", "Consolas", "DejaVu Sans", CJK, EMOJI, "monospace"),
}
GENERIC = {"serif", "sans-serif", "monospace"}
MATH_FONT = "STIX Two Math"  # ziamath draws every formula with its bundled copy
# Default-ignorable code points (Unicode DerivedCoreProperties): drawn as nothing, never missing.
IGNORABLE = ((0xAD, 0xAD), (0x34F, 0x34F), (0x61C, 0x61C), (0x115F, 0x1160), (0x17B4, 0x17B5),
             (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
             (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3),
             (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF))
NON_ASCII = re.compile(r"[^\x00-\x7f]")


def css_variables(emoji: bool = True, bundled: bool = False) -> str:
    """The stacks as CSS custom properties, prepended to the page CSS.

    The PDFs get them without the emoji font (`emoji=False`): fontconfig gives a pattern naming
    an emoji family the language und-zsye and prefers colour fonts for ALL of it, so digits,
    `#` and `*`, which the emoji font also has, would come out in it. Emoji reach the emoji font
    through fontconfig's fallback instead, which picks a colour emoji font for them.
    `bundled` (the PDFs) puts the bundled text font first in the serif stack.
    """
    def stack(families: tuple[str, ...]) -> str:
        return ", ".join(f if f in GENERIC else f'"{f}"' for f in families if emoji or f != EMOJI)

    stacks = {**STACKS, "serif": (TEXT_FONT, *STACKS["serif"])} if bundled else STACKS
    return ":root {\n" + "".join(f"  --font-{name}: {stack(fams)};\n" for name, fams in stacks.items()) + "}\n"


@lru_cache(maxsize=1)
def font_faces() -> str:
    """@font-face rules for the bundled fonts, each file as a data: URI of the TrueType font."""
    rules = []
    for file, weight, style in BUNDLED:
        data = base64.b64encode(truetype(BUNDLED_DIR / file)).decode("ascii")
        rules.append(f'@font-face {{ font-family: "{TEXT_FONT}"; font-weight: {weight}; font-style: {style}; '
                     f'src: url("data:font/ttf;base64,{data}") format("truetype"); }}\n')
    return "".join(rules)


def truetype(woff2_file: Path) -> bytes:
    """A WOFF2 font decompressed, as WeasyPrint would do for every document (0.6 s a font);
    remembered in .cache/fonts/ by the file's bytes and the fontTools version."""
    packed = woff2_file.read_bytes()
    digest = cache.key("woff2", hashlib.sha256(packed).hexdigest(), cache.installed_versions("fonttools"))
    font = cache.read_bytes("fonts", digest)
    if font is None:
        from io import BytesIO

        from fontTools.ttLib import woff2  # a WeasyPrint dependency

        out = BytesIO()
        woff2.decompress(BytesIO(packed), out)
        font = out.getvalue()
        cache.write("fonts", digest, font)
    return font


def install_hint(fonts: tuple[Font, ...]) -> str:
    """How to install fonts on Debian/Ubuntu, Fedora and macOS."""
    def names(attr: str) -> str:
        return " ".join(dict.fromkeys(getattr(f, attr) for f in fonts))

    return (f"Debian/Ubuntu: `apt-get install {names('debian')}`; Fedora: `dnf install {names('fedora')}`; "
            f"macOS: `brew install --cask {names('macos')}`")


# -- where the fonts are, and their cmaps (cached on disk by file and mtime) --------------------
Ranges = tuple[tuple[int, int], ...]


def installed_files(fonts: tuple[Font, ...]) -> tuple[dict[str, list[tuple[str, int]]], bool]:
    """({family: [(file, face index)]} of the fonts that are installed, fontconfig found?)."""
    exe = shutil.which("fc-list")
    found: dict[str, list[tuple[str, int]]] = {}
    if exe is None:
        return found, False
    try:
        listing = subprocess.run([exe, "--format", "%{family}\t%{file}\t%{index}\n"], capture_output=True,
                                 text=True, timeout=60, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return found, False
    wanted = {f.family.casefold(): f.family for f in fonts}
    for row in listing.splitlines():
        families, _, rest = row.partition("\t")
        file, _, index = rest.partition("\t")
        for name in families.split(","):
            family = wanted.get(name.strip().casefold())
            if family and file:
                found.setdefault(family, []).append((file, int(index or 0)))
    return {family: sorted(set(files)) for family, files in found.items()}, True


def math_font_file() -> str | None:
    """ziamath's bundled STIX Two Math (found without importing ziamath)."""
    spec = find_spec("ziamath")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "fonts" / "STIXTwoMath-Regular.ttf"
        if path.is_file():
            return str(path)
    return None


def _cmap_ranges(files: list[tuple[str, int]]) -> Ranges:
    """The code points some of these fonts map to a glyph, as (first, last) ranges."""
    from fontTools.ttLib import TTFont  # a WeasyPrint dependency; loaded only on a cache miss

    points: set[int] = set()
    for file, index in files:
        try:
            with TTFont(file, fontNumber=index, lazy=True) as font:
                for table in font["cmap"].tables:
                    if table.isUnicode():
                        points.update(table.cmap)
        except Exception:  # noqa: BLE001 - an unreadable font file covers nothing
            continue
    ranges: list[tuple[int, int]] = []
    for point in sorted(points):
        if ranges and ranges[-1][1] == point - 1:
            ranges[-1] = (ranges[-1][0], point)
        else:
            ranges.append((point, point))
    return tuple(ranges)


def _stamp(files: list[tuple[str, int]]) -> str:
    parts = []
    for file, index in files:
        try:
            info = os.stat(file)
            parts.append(f"{file}#{index}:{info.st_mtime_ns}:{info.st_size}")
        except OSError:
            parts.append(f"{file}#{index}:gone")
    return "\n".join(parts)


def _cached_ranges(kind: str, files: list[tuple[str, int]]) -> tuple[Ranges, str]:
    """(ranges, key): read from .cache/fonts/ when these files (and their mtimes) were read before."""
    digest = cache.key("cmap", kind, _stamp(files))
    hit = cache.read("fonts", digest)
    if hit is not None:
        return tuple((a, b) for a, b in json.loads(hit)), digest
    ranges = _cmap_ranges(files)
    cache.write("fonts", digest, json.dumps(ranges))
    return ranges, digest


class Coverage:
    """Which characters print: in text (any print font) and inside formulas (the math font)."""

    def __init__(self, text: Ranges, math: Ranges | None, missing: tuple[Font, ...], fontconfig: bool, digest: str):
        self.text, self.math, self.missing, self.fontconfig, self.digest = text, math, missing, fontconfig, digest
        self._text = ([a for a, _ in text], [b for _, b in text])
        self._math = ([a for a, _ in math or ()], [b for _, b in math or ()])

    @staticmethod
    def _within(table: tuple[list[int], list[int]], point: int) -> bool:
        i = bisect.bisect_right(table[0], point) - 1
        return i >= 0 and point <= table[1][i]

    def prints(self, char: str, in_formula: bool = False) -> bool:
        point = ord(char)
        if point < 0x80 or any(a <= point <= b for a, b in IGNORABLE):
            return True
        if in_formula:
            return self.math is None or self._within(self._math, point)  # no math font found: not checked
        return self._within(self._text, point)


def coverage(fonts: tuple[Font, ...] | None = None) -> Coverage:
    """The coverage of the print fonts installed here (fontconfig) and of the math font."""
    fonts = PRINT_FONTS if fonts is None else fonts
    found, fontconfig = installed_files(fonts)
    bundled = [(str(BUNDLED_DIR / file), 0) for file, _, _ in BUNDLED]
    text, text_key = _cached_ranges("text", sorted(f for files in found.values() for f in files) + bundled)
    math_file = math_font_file()
    math, math_key = _cached_ranges("math", [(math_file, 0)]) if math_file else (None, "")
    missing = tuple(f for f in fonts if f.family not in found)
    return Coverage(text, math, missing, fontconfig, cache.key(text_key, math_key, *(f.family for f in missing)))


# -- problems ---------------------------------------------------------------------------------
def describe(char: str) -> str:
    name = unicodedata.name(char, "") or f"<{unicodedata.category(char)}>"
    shown = f" ({char})" if char.isprintable() and not unicodedata.combining(char) else ""
    return f"U+{ord(char):04X} {name}{shown}"


def glyph_problems(text: str, path: str, field: str, first_line: int, cov: Coverage, markdown: bool = False) -> list[Problem]:
    """A problem for each character of `text` that no PDF font draws (inside formulas: that the
    math font does not draw), on each line where it occurs; `markdown` fields may hold formulas."""
    if text.isascii():
        return []
    formula_text = ""
    if markdown and "$" in text:
        from .markdown import formulas

        formula_text = "\n".join(tex for tex, _ in formulas(text))
    fonts = ", ".join([TEXT_FONT] + [f.family for f in PRINT_FONTS])
    problems: list[Problem] = []
    for char in sorted(set(NON_ASCII.findall(text))):
        in_formulas = formula_text.count(char)
        if text.count(char) > in_formulas and not cov.prints(char):
            message = f"{describe(char)} cannot be printed: no PDF font has it ({fonts}); replace it or leave it out"
            lines = sorted({text.count("\n", 0, m.start()) for m in re.finditer(re.escape(char), text)})
            problems += [Problem(path, first_line + line, field, message) for line in lines]
        if in_formulas and not cov.prints(char, in_formula=True):
            message = (f"{describe(char)} inside a formula cannot be printed: the math font ({MATH_FONT}) has no "
                       "glyph for it; write it as a TeX command or move it out of the formula")
            line = text.count("\n", 0, _formula_position(text, formula_text, char))
            problems.append(Problem(path, first_line + line, field, message))
    return sorted(problems)


def _formula_position(text: str, formula_text: str, char: str) -> int:
    """Where the first formula holding `char` is in `text` (its line holding the character)."""
    line = next(ln for ln in formula_text.splitlines() if char in ln).strip()
    found = text.find(line)
    return found if found >= 0 else text.find(char)


def missing_fonts_problem(problems: list[Problem], cov: Coverage) -> Problem:
    """One problem instead of one per character when print fonts are not installed here."""
    first = problems[0]
    families = ", ".join(f.family for f in cov.missing)
    what = "fontconfig (fc-list) is not installed, so no font can be found" if not cov.fontconfig else \
        f"the PDF font{'s' if len(cov.missing) > 1 else ''} {families} {'are' if len(cov.missing) > 1 else 'is'} not installed"
    others = f" and {len(problems) - 1} more" if len(problems) > 1 else ""
    message = (f"{first.message.split(' cannot', 1)[0]}{others} may not print: {what}. Install "
               f"{install_hint(cov.missing)}, then run `studykit check` again")
    return Problem(first.path, first.line, first.field, message)


def main() -> int:
    """`python -m schema.fonts` (run by `make`): exit 1 naming the packages of missing PDF fonts."""
    found, fontconfig = installed_files(PRINT_FONTS)
    missing = tuple(f for f in PRINT_FONTS if f.family not in found)
    if missing:
        what = "fontconfig (fc-list) and " if not fontconfig else ""
        print(f"The PDFs need {what}the fonts {', '.join(f.family for f in missing)}: install them "
              f"({install_hint(missing)})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
