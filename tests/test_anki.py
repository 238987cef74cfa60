"""The .apkg through the real Anki backend: import, update in place, history and tags kept, stable ids."""
from __future__ import annotations

import shutil
import sqlite3
import zipfile
from pathlib import Path

import pytest
from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

from builders import anki as anki_builder
from builders.cli import main
from schema import load_corpus

from .conftest import CONTENT


def build(content: Path, out: Path, epoch: int, monkeypatch) -> Path:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(epoch))
    assert main(["build", "anki", "--content", str(content), "--out", str(out)]) == 0
    return next(out.glob("*.apkg"))


def import_deck(col: Collection, apkg: Path):
    """Import with Anki's default options (update notes and note types 'if newer')."""
    request = ImportAnkiPackageRequest(package_path=str(apkg), options=ImportAnkiPackageOptions())
    return col.import_anki_package(request).log


@pytest.fixture
def collection(tmp_path):
    (tmp_path / "collection").mkdir()
    col = Collection(str(tmp_path / "collection" / "collection.anki2"))
    yield col
    col.close()


def notes_table(apkg: Path, tmp_path: Path) -> list[tuple]:
    with zipfile.ZipFile(apkg) as archive:
        db = tmp_path / f"{apkg.stem}-{len(list(tmp_path.iterdir()))}.anki2"
        db.write_bytes(archive.read("collection.anki2"))
    with sqlite3.connect(db) as con:
        return con.execute("select id, guid, mid, mod, tags, flds, sfld from notes order by id").fetchall()


def test_guide_imports_with_every_field_filled(collection, tmp_path, monkeypatch):
    corpus = load_corpus(CONTENT)
    content = tmp_path / "content"
    import shutil

    shutil.copytree(CONTENT, content)
    apkg = build(content, tmp_path / "out", 1_700_000_000, monkeypatch)
    log = import_deck(collection, apkg)
    assert len(log.new) == len(corpus.published) and collection.note_count() == len(corpus.published)
    names = {d.name for d in collection.decks.all_names_and_ids()}
    for section in corpus.sections:
        assert f"{corpus.meta.title}::{section.number:02d} {section.title}" in names
    for nid in collection.find_notes(""):
        note = collection.get_note(nid)
        assert note.note_type()["name"] == anki_builder.MODEL_NAME
        assert all(value.strip() for value in note.values()), note["Id"]
        assert f"section::{corpus.question(note['Id']).section}" in note.tags
        card = note.cards()[0]
        question, answer = card.question(), card.answer()
        assert note["Question"] in question and note["ShortAnswer"] in answer and note["DetailedAnswer"] in answer
        assert "$$" not in question + answer and "$" not in note["DetailedAnswer"].replace("\\$", "")
        assert "<script" not in answer.lower()
    with_math = [collection.get_note(n) for n in collection.find_notes("DetailedAnswer:*\\\\[*")]
    assert with_math, "display math should reach Anki as \\[ ... \\]"
    assert any("\\(" in collection.get_note(n)["DetailedAnswer"] for n in collection.find_notes(""))


def test_tiny_deck_renders_question_answer_and_math(collection, tiny, tmp_path, monkeypatch):
    apkg = build(tiny, tmp_path / "out", 1_700_000_000, monkeypatch)
    import_deck(collection, apkg)
    note = collection.get_note(collection.find_notes("Id:first")[0])
    card = note.cards()[0]
    assert "What is the first question?" in card.question()
    assert "The first answer, with math \\(d_k\\)" in card.answer()
    assert "\\[" in card.answer() and "\\frac{QK^\\top}{\\sqrt{d_k}}" in card.answer()
    assert "A literal dollar: $5." in card.answer()
    assert collection.decks.name(card.did) == "Tiny Guide::01 Basics &amp; More".replace("&amp;", "&")
    assert set(note.tags) == {"level::basic", "section::basics", "demo"}


def test_escaping_inside_formulas(tiny, tmp_path, monkeypatch, collection):
    first = tiny / "01-basics" / "01-first.md"
    first.write_text(first.read_text(encoding="utf-8").replace("A literal dollar", "Compare $a<b$ and $x>y \\;\\&\\; z$. A literal dollar"), encoding="utf-8")
    apkg = build(tiny, tmp_path / "out", 1_700_000_000, monkeypatch)
    import_deck(collection, apkg)
    field = collection.get_note(collection.find_notes("Id:first")[0])["DetailedAnswer"]
    assert "\\(a&lt;b\\)" in field and "\\(x&gt;y \\;\\&amp;\\; z\\)" in field and "<b" not in field


def test_update_changes_only_the_edited_note_and_keeps_history_and_tags(collection, tiny, tmp_path, monkeypatch):
    apkg1 = build(tiny, tmp_path / "out1", 1_700_000_000, monkeypatch)
    assert len(import_deck(collection, apkg1).new) == 2
    # study one card through the scheduler
    collection.decks.select(collection.decks.id("Tiny Guide::01 Basics & More"))
    card = collection.sched.getCard()
    assert card is not None
    studied = card.id
    collection.sched.answerCard(card, 3)
    reps_before = collection.get_card(studied).reps
    assert collection.db.scalar("select count() from revlog where cid = ?", studied) == 1
    # the learner tags the other note
    other_nid = next(n for n in collection.find_notes("") if collection.get_note(n).cards()[0].id != studied)
    other = collection.get_note(other_nid)
    other.add_tag("marked")
    collection.update_note(other)
    studied_note_id = collection.get_card(studied).nid
    edited_id = collection.get_note(studied_note_id)["Id"]
    # edit the studied note's answer and rebuild
    path = next(p for p in (tiny / "01-basics").glob("*.md") if f"id: {edited_id}\n" in p.read_text(encoding="utf-8"))
    path.write_text(path.read_text(encoding="utf-8") + "\nAn edited closing sentence.\n", encoding="utf-8")
    apkg2 = build(tiny, tmp_path / "out2", 1_700_100_000, monkeypatch)
    log = import_deck(collection, apkg2)
    assert (len(log.updated), len(log.new), len(log.conflicting)) == (1, 0, 0)
    assert collection.note_count() == 2
    assert "An edited closing sentence." in collection.get_note(studied_note_id)["DetailedAnswer"]
    assert collection.db.scalar("select count() from revlog where cid = ?", studied) == 1
    assert collection.get_card(studied).reps == reps_before
    assert "marked" in collection.get_note(other_nid).tags  # the unchanged note was left alone


