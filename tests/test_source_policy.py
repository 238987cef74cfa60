"""corpus.yaml's `sources: required | optional`: the loader's rules, and outputs for entries
that have only a title (an imported guide's `origin`)."""
from __future__ import annotations

import json
import shutil
import sqlite3
import zipfile
from pathlib import Path

import pytest
import yaml

from builders import anki, html, json_export, readme
from schema import ContentErrors, load_corpus
from schema.export import ExportCorpus
from schema.models import Metadata, Source

from .conftest import CONTENT

IMPORTED = Path(__file__).resolve().parent / "fixtures" / "imported"
REMEDY = "set `sources: optional` in corpus.yaml"


@pytest.fixture
def imported(tmp_path: Path) -> Path:
    """A writable copy of the fixture shaped like an import: `sources: optional`, one `origin`."""
    target = tmp_path / "content"
    shutil.copytree(IMPORTED, target)
    return target


def problems(content: Path) -> list[str]:
    with pytest.raises(ContentErrors) as caught:
        load_corpus(content)
    return [str(p) for p in caught.value.problems]


def test_policy_is_a_documented_metadata_field_and_the_guide_states_it():
    field = Metadata.model_fields["sources"]
    assert field.default == "required" and "optional" in field.description
    assert yaml.safe_load((CONTENT / "corpus.yaml").read_text(encoding="utf-8"))["sources"] == "required"
    assert load_corpus(CONTENT).meta.sources == "required"


def test_an_unknown_policy_is_a_located_error(tiny):
    (tiny / "corpus.yaml").write_text((tiny / "corpus.yaml").read_text(encoding="utf-8") + "sources: sometimes\n", encoding="utf-8")
    assert any(p.endswith("corpus.yaml:7: sources: 'sometimes' is not one of required, optional") for p in problems(tiny))


def test_required_policy_demands_authors_year_link_and_a_cited_source(tiny):
    (tiny / "bibliography.yaml").write_text("vaswani2017:\n  title: Attention Is All You Need\n", encoding="utf-8")
    second = tiny / "01-basics" / "02-second.md"
    second.write_text(second.read_text(encoding="utf-8").replace("sources: [vaswani2017]\n", ""), encoding="utf-8")
    found = problems(tiny)
    bib = str(tiny / "bibliography.yaml")
    assert f"{bib}:1: authors: required key is missing: add it, or {REMEDY}" in found
    assert f"{bib}:1: year: required key is missing: add it, or {REMEDY}" in found
    assert f"{bib}:1: vaswani2017: needs an arxiv id or a url: add one, or {REMEDY}" in found
    assert any(p.startswith(f"{second}:") and "sources: a published question cites at least one source: add a "
               f"bibliography.yaml id to `sources`, or {REMEDY}" in p for p in found)


def test_other_source_messages_name_the_remedy(tiny):
    bib = tiny / "bibliography.yaml"
    bib.write_text(bib.read_text(encoding="utf-8") + "unused2020:\n  authors: U\n  title: U\n  year: 2020\n  url: https://example.org\n", encoding="utf-8")
    first = tiny / "01-basics" / "01-first.md"
    first.write_text(first.read_text(encoding="utf-8").replace("sources: [vaswani2017]", "sources: [vaswani2017, nobody]"), encoding="utf-8")
    found = "\n".join(problems(tiny))
    assert "unused2020: not cited by any question: remove it or cite it" in found
    assert "unknown source 'nobody': add it to bibliography.yaml or fix the id" in found


def test_optional_policy_accepts_uncited_questions_and_title_only_entries(imported):
    first = imported / "01-imported" / "01-what-is-a-vector.md"
    first.write_text(first.read_text(encoding="utf-8").replace("sources: [origin]\n", ""), encoding="utf-8")
    (imported / "bibliography.yaml").write_text("origin:\n  title: notes.md\n", encoding="utf-8")
    corpus = load_corpus(imported)
    assert corpus.question("what-is-a-vector").sources == ()
    assert corpus.sources["origin"].authors is None and corpus.sources["origin"].link == ""


def test_optional_policy_may_have_no_bibliography(imported):
    for path in imported.rglob("*.md"):
        path.write_text(path.read_text(encoding="utf-8").replace("sources: [origin]\n", ""), encoding="utf-8")
    (imported / "bibliography.yaml").unlink()
    assert load_corpus(imported).sources == {}
    (imported / "corpus.yaml").write_text((imported / "corpus.yaml").read_text(encoding="utf-8").replace("optional", "required"), encoding="utf-8")
    assert any("missing: the bibliography file: create it" in p and REMEDY in p for p in problems(imported))


@pytest.mark.parametrize("entry,citation,label,link", [
    ({"authors": "Vaswani et al.", "title": "Attention", "year": 2017, "venue": "NeurIPS", "arxiv": "1706.03762"},
     "Vaswani et al. Attention. NeurIPS 2017, arXiv:1706.03762.", "Vaswani et al. 2017", "[Vaswani et al. (2017). Attention](https://arxiv.org/abs/1706.03762)"),
    ({"title": "notes.md", "url": "https://example.org/n"}, "notes.md.", "notes.md", "[notes.md](https://example.org/n)"),
    ({"title": "notes.md"}, "notes.md.", "notes.md", "notes.md"),
    ({"title": "Notes", "year": 2020}, "Notes. 2020.", "Notes 2020", "(2020). Notes"),
    ({"title": "Notes", "authors": "Ng", "arxiv": "2001.00001"}, "Ng. Notes. arXiv:2001.00001.", "Ng", "[Ng. Notes](https://arxiv.org/abs/2001.00001)"),
])
def test_citations_leave_out_missing_pieces(entry, citation, label, link):
    source = Source(id="s", **entry)
    assert (source.citation, source.label, readme.source_link(source)) == (citation, label, link)


