"""Exact speed-ups for WeasyPrint 70's SVG images: formula glyph paths drawn from the same numbers in a third of the time, and whole drawings repeated from memory, across renders too (tested: same bytes)."""
from __future__ import annotations

import hashlib
import json
import re
from math import atan2, pi
from pathlib import Path

from weasyprint import images as weasy_images
from weasyprint import svg as weasy_svg

from schema import cache

VERSION = "70.0"  # the WeasyPrint this patch was read against and tested with
ORIGINAL_PATH = weasy_svg.TAGS["path"]
# What ziafont writes for a glyph outline: absolute moves, lines and quadratic curves, closed
# paths, plain decimal numbers. Anything else goes to WeasyPrint's own parser.
_NUMBER = r"-?\d+(?:\.\d+)?"
_SIMPLE = re.compile(rf"\s*(?:[MLQZ]\s*(?:{_NUMBER}\s*)*)*")
_COMMAND = re.compile(r"([MLQZ])([^MLQZ]*)")
_NUMBERS = re.compile(_NUMBER)
_ARITY = {"M": 2, "L": 2, "Q": 4, "Z": 0}
KEEP_PATHS = 10000  # paths remembered per process (about 5 KB each, mostly vertices), then forgotten all at once
_DRAWN: dict[str, tuple[bytes, tuple]] = {}


def _commands(d: str) -> list[tuple[str, list[float]]] | None:
    """The path as (letter, numbers) commands, repeats spelled out (`M x y x y` is a move then a
    line, as SVG says); None where the path is not of the simple kind or has a stray number."""
    if not _SIMPLE.fullmatch(d):
        return None
    commands = []
    for letter, text in _COMMAND.findall(d):
        numbers = [float(n) for n in _NUMBERS.findall(text)]
        arity = _ARITY[letter]
        if not arity:
            if numbers:
                return None
            commands.append((letter, numbers))
            continue
        if not numbers or len(numbers) % arity:
            return None
        for start in range(0, len(numbers), arity):
            commands.append((letter, numbers[start:start + arity]))
            letter = "L" if letter == "M" else letter
    return commands


def _number(x: float) -> str:
    """A float as pydyf writes it (pydyf._to_bytes, without the bytes)."""
    return str(int(x)) if x.is_integer() else f"{x:f}".rstrip("0")


def path(svg, node, font_size) -> None:  # noqa: ANN001 - WeasyPrint's TAGS signature
    """weasyprint.svg.path.path for the simple kind: the same stream operators with the same
    numbers, written straight into the content stream as pydyf writes them, and the same vertices
    (for markers); other paths go to the original. A path drawn before (the same formula again:
    $d_k$ is drawn hundreds of times in a book) repeats what it drew."""
    d = node.get("d", "")
    drawn = _DRAWN.get(d)
    if drawn is None:
        commands = _commands(d)
        if commands is None:
            return ORIGINAL_PATH(svg, node, font_size)
        if len(_DRAWN) >= KEEP_PATHS:
            _DRAWN.clear()
        operators, vertices = _drawn(commands)
        # One item for the whole path: pydyf joins a stream's items with newlines, so the bytes
        # are the same (WeasyPrint's Stream adds nothing to these four operators).
        drawn = _DRAWN[d] = b"\n".join(operators), tuple(vertices)
    svg.stream.stream.append(drawn[0])
    node.vertices.extend(drawn[1])
    return None


def _drawn(commands: list[tuple[str, list[float]]]) -> tuple[list[bytes], list]:
    """The operators and vertices of a path (WeasyPrint's arithmetic, in its order)."""
    operators: list[bytes] = [b"0 0 m"]  # WeasyPrint moves to (0, 0) first
    vertices: list = []
    current = 0, 0
    last = first = None
    for letter, numbers in commands:
        if last in (None, "Z") and letter != "M":
            vertices.append(current)
            first = current
        if last in (None, "M", "Z"):
            first = None
        if letter not in ("M", "Z") and first is None:
            first = current
        if letter == "L":
            x, y = numbers
            old_x, old_y = current
            angle = atan2(y - old_y, x - old_x)
            vertices.append((pi - angle, angle))
            operators.append(f"{_number(x)} {_number(y)} l".encode())
            current = x, y
        elif letter == "M":
            x, y = numbers
            if last and last != "Z":
                vertices.append(None)
            operators.append(f"{_number(x)} {_number(y)} m".encode())
            current = x, y
        elif letter == "Q":
            x1, y1 = current
            x2, y2, x3, y3 = numbers
            points = (x2 * 2 / 3 + x1 / 3, y2 * 2 / 3 + y1 / 3, x2 * 2 / 3 + x3 / 3, y2 * 2 / 3 + y3 / 3, x3, y3)
            operators.append((" ".join(map(_number, points)) + " c").encode())
            vertices.append((0, 0))
            current = x3, y3
        elif first:
            vertices.append(None)
            operators.append(b"h")
            current = first
        if letter != "Z":
            vertices.append(current)
        last = letter
    return operators, vertices