def test_reimporting_the_same_build_changes_nothing(collection, tiny, tmp_path, monkeypatch):
    apkg = build(tiny, tmp_path / "out", 1_700_000_000, monkeypatch)
    import_deck(collection, apkg)
    log = import_deck(collection, apkg)
    assert (len(log.new), len(log.updated)) == (0, 0)


def test_unchanged_content_keeps_ids_times_and_the_notes_table(tiny, tmp_path, monkeypatch):
    first = build(tiny, tmp_path / "a", 1_700_000_000, monkeypatch)
    lock = (tiny / anki_builder.LOCK_FILE).read_bytes()
    second = build(tiny, tmp_path / "b", 1_800_000_000, monkeypatch)  # later clock, same content
    assert (tiny / anki_builder.LOCK_FILE).read_bytes() == lock
    assert notes_table(first, tmp_path) == notes_table(second, tmp_path)
    assert first.read_bytes() == second.read_bytes()


def test_changed_note_gets_a_later_time_and_others_keep_theirs(tiny, tmp_path, monkeypatch):
    build(tiny, tmp_path / "a", 1_700_000_000, monkeypatch)
    first = tiny / "01-basics" / "01-first.md"
    first.write_text(first.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
    build(tiny, tmp_path / "b", 1_600_000_000, monkeypatch)  # even with an earlier clock
    notes = load_corpus(tiny).anki_lock.notes
    assert notes["first"].mtime == 1_700_000_001 and notes["second"].mtime == 1_700_000_000


def test_build_check_flags_a_stale_note_record(tiny, tmp_path, monkeypatch, run):
    build(tiny, tmp_path / "a", 1_700_000_000, monkeypatch)
    assert run("build", "anki", "--check", "--content", str(tiny), "--out", str(tmp_path / "a"))[0] == 0
    first = tiny / "01-basics" / "01-first.md"
    first.write_text(first.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
    code, _, err = run("build", "anki", "--check", "--content", str(tiny), "--out", str(tmp_path / "a"))
    assert code == 1 and "anki-notes.lock.json is stale" in err


def test_guids_derive_from_the_question_id_only():
    corpus = load_corpus(CONTENT)
    import genanki

    for q in corpus.published[:5]:
        assert genanki.guid_for(corpus.meta.slug, q.id) == genanki.guid_for("transformer-interview", q.id)
    assert anki_builder.note_id_for("s", "a") == anki_builder.note_id_for("s", "a") != anki_builder.note_id_for("s", "b")


def test_a_changed_note_type_updates_in_place_and_an_unchanged_one_keeps_its_time(collection, tiny, tmp_path, monkeypatch):
    """Anki updates an existing note type's CSS and templates only when the incoming one is
    newer: the lock records the note type's own time, later whenever its templates or CSS change."""
    templates = tmp_path / "templates"
    shutil.copytree(anki_builder.TEMPLATES, templates)
    monkeypatch.setattr(anki_builder, "TEMPLATES", templates)
    import_deck(collection, build(tiny, tmp_path / "a", 1_700_000_000, monkeypatch))
    first = load_corpus(tiny).anki_lock.note_type
    assert first is not None and first.mtime == 1_700_000_000
    build(tiny, tmp_path / "b", 1_700_050_000, monkeypatch)
    assert load_corpus(tiny).anki_lock.note_type == first  # nothing changed: same time
    css = templates / "anki" / "card.css"
    css.write_text(css.read_text(encoding="utf-8") + "\n.card { letter-spacing: 0.01em; }\n", encoding="utf-8")
    log = import_deck(collection, build(tiny, tmp_path / "c", 1_700_100_000, monkeypatch))
    assert load_corpus(tiny).anki_lock.note_type.mtime == 1_700_100_000
    assert (len(log.new), len(log.updated)) == (0, 0)  # the notes themselves did not change
    note_type = collection.models.by_name(anki_builder.MODEL_NAME)
    assert note_type["css"].endswith(".card { letter-spacing: 0.01em; }\n")
    assert len(collection.models.all_names_and_ids()) == len({m.name for m in collection.models.all_names_and_ids()})
    assert collection.note_count() == 2


def test_a_note_record_from_other_card_templates_is_stale(tiny, tmp_path, monkeypatch):
    build(tiny, tmp_path / "a", 1_700_000_000, monkeypatch)
    templates = tmp_path / "templates"
    shutil.copytree(anki_builder.TEMPLATES, templates)
    monkeypatch.setattr(anki_builder, "TEMPLATES", templates)
    back = templates / "anki" / "back.html"
    back.write_text(back.read_text(encoding="utf-8") + "<div></div>\n", encoding="utf-8")
    assert anki_builder.stale_lock(load_corpus(tiny))