@pytest.mark.parametrize("authors,label", [
    ("Press, Wolf", "Press & Wolf 2017"), ("Press", "Press 2017"), ("Ba, Kiros, Hinton", "Ba et al. 2017"),
    ("BigScience Workshop (Le Scao, Fan, et al.)", "BigScience Workshop 2017"),
])
def test_labels_name_the_authors_as_prose_cites_them(authors, label):
    source = Source(id="s", authors=authors, title="T", year=2017, arxiv="1608.05859")
    assert source.label == label
    assert source.cite(arxiv=False) == f"{authors}{'' if authors.endswith('.') else '.'} T. 2017."


def entry_variants() -> list[str]:
    return ["origin:\n  title: notes.md\n  url: https://example.org/notes.md\n", "origin:\n  title: notes.md\n"]


@pytest.mark.parametrize("bibliography", entry_variants(), ids=["with url", "title only"])
def test_every_builder_prints_an_origin_entry_cleanly(imported, bibliography):
    (imported / "bibliography.yaml").write_text(bibliography, encoding="utf-8")
    corpus = load_corpus(imported)
    linked = "url" in bibliography
    text = readme.render(corpus)["README.md"].decode()
    assert ("**Sources:** [notes.md](https://example.org/notes.md)" if linked else "**Sources:** notes.md\n") in text
    assert "## References" in text and "()" not in text and "[]" not in text and "None" not in text
    page = html.render(corpus)["imported-notes.html"].decode()
    assert '<a href="#ref-origin">[1] notes.md</a>' in page
    assert ('notes.md. <a href="https://example.org/notes.md">' if linked else '<li id="ref-origin">notes.md.</li>') in page
    assert 'href=""' not in page and "None" not in page
    fields = anki.note_fields(corpus, corpus.sections[0], corpus.published[0])
    assert fields[3] == ('<ul><li><a href="https://example.org/notes.md">notes.md.</a></li></ul>' if linked
                         else "<ul><li>notes.md.</li></ul>")
    data = json.loads(json_export.render(corpus)["imported-notes.json"])
    ExportCorpus.model_validate(data)
    assert data["sources"]["origin"] == {"id": "origin", "authors": None, "title": "notes.md", "year": None, "venue": None,
                                         "arxiv": None, "url": "https://example.org/notes.md" if linked else None}


def test_a_guide_citing_nothing_has_no_sources_lines_and_no_references(imported):
    for path in imported.rglob("*.md"):
        path.write_text(path.read_text(encoding="utf-8").replace("sources: [origin]\n", ""), encoding="utf-8")
    (imported / "bibliography.yaml").unlink()
    corpus = load_corpus(imported)
    text = readme.render(corpus)["README.md"].decode()
    assert "Sources:" not in text and "References" not in text and "primary sources" not in text
    page = html.render(corpus)["imported-notes.html"].decode()
    assert "Sources:" not in page and "References" not in page


def test_export_schema_allows_title_only_sources():
    schema = json.loads((Path(__file__).resolve().parent.parent / "schema" / "export.schema.json").read_text(encoding="utf-8"))
    props = schema["$defs"]["ExportSource"]["properties"]
    for key in ("authors", "year", "url"):
        assert {"type": "null"} in props[key]["anyOf"], key


def test_imported_shape_checks_and_builds_every_output(run, imported, tmp_path):
    code, _, err = run("check", "--content", str(imported))
    assert code == 0 and "ok: 2 published questions, 1 drafts, 1 sources" in err
    out = tmp_path / "out"
    code, _, err = run("build", "--content", str(imported), "--out", str(out))
    assert code == 0, err
    names = sorted(p.name for p in out.iterdir())
    assert names == ["README.md", "imported-notes-cheatsheet.pdf", "imported-notes-handout.pdf", "imported-notes-quiz.pdf",
                     "imported-notes.apkg", "imported-notes.html", "imported-notes.json"]
    with zipfile.ZipFile(out / "imported-notes.apkg") as archive:
        (tmp_path / "deck.anki2").write_bytes(archive.read("collection.anki2"))
    with sqlite3.connect(tmp_path / "deck.anki2") as con:
        assert con.execute("select count(*) from notes").fetchone()[0] == 2


def test_check_rejects_a_cited_year_the_bibliography_does_not_give(tiny, run):
    first = tiny / "01-basics" / "01-first.md"
    first.write_text(first.read_text(encoding="utf-8") + "\nAs Vaswani et al. (2016) put it, and (Vaswani et al., 2017) agrees.\n",
                     encoding="utf-8")
    code, _, err = run("check", "--content", str(tiny))
    assert code == 1
    assert "01-first.md:7: sources: the text cites 'Vaswani et al. (2016)' but 'vaswani2017' is dated 2017" in err
    assert err.count("the text cites") == 1
    first.write_text(first.read_text(encoding="utf-8").replace("(2016)", "(2017)"), encoding="utf-8")
    assert run("check", "--content", str(tiny))[0] == 0