# Whole drawings. An SVG image (a formula) drawn again at the same size, from the same graphics
# state, writes the same operators: they are remembered, for images that touch nothing but the
# content stream (see _plain, _names), and saved to .cache/ so that the next build's renders,
# in other processes, repeat them too (after an edit, nearly every formula was drawn before).
ORIGINAL_IMAGE_DRAW = weasy_images.SVGImage.draw
AREA = "svg-drawings"
KEEP_DRAWINGS = 64 * 2**20  # bytes of operators remembered per process, then forgotten all at once
KEEP_SAVED = 48 * 2**20  # bytes of saved drawings under .cache/svg-drawings/ (all read by each worker), the least recently used go first
_PLAIN_TAGS = {"svg", "g", "path", "rect", "line", "polyline", "polygon", "circle", "ellipse", "title", "desc"}
# Drawing any of these reads the current transformation matrix or adds resources (groups, masks,
# markers, patterns): such an image is always drawn by WeasyPrint.
_UNPLAIN = ("clip", "mask", "filter", "marker", "opacity", "href")  # in attribute names or style; url( in any value
_ALPHA = re.compile(rb"/([aA][0-9.]+) gs")  # WeasyPrint's opacity states, named by their value
Drawing = tuple[tuple[bytes, ...], tuple, tuple[str, ...]]  # (operators, graphics state after, opacity states used)
_DRAWINGS: dict[str, Drawing] = {}
_SIZE = [0]  # bytes in _DRAWINGS
_UNSAVED: dict[str, Drawing] = {}
_SAVING: list[str] = []  # the version drawings are saved under, once remember_saved() was called


def _plain(image) -> bool:  # noqa: ANN001 - a weasyprint.images.SVGImage
    """Whether the image has only shapes and groups, without clips, masks, filters, markers,
    opacity or references (decided once per image; a formula's label may say "mask")."""
    plain = getattr(image, "_studykit_plain", None)
    if plain is None:
        plain = True
        for element in image._svg.tree._etree_node.iter():  # noqa: SLF001
            tag = element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""
            names = " ".join([*element.attrib, element.attrib.get("style", "")]).lower()
            if (tag not in _PLAIN_TAGS or any(word in names for word in _UNPLAIN)
                    or any("url(" in value for value in element.attrib.values())):
                plain = False
                break
        image._studykit_plain = plain
    return plain


def _state(stream) -> tuple:  # noqa: ANN001 - a weasyprint.pdf.stream.Stream
    """The colours and opacities the stream has set, which decide which operators a drawing
    writes (WeasyPrint skips setting them again) and which a drawing leaves behind."""
    return (stream._current_color, stream._current_color_stroke,  # noqa: SLF001
            stream._current_alpha, stream._current_alpha_stroke)  # noqa: SLF001


def _set_state(stream, state: tuple) -> None:  # noqa: ANN001
    (stream._current_color, stream._current_color_stroke,  # noqa: SLF001
     stream._current_alpha, stream._current_alpha_stroke) = state  # noqa: SLF001
    stream._current_font = None  # noqa: SLF001 - as the drawing's last pop_state left it (see image_draw)


def _resources(stream) -> tuple:  # noqa: ANN001
    """What a drawing must leave as it was to be repeated from its operators alone."""
    found = stream._resources  # noqa: SLF001
    return (*(len(found[kind]) for kind in ("ExtGState", "XObject", "Pattern", "Shading")),
            len(stream._fonts), len(stream._images), len(stream._ctm_stack), stream.ctm.values)  # noqa: SLF001


def _names(operators: list) -> tuple[str, ...] | None:
    """The opacity states the operators use (resources named by their value, so any document
    that has one has the same), None if they use any other resource."""
    names = set()
    for operator in operators:
        if not isinstance(operator, bytes):
            return None
        if b"/" in operator:
            match = _ALPHA.fullmatch(operator)
            if match is None:
                return None
            names.add(match.group(1).decode("ascii"))
    return tuple(sorted(names))


