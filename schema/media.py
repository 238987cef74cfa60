"""Images in detailed answers: resolving their paths, reading and checking their files, rewriting paths."""
from __future__ import annotations

import hashlib
import posixpath
import re
import stat
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree

from .errors import Problem
from .limits import MAX_IMAGE_BYTES, Refused, read_bounded
from .markdown import VALIDATOR, alt_text, walk_lines
from .models import Corpus, Media, Question

MEDIA_DIR = "media"  # the conventional top-level folder for images
SUFFIXES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".svg": "image/svg+xml"}
NAMES = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF", "image/svg+xml": "SVG"}
# A path as written in `![alt](path)`: relative, plain characters only, so it means the same
# file in every Markdown tool and on GitHub (no spaces, escapes, %-encoding, ? or #).
SAFE_SRC = re.compile(r"^(?!/)[A-Za-z0-9._/-]+$")
REMOTE = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*:|//)")
_SVG_ROOT = re.compile(r"<svg[\s>/]")
_AFTER_CLOSE = re.compile(r"[zZ]([^achlmqstvzACHLMQSTVZ]*)")  # a Z and what follows it up to the next path command
_SVG_EXTERNAL = re.compile(  # what an SVG could load: <image>/<use>/<feImage> hrefs, CSS url(...) and @import
    r"<(?:\w+:)?(?:image|use|feImage)\b[^>]*?\bhref\s*=\s*[\"']\s*(?!#|data:)([^\"']*)"
    r"|url\(\s*[\"']?\s*(?!#|data:)([^)\"']*)|@import\s*(?:url\()?[\"']?([^\"');\s]*)", re.IGNORECASE)


def _closed_with_numbers(data: bytes) -> str:
    """The first path data (`d`, any element) with something other than separators between a Z and
    the next command, where WeasyPrint 70's path parser loops for ever (its Z takes nothing and
    hands the rest back to itself); "" when there is none or the SVG does not parse."""
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError:
        return ""
    for element in root.iter():
        path = element.get("d") or ""
        for match in _AFTER_CLOSE.finditer(path):
            if match.group(1).strip(" \t\n\r,"):
                return path[max(0, match.start() - 20):match.end()][:60]
    return ""


def media_key(question_file: str, src: str) -> str:
    """The key in `Corpus.media` of an image: its path relative to the content folder, from the
    question file's path (relative to the content folder) and the image path as written in it."""
    return posixpath.normpath(posixpath.join(posixpath.dirname(question_file), src))


def image_refs(markdown: str) -> list[tuple[str, str, int]]:
    """(src as written, alt text, 0-based line) of every image of a Markdown text, in order."""
    if "![" not in markdown:  # every image starts with a literal `![`
        return []
    return [(str(t.attrs.get("src", "")), alt_text(t), line)
            for t, _, line in walk_lines(VALIDATOR.parse(markdown)) if t.type == "image"]


def rewrite_images(markdown: str, new_src: Callable[[str], str]) -> str:
    """The Markdown with each image path replaced by `new_src(path)`, in inline images and in
    reference definitions; everything else is left byte for byte. (`check` verifies, per
    answer, that this touches exactly the images, so builders can rely on it.)"""
    srcs = sorted({src for src, _, _ in image_refs(markdown) if SAFE_SRC.match(src)}, key=len, reverse=True)
    if not srcs:
        return markdown
    pattern = re.compile(r"(\]\([ \t]*\n?[ \t]*<?|^[ \t]{0,3}\[[^\]\n]+\]:[ \t]*\n?[ \t]*<?)(" + "|".join(map(re.escape, srcs)) + r")(?=[\s)>]|$)",
                         re.MULTILINE)
    return pattern.sub(lambda m: m.group(1) + new_src(m.group(2)), markdown)


def rewrite_is_exact(markdown: str) -> bool:
    """True when `rewrite_images` changes the images' paths and nothing else in this text."""
    def shape(text: str, change: Callable[[str], str]) -> list[tuple[str, str]]:
        return [(t.type, change(str(t.attrs.get("src", ""))) if t.type == "image" else (t.content if t.type != "inline" else ""))
                for t, _, _ in walk_lines(VALIDATOR.parse(text))]

    moved = lambda src: "moved/" + src if SAFE_SRC.match(src) else src  # noqa: E731
    return shape(rewrite_images(markdown, moved), lambda src: src) == shape(markdown, moved)


