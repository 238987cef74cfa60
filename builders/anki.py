"""Anki builder: SLUG.apkg with stable ids, per-note modification times and a committed note record."""
from __future__ import annotations

import hashlib
import html
import io
import json
import tempfile
import zipfile
from itertools import count
from pathlib import Path

import genanki

from schema import ANKI_LOCK, Corpus, Question, Section
from schema.markdown import render_html, render_inline_html
from schema.media import media_key, published_media
from schema.models import MAX_MTIME, AnkiLock, Media, NoteRecord, NoteTypeRecord

from .freshness import code_version
from .output import release_time
from .templating import TEMPLATES

NAME = "anki"
LOCK_FILE = ANKI_LOCK  # lives in the content folder, beside the questions
# Public identity of the deck and the note type: never change these numbers.
DECK_ID = 1302156278
MODEL_ID = 2136089416
# The note type's fields are a versioned public interface: renaming, adding, removing or
# reordering them makes Anki create a second note type for existing users. Do not edit;
# a new version needs a new MODEL_ID and a migration note in docs/anki.md.
MODEL_NAME = "studykit Q&A (v1)"
FIELDS = ("Question", "ShortAnswer", "DetailedAnswer", "Sources", "Section", "Level", "Id")


def outputs(slug: str) -> list[tuple[str, str]]:
    """File names this builder writes, with a description for the README."""
    return [(f"{slug}.apkg", "the Anki deck: one note per question, a subdeck per section; re-import to update")]


def anki_math(tex: str, display: bool) -> str:
    """TeX for Anki's built-in MathJax: \\( \\) and \\[ \\], HTML-escaped like any field text."""
    body = html.escape(tex.strip(), quote=False)
    return f"\\[{body}\\]" if display else f"\\({body}\\)"


def note_id_for(slug: str, question_id: str) -> int:
    """A stable note id (also the card id) from the question id only."""
    digest = hashlib.sha256(f"{slug}\x1f{question_id}".encode()).digest()
    return 1_000_000_000_000 + int.from_bytes(digest[:8], "big") % 9_000_000_000_000


def deck_name(corpus: Corpus, section: Section) -> str:
    return f"{corpus.meta.title}::{section.number:02d} {section.title}"


def deck_id_for(corpus: Corpus, section: Section) -> int:
    """Subdeck id derived from the section id (stable), never from its title."""
    digest = hashlib.sha256(f"{corpus.meta.slug}\x1fdeck\x1f{section.id}".encode()).digest()
    return (1 << 30) + int.from_bytes(digest[:6], "big") % (1 << 40)


def media_name(media: Media) -> str:
    """The deck's name for an image file: content-hashed, so an edited image is a new file
    (Anki keeps media by name) and equal images are shared."""
    return f"studykit-{media.sha256[:16]}{media.suffix}"


def note_fields(corpus: Corpus, section: Section, q: Question) -> list[str]:
    sources = "".join(
        f'<li><a href="{html.escape(s.link)}">{html.escape(s.citation)}</a></li>' if s.link
        else f"<li>{html.escape(s.citation)}</li>"
        for s in (corpus.sources[sid] for sid in q.sources)
    )
    memo = f"anki {code_version()}"  # names the cached rendering of Markdown fields for cards

    def image(src: str) -> str | None:
        media = corpus.media.get(media_key(q.file, src))
        return media_name(media) if media else None

    def xref(question_id: str) -> tuple[str, str]:
        """A card has no link to follow: the text stays, followed by the question it refers to."""
        title = render_inline_html(corpus.question(question_id).question, anki_math)
        return '<span class="xref">', f'</span> <span class="xref-target">(→ <i>{title}</i>)</span>'

    return [
        render_inline_html(q.question, anki_math),
        render_html(q.short_answer, anki_math, memo=memo, xref=xref).strip(),
        render_html(q.answer, anki_math, memo=memo, image=image, xref=xref).strip(),
        f"<ul>{sources}</ul>" if sources else "",
        html.escape(f"{section.number}. {section.title}"),
        q.level,
        q.id,
    ]


def note_tags(section: Section, q: Question) -> list[str]:
    return [f"level::{q.level}", f"section::{section.id}", *q.tags]