def image_draw(self, stream, concrete_width, concrete_height, style) -> None:  # noqa: ANN001 - WeasyPrint's signature
    """weasyprint.images.SVGImage.draw, repeating a plain image's operators when it was drawn
    before at this size from this graphics state (and its opacity states are in this document)."""
    if not _plain(self):
        return ORIGINAL_IMAGE_DRAW(self, stream, concrete_width, concrete_height, style)
    digest = getattr(self, "_studykit_digest", None)
    if digest is None:  # the image's URL: a data: URI holding the SVG
        digest = self._studykit_digest = hashlib.sha256(self._base_url.encode("utf-8")).hexdigest()
    key = repr((digest, concrete_width, concrete_height, _state(stream)))
    drawn = _DRAWINGS.get(key)
    if drawn is not None and all(name in stream._resources["ExtGState"] for name in drawn[2]):  # noqa: SLF001
        stream.stream.extend(drawn[0])
        _set_state(stream, drawn[1])
        return None
    start, before = len(stream.stream), _resources(stream)
    try:  # as WeasyPrint's SVGImage.draw
        self._svg.draw(stream, concrete_width, concrete_height, self._base_url, self._context)
    except BaseException as exception:  # noqa: BLE001 - WeasyPrint logs and goes on
        weasy_images.LOGGER.error("Failed to render SVG image %s", self._base_url)
        weasy_images.LOGGER.debug("Error while rendering SVG image:", exc_info=exception)
        return None
    operators = stream.stream[start:]
    names = _names(operators)
    # A plain drawing sets no font and ends with pop_state, which forgets the current font.
    if names is not None and _resources(stream) == before and stream._current_font is None:  # noqa: SLF001
        _remember(key, (tuple(operators), _state(stream), names), new=True)
    return None


def _remember(key: str, drawing: Drawing, new: bool) -> None:
    if _SIZE[0] >= KEEP_DRAWINGS:
        _DRAWINGS.clear()
        _SIZE[0] = 0
    _DRAWINGS[key] = drawing
    _SIZE[0] += sum(map(len, drawing[0]))
    if new and _SAVING:
        _UNSAVED[key] = drawing


def drawing_version() -> str:
    """What saved drawings are valid for: this module's code, WeasyPrint's and pydyf's versions."""
    return cache.key(Path(__file__).read_text(encoding="utf-8"), cache.installed_versions("weasyprint", "pydyf"))


def remember_saved(version: str) -> None:
    """Remember the drawings saved by earlier renders with `version` (drawing_version), and save
    this process's new ones under it from now on (see save)."""
    _SAVING[:] = [version]
    for digest in cache.entries(AREA, _prefix(version)):
        data = cache.read_bytes(AREA, digest)
        try:
            for key, (operators, state, names) in json.loads(data or b"{}").items():
                state = tuple(tuple(item) if isinstance(item, list) else item for item in state)
                _remember(key, (tuple(op.encode("latin-1") for op in operators), state, tuple(names)), new=False)
        except (ValueError, TypeError, AttributeError, UnicodeError):
            continue  # a damaged entry is not used


def save() -> None:
    """Save the drawings made since the last save, as one entry (best effort), and keep the
    saved ones under KEEP_SAVED."""
    if not _SAVING or not _UNSAVED:
        return
    data = json.dumps({key: [[op.decode("latin-1") for op in operators], state, names]
                       for key, (operators, state, names) in _UNSAVED.items()}, sort_keys=True)
    _UNSAVED.clear()
    cache.write(AREA, _prefix(_SAVING[0]) + cache.key(data), data)
    cache.prune(AREA, KEEP_SAVED)


def _prefix(version: str) -> str:
    return version[:16] + "-"


def forget() -> None:
    """Forget every remembered path and drawing, and stop saving (for measurements and tests)."""
    _DRAWN.clear()
    _DRAWINGS.clear()
    _UNSAVED.clear()
    _SAVING.clear()
    _SIZE[0] = 0


def install() -> bool:
    """Use the fast paths if WeasyPrint is the version they were made for; else leave it alone."""
    if cache.installed_versions("weasyprint") != f"weasyprint={VERSION}":
        return False
    weasy_svg.TAGS["path"] = path
    weasy_images.SVGImage.draw = image_draw
    return True


def uninstall() -> None:
    """Back to WeasyPrint as shipped (used by the tests that compare the two)."""
    weasy_svg.TAGS["path"] = ORIGINAL_PATH
    weasy_images.SVGImage.draw = ORIGINAL_IMAGE_DRAW