def sniff(data: bytes) -> str | None:
    """The image type by the file's bytes: magic numbers, or an `<svg` root element."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        return None
    return "image/svg+xml" if _svg_root(text) else None


def _svg_root(text: str) -> bool:
    """True when the first element, after the XML declaration, comments and a DOCTYPE, is <svg>."""
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if text.startswith("<?", pos):
            end = text.find("?>", pos)
            pos = end + 2
        elif text.startswith("<!--", pos):
            end = text.find("-->", pos + 4)
            pos = end + 3
        elif text.startswith("<!DOCTYPE", pos):
            close, subset = text.find(">", pos), text.find("[", pos)
            if 0 <= subset < close:  # an internal subset may hold '>' of its own
                close = text.find(">", text.find("]", subset))
            end, pos = close, close + 1
        else:
            return bool(_SVG_ROOT.match(text, pos))
        if end < 0:
            return False


def file_problem(path: Path, root: Path, key: str) -> tuple[Media | None, str]:
    """Read and check one image file: (the Media, "") or (None, what is wrong and the remedy)."""
    if key == ".." or key.startswith("../") or key.startswith("/"):
        return None, f"{key} is outside the content folder: keep images inside it, e.g. in {MEDIA_DIR}/"
    if any(part.startswith(".") for part in key.split("/")):
        return None, f"{key} is hidden (a name starting with '.'): builds ignore such files; move it into {MEDIA_DIR}/"
    suffix = posixpath.splitext(key)[1].lower()
    if suffix not in SUFFIXES:
        return None, f"{key}: unsupported image type {suffix or '(no extension)'!r}; use PNG, JPEG, GIF or SVG"
    try:
        if not path.resolve().is_relative_to(root.resolve()):
            return None, f"{key} resolves outside the content folder (a symlink?); copy the file into {MEDIA_DIR}/"
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            return None, f"{key} is not a regular file; put the image file itself in {MEDIA_DIR}/"
        if info.st_size > MAX_IMAGE_BYTES:
            return None, f"{key} is {info.st_size} bytes (limit {MAX_IMAGE_BYTES}, 5 MB); shrink or compress it"
        data = read_bounded(path, root, MAX_IMAGE_BYTES)  # checks again on the open file
    except Refused as exc:
        return None, f"{key}: {exc}"
    except FileNotFoundError:
        return None, f"image not found: {key} (the path is relative to the question file, e.g. ../{MEDIA_DIR}/NAME.png)"
    except OSError as exc:
        return None, f"cannot read {key}: {exc.strerror or exc}"
    mime = sniff(data)
    if mime is None:
        return None, f"{key} is not a PNG, JPEG, GIF or SVG file (judged by its contents); export it as one of those"
    if mime != SUFFIXES[suffix]:
        return None, f"{key} is a {NAMES[mime]} file but named {suffix}; rename it to {next(s for s, m in SUFFIXES.items() if m == mime)}"
    if mime == "image/svg+xml":
        if b"<!ENTITY" in data:
            return None, f"{key}: SVG declares XML entities (<!ENTITY); remove them"
        if external := _SVG_EXTERNAL.search(data.decode("utf-8")):
            target = next(group for group in external.groups() if group is not None)
            return None, f"{key}: SVG loads another file or URL ({target[:60]!r}); builds load nothing, so embed it or remove it"
        if closed := _closed_with_numbers(data):
            return None, (f"{key}: SVG path data has something after a Z (close path), which takes no numbers: "
                          f"{closed!r}; remove it (WeasyPrint would never finish drawing this path)")
    return Media(data=data, sha256=hashlib.sha256(data).hexdigest(), mime=mime), ""


class MediaReader:
    """Checks the image files of each answer as questions are loaded; reads each file once."""

    def __init__(self, root: Path):
        self.root = root
        self.files: dict[str, Media] = {}
        self.failed: dict[str, str] = {}

    @property
    def total_bytes(self) -> int:
        return sum(len(m.data) for m in self.files.values())

    def check(self, question: Question, shown: str, first_line: int) -> list[Problem]:
        """Problems with the files of the answer's images (the text itself is checked by
        checks.markdown_problems: remote images, odd paths, empty alt text)."""
        problems = []
        for src, _, line in image_refs(question.answer):
            if not SAFE_SRC.match(src):
                continue
            key = media_key(question.file, src)
            if key not in self.files and key not in self.failed:
                media, message = file_problem(self.root / key, self.root, key)
                if media is None:
                    self.failed[key] = message
                else:
                    self.files[key] = media
            if key in self.failed:
                problems.append(Problem(shown, first_line + line, "answer", self.failed[key]))
        return problems


def published_media(corpus: Corpus) -> dict[str, Media]:
    """The images that published answers show, by key, in guide order."""
    used = {}
    for q in corpus.published:
        for src, _, _ in image_refs(q.answer):
            key = media_key(q.file, src)
            if key in corpus.media:
                used[key] = corpus.media[key]
    return used