def fingerprint(fields: list[str], tags: list[str], deck: str) -> str:
    payload = json.dumps({"model": MODEL_NAME, "fields": fields, "tags": tags, "deck": deck}, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class StableNote(genanki.Note):
    """A genanki note with its own id and modification time instead of the package-wide ones."""

    def __init__(self, note_id: int, mtime: int, **kwargs):
        super().__init__(**kwargs)
        self.note_id = note_id
        self.mtime = mtime

    def write_to_db(self, cursor, timestamp, deck_id, id_gen):  # noqa: ANN001 - genanki's signature
        super().write_to_db(cursor, self.mtime, deck_id, count(self.note_id))


class StableModel(genanki.Model):
    """A genanki note type with its own modification time: Anki's importer updates an existing
    note type's templates and CSS only when the incoming one is newer."""

    mtime = 0

    def to_json(self, timestamp: float, deck_id):  # noqa: ANN001, ANN201 - genanki's signature
        return super().to_json(self.mtime, deck_id)


def model(mtime: int = 0) -> StableModel:
    read = lambda name: (TEMPLATES / "anki" / name).read_text(encoding="utf-8")  # noqa: E731
    note_type = StableModel(
        MODEL_ID,
        MODEL_NAME,
        fields=[{"name": name} for name in FIELDS],
        templates=[{"name": "Question → Answer", "qfmt": read("front.html"), "afmt": read("back.html")}],
        css=read("card.css"),
        sort_field_index=0,
    )
    note_type.mtime = mtime
    return note_type


def model_fingerprint() -> str:
    """sha256 of what Anki keeps of the note type: name, fields, templates and CSS."""
    note_type = model()
    payload = [note_type.name, note_type.fields, note_type.templates, note_type.css]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


def plan_notes(corpus: Corpus) -> list[tuple[Section, Question, list[str], list[str], str]]:
    """(section, question, fields, tags, fingerprint) of every published question, in guide order."""
    rows = []
    for section in corpus.sections:
        for q in section.published:
            fields, tags = note_fields(corpus, section, q), note_tags(section, q)
            rows.append((section, q, fields, tags, fingerprint(fields, tags, deck_name(corpus, section))))
    return rows


def later(old: NoteRecord | NoteTypeRecord | None, now: int) -> int:
    """The time of a changed or new record: the release time, always later than the old one."""
    return min(max(now, old.mtime + 1), MAX_MTIME) if old else now


def next_lock(corpus: Corpus, rows: list) -> AnkiLock:
    """Keep each unchanged note's (and the note type's) time; a note changed back to its
    committed content gets its committed record back; changed or new ones get the release
    time (always later)."""
    now = release_time()
    notes = {}
    for _, q, _, _, digest in rows:
        old = corpus.anki_lock.notes.get(q.id)
        committed = corpus.anki_committed.notes.get(q.id) if corpus.anki_committed else None
        if old and old.fingerprint == digest:
            notes[q.id] = old
        elif committed and committed.fingerprint == digest:  # edited, then changed back: as committed
            notes[q.id] = committed
        else:
            notes[q.id] = NoteRecord(fingerprint=digest, mtime=later(old, now))
    old_type, digest = corpus.anki_lock.note_type, model_fingerprint()
    keep = old_type and old_type.fingerprint == digest
    note_type = old_type if keep else NoteTypeRecord(fingerprint=digest, mtime=later(old_type, now))
    return AnkiLock(note_type=note_type, notes=notes)


def stale_lock(corpus: Corpus) -> bool:
    """True when the committed record does not describe the current notes and note type."""
    expected = {q.id: digest for _, q, _, _, digest in plan_notes(corpus)}
    recorded = corpus.anki_lock.note_type.fingerprint if corpus.anki_lock.note_type else None
    return {qid: r.fingerprint for qid, r in corpus.anki_lock.notes.items()} != expected or recorded != model_fingerprint()


def lock_json(lock: AnkiLock) -> bytes:
    data: dict = {"version": lock.version}
    if lock.note_type:
        data["note_type"] = lock.note_type.model_dump()
    data["notes"] = {k: lock.notes[k].model_dump() for k in sorted(lock.notes)}
    return (json.dumps(data, indent=1) + "\n").encode("utf-8")


def normalise_zip(data: bytes) -> bytes:
    """Rewrite the .apkg zip with fixed entry times so identical content gives identical bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in sorted(source.infolist(), key=lambda i: i.filename):
            entry = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()


def render(corpus: Corpus) -> dict[str, bytes]:
    """The deck and the updated note record."""
    rows = plan_notes(corpus)
    lock = next_lock(corpus, rows)
    note_type = model(lock.note_type.mtime if lock.note_type else release_time())
    top = genanki.Deck(DECK_ID, corpus.meta.title, description=html.escape(corpus.meta.description))
    decks = {}
    for section, q, fields, tags, _ in rows:
        if section.id not in decks:
            decks[section.id] = genanki.Deck(deck_id_for(corpus, section), deck_name(corpus, section))
        decks[section.id].add_note(StableNote(
            note_id_for(corpus.meta.slug, q.id), lock.notes[q.id].mtime,
            model=note_type, fields=fields, tags=tags, guid=genanki.guid_for(corpus.meta.slug, q.id),
        ))
    stamp = max([r.mtime for r in lock.notes.values()] + [note_type.mtime])
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for media in published_media(corpus).values():
            files.append(Path(tmp) / media_name(media))
            files[-1].write_bytes(media.data)
        path = Path(tmp) / "deck.apkg"
        package = genanki.Package([top, *decks.values()], media_files=[str(f) for f in sorted(set(files))])
        package.write_to_file(str(path), timestamp=stamp)
        apkg = normalise_zip(path.read_bytes())
    return {f"{corpus.meta.slug}.apkg": apkg, LOCK_FILE: lock_json(lock)}
