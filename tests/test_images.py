"""Images in answers: checked with file and line, carried by the Corpus, shown in every output."""
from __future__ import annotations

import base64
import hashlib
import json
import re
import sqlite3
import struct
import zipfile
import zlib
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader

from builders import anki, build, html, json_export, pdf, readme
from schema import ContentErrors, load_corpus
from schema.markdown import RENDERER
from schema.media import MAX_IMAGE_BYTES, media_key, rewrite_images

from .conftest import TINY
from .test_loader_rules import Q, question

SVG = (b'<?xml version="1.0" encoding="UTF-8"?>\n<!-- a test diagram -->\n'
       b'<svg xmlns="http://www.w3.org/2000/svg" width="240" height="90" viewBox="0 0 240 90">'
       b'<rect x="4" y="4" width="232" height="82" rx="8" fill="#3b6fd8"/>'
       b'<text x="120" y="55" font-size="26" font-family="DejaVu Sans" text-anchor="middle" fill="#fff">QKV flow</text>'
       b'<script>alert("svg")</script></svg>\n')
BODY = ("A detailed answer.\n\n![A red box](../media/box.png)\n\n"
        "The flow: ![Query, key and value](../media/flow.svg).\n")


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A tiny valid PNG (truecolour, one flat colour)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


PNG = png(48, 24, (200, 30, 30))


@pytest.fixture
def pictured(tiny: Path) -> Path:
    """The tiny corpus with a PNG and an SVG in media/, shown by the first (published) answer."""
    (tiny / "media").mkdir()
    (tiny / "media" / "box.png").write_bytes(PNG)
    (tiny / "media" / "flow.svg").write_bytes(SVG)
    first = tiny / Q
    first.write_text(first.read_text(encoding="utf-8") + "\n" + BODY, encoding="utf-8")
    return tiny


def image_srcs(markdown: str) -> list[str]:
    return [t.attrs["src"] for b in RENDERER.parse(markdown) for t in b.children or [] if t.type == "image"]


# -- the loader and the Corpus ------------------------------------------------------------------

def test_corpus_carries_each_image_once_with_hash_and_type(pictured: Path):
    corpus = load_corpus(pictured)
    assert set(corpus.media) == {"media/box.png", "media/flow.svg"}
    box, flow = corpus.media["media/box.png"], corpus.media["media/flow.svg"]
    assert (box.data, box.mime, box.sha256) == (PNG, "image/png", hashlib.sha256(PNG).hexdigest())
    assert (flow.data, flow.mime) == (SVG, "image/svg+xml")
    dumped = corpus.model_dump(mode="json")["media"]
    assert dumped["media/box.png"] == {"sha256": box.sha256, "mime": "image/png"}  # no bytes in dumps
    assert corpus.question("first").file == Q


def test_media_key_resolves_relative_to_the_question_file():
    assert media_key("01-x/02-q.md", "../media/diagram.png") == "media/diagram.png"
    assert media_key("01-x/02-q.md", "fig.svg") == "01-x/fig.svg"
    assert media_key("01-x/02-q.md", "./sub/../fig.gif") == "01-x/fig.gif"
    assert media_key("01-x/02-q.md", "../../etc/x.png") == "../etc/x.png"


def test_images_may_sit_beside_their_questions(tiny: Path):
    (tiny / "01-basics" / "local.png").write_bytes(PNG)
    (tiny / Q).write_text(question(__body__="![A local box](local.png)"), encoding="utf-8")
    assert set(load_corpus(tiny).media) == {"01-basics/local.png"}


def test_drafts_images_stay_out_of_the_deck(pictured: Path):
    later = pictured / "01-basics" / "03-later.md"
    (pictured / "media" / "draft.png").write_bytes(png(3, 3, (0, 0, 0)))
    later.write_text(later.read_text(encoding="utf-8") + "![Draft only](../media/draft.png)\n", encoding="utf-8")
    corpus = load_corpus(pictured)
    assert "media/draft.png" in corpus.media
    with zipfile.ZipFile(BytesIO(anki.render(corpus)["tiny.apkg"])) as deck:
        assert set(json.loads(deck.read("media")).values()) == {anki.media_name(corpus.media[k]) for k in ("media/box.png", "media/flow.svg")}


# -- every output carries the image --------------------------------------------------------------

def test_readme_links_each_image_by_its_path_from_the_readme(pictured: Path, tmp_path: Path, run):
    out = tmp_path / "elsewhere" / "out"
    code, _, err = run("build", "readme", "json", "--content", str(pictured), "--out", str(out))
    assert code == 0, err
    text = (out / "README.md").read_text(encoding="utf-8")
    srcs = image_srcs(text)
    assert len(srcs) == 2 and all(not s.startswith("/") for s in srcs)
    assert [(out / s).resolve() for s in srcs] == [(pictured / "media" / n).resolve() for n in ("box.png", "flow.svg")]
    # the repository layout: README.md beside content/
    corpus = load_corpus(pictured)
    assert "![A red box](content/media/box.png)" in readme.render(corpus)["README.md"].decode()
    exported = json.loads((out / "tiny.json").read_text(encoding="utf-8"))["sections"][0]["questions"][0]["answer"]
    assert "![A red box](media/box.png)" in exported and "![Query, key and value](media/flow.svg)" in exported


def test_readme_escapes_a_content_folder_path_with_spaces(pictured: Path):
    text = readme.render(load_corpus(pictured), content_path="../my guide/content")["README.md"].decode()
    assert "![A red box](../my%20guide/content/media/box.png)" in text


def test_readme_job_gets_the_content_folder_relative_to_where_it_writes(tmp_path: Path):
    targets = build.Targets(out_dir=tmp_path / "o", readme_dir=tmp_path / "a" / "b", content_dir=tmp_path / "c")
    job = build.jobs_for(["readme"], targets)[0]
    assert dict(job.options) == {"content_path": "../../c"}


def test_web_page_embeds_images_as_data_uris_and_never_inlines_svg(pictured: Path):
    page = html.render(load_corpus(pictured))["tiny.html"].decode()
    uris = re.findall(r'<img class="figure" src="data:([^;]+);base64,([^"]+)" alt="([^"]*)"', page)
    assert [(mime, base64.b64decode(data), alt) for mime, data, alt in uris] == [
        ("image/png", PNG, "A red box"), ("image/svg+xml", SVG, "Query, key and value")]
    assert page.count("<script") == page.count(f"<script>{html.page_script()}</script>") == 1  # only the page's own
    assert "QKV flow" not in page  # the SVG is only ever an <img>


def test_handout_pdf_draws_both_images(pictured: Path):
    corpus = load_corpus(pictured)
    handout = pdf.render(corpus, modes=("handout",))["tiny-handout.pdf"]
    reader = PdfReader(BytesIO(handout))
    sizes = {image.image.size for page in reader.pages for image in page.images}
    assert (48, 24) in sizes  # the PNG, as an image
    assert any("QKV flow" in page.extract_text() for page in reader.pages)  # the SVG, drawn as vectors
    plain = PdfReader(BytesIO(pdf.render(load_corpus(TINY), modes=("handout",))["tiny-handout.pdf"]))
    assert not [image for page in plain.pages for image in page.images]  # without images there are none


def test_deck_packages_content_hashed_media_and_cards_show_them(pictured: Path, tmp_path: Path, monkeypatch):
    from anki.collection import Collection

    from .test_anki import build as build_deck, import_deck

    apkg = build_deck(pictured, tmp_path / "out", 1_700_000_000, monkeypatch)
    corpus = load_corpus(pictured)
    names = {key: anki.media_name(corpus.media[key]) for key in corpus.media}
    assert names["media/box.png"] == f"studykit-{hashlib.sha256(PNG).hexdigest()[:16]}.png"
    with zipfile.ZipFile(apkg) as deck:
        listing = json.loads(deck.read("media"))
        assert {name: deck.read(number) for number, name in listing.items()} == {
            names["media/box.png"]: PNG, names["media/flow.svg"]: SVG}
        (tmp_path / "c.anki2").write_bytes(deck.read("collection.anki2"))
    with sqlite3.connect(tmp_path / "c.anki2") as con:
        guids = dict(con.execute("select sfld, guid from notes").fetchall())
    import genanki

    assert guids["What is the first question?"] == genanki.guid_for("tiny", "first")
    (tmp_path / "col").mkdir()
    col = Collection(str(tmp_path / "col" / "collection.anki2"))
    try:
        import_deck(col, apkg)
        note = col.get_note(col.find_notes("Id:first")[0])
        assert f'<img class="figure" src="{names["media/box.png"]}" alt="A red box">' in note["DetailedAnswer"]
        assert f'src="{names["media/flow.svg"]}"' in note["DetailedAnswer"] and "<svg" not in note["DetailedAnswer"]
        media = Path(col.media.dir())
        assert (media / names["media/box.png"]).read_bytes() == PNG
        assert (media / names["media/flow.svg"]).read_bytes() == SVG
    finally:
        col.close()


def test_images_are_scaled_down_to_fit_the_pdf_page(tiny: Path):
    """Laid out by WeasyPrint: a very wide and a very tall image both fit the page's content box."""
    import weasyprint

    (tiny / "media").mkdir()
    (tiny / "media" / "wide.png").write_bytes(png(3000, 40, (0, 120, 0)))
    (tiny / "media" / "tall.png").write_bytes(png(60, 4000, (120, 0, 120)))
    (tiny / Q).write_text(question(__body__="![A wide strip](../media/wide.png)\n\n![A tall strip](../media/tall.png)"), encoding="utf-8")
    corpus = load_corpus(tiny)
    page_document = html.document(corpus, "handout", extra_css=pdf.print_css("a4"), data=html.view(corpus, for_print=True))
    document = weasyprint.HTML(string=page_document, url_fetcher=pdf.url_fetcher(), base_url="about:blank").render()

    def images(box):  # noqa: ANN001, ANN202
        if type(box).__name__ == "InlineReplacedBox":
            yield box
        for child in getattr(box, "children", []):
            yield from images(child)

    found = {}
    for page in document.pages:
        for box in images(page._page_box):  # noqa: SLF001
            if box.element.get("class") == "figure":
                found[box.element.get("alt")] = (box.width, box.height, page.width, page.height)
    assert set(found) == {"A wide strip", "A tall strip"}
    for alt, (width, height, page_width, page_height) in found.items():
        assert width < page_width * 0.9 and height < page_height * 0.9, (alt, found[alt])
    wide_w, wide_h = found["A wide strip"][:2]
    assert abs(wide_w / wide_h - 3000 / 40) < 2  # proportions kept


def test_cards_and_the_web_page_scale_images_down():
    from builders.templating import TEMPLATES

    for css in ("html/style.css", "anki/card.css"):
        assert re.search(r"img\.figure \{[^}]*max-width: 100%[^}]*height: auto", (TEMPLATES / css).read_text()), css


# -- incremental builds ---------------------------------------------------------------------------

def test_changed_image_bytes_rebuild_the_outputs_that_show_it(pictured: Path, tmp_path: Path, run):
    out = tmp_path / "out"
    args = ("build", "html", "anki", "readme", "--content", str(pictured), "--out", str(out), "-j", "1")
    assert run(*args)[0] == 0
    code, _, err = run(*args)
    assert code == 0 and "nothing to rebuild" in err
    before_page, before_readme = (out / "tiny.html").read_bytes(), (out / "README.md").read_bytes()
    blue = png(48, 24, (20, 40, 220))
    (pictured / "media" / "box.png").write_bytes(blue)
    code, _, err = run(*args)
    assert code == 0 and "tiny.html" in err and "tiny.apkg" in err, err
    page = (out / "tiny.html").read_bytes()
    assert page != before_page and base64.b64encode(blue) in page and base64.b64encode(PNG) not in page
    assert (out / "README.md").read_bytes() == before_readme  # same path, nothing to change there
    with zipfile.ZipFile(out / "tiny.apkg") as deck:
        assert f"studykit-{hashlib.sha256(blue).hexdigest()[:16]}.png" in json.loads(deck.read("media")).values()


def test_fingerprints_follow_the_image_bytes(pictured: Path):
    targets = build.Targets(out_dir=Path("o"), readme_dir=Path("."), content_dir=pictured)
    jobs = build.jobs_for(["html", "pdf", "anki"], targets)
    before = [build.fingerprint(load_corpus(pictured), job) for job in jobs]
    (pictured / "media" / "flow.svg").write_bytes(SVG.replace(b"QKV flow", b"QKV flows"))
    after = [build.fingerprint(load_corpus(pictured), job) for job in jobs]
    assert all(a != b for a, b in zip(before, after))


def test_cached_answer_html_never_serves_a_stale_image(pictured: Path):
    first = html.render(load_corpus(pictured))["tiny.html"]  # fills the rendered-HTML cache
    (pictured / "media" / "box.png").write_bytes(png(48, 24, (0, 160, 0)))
    second = html.render(load_corpus(pictured))["tiny.html"]
    assert base64.b64encode(png(48, 24, (0, 160, 0))) in second and base64.b64encode(PNG) in first


# -- one failing fixture per rule ---------------------------------------------------------------

def image_case(body: str, files: dict[str, bytes] | None = None, **front: str):
    return body, files or {}, front


CASES = {
    "missing": (image_case("Text.\n\n![A box](../media/none.png)"), 10, "image not found: media/none.png"),
    "outside via ../..": (image_case("![A box](../../outside.png)"), 8, "../outside.png is outside the content folder"),
    "absolute path": (image_case("![A box](/etc/passwd)"), 8, "relative to the question file, not absolute"),
    "no alt text": (image_case("![](../media/box.png)", {"media/box.png": PNG}), 8, "needs alt text describing it"),
    "blank alt text": (image_case("![ ](../media/box.png)", {"media/box.png": PNG}), 8, "needs alt text"),
    "wrong type for its name": (image_case("![A box](../media/box.jpg)", {"media/box.jpg": PNG}), 8,
                                "media/box.jpg is a PNG file but named .jpg; rename it to .png"),
    "not an image at all": (image_case("![A box](../media/box.png)", {"media/box.png": b"<html>hi</html>"}), 8,
                            "is not a PNG, JPEG, GIF or SVG file"),
    "unsupported extension": (image_case("![A box](../media/box.bmp)", {"media/box.bmp": b"BM"}), 8,
                              "unsupported image type '.bmp'; use PNG, JPEG, GIF or SVG"),
    "too big": (image_case("![A box](../media/big.png)", {"media/big.png": PNG + b"\0" * MAX_IMAGE_BYTES}), 8,
                f"limit {MAX_IMAGE_BYTES}, 5 MB); shrink or compress it"),
    "remote http": (image_case("One.\nTwo ![A box](http://example.com/x.png)"), 9,
                    "remote images are never fetched: 'http://example.com/x.png'; copy the file into media/"),
    "remote data URI": (image_case("![A box](data:image/png;base64,iVBORw0KGgo=)"), 8, "remote images are never fetched"),
    "by reference": (image_case("![A box][r]\n\n[r]: ../media/box.png", {"media/box.png": PNG}), 10, "reference definitions are not allowed ([r]: ...)"),
    "odd characters": (image_case("![A box](<../media/my box.png>)", {"media/my box.png": PNG}), 8,
                       "may use only letters, digits, '.', '_', '-' and '/'"),
    "hidden file": (image_case("![A box](../.secret/box.png)", {".secret/box.png": PNG}), 8, "is hidden"),
    "svg loading a file": (image_case("![A box](../media/x.svg)", {"media/x.svg": b'<svg xmlns="http://www.w3.org/2000/svg"><image href="file:///etc/hostname"/></svg>'}), 8,
                           "SVG loads another file or URL ('file:///etc/hostname')"),
    "svg with a css url": (image_case("![A box](../media/x.svg)", {"media/x.svg": b'<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill: url(#ok); stroke: url( https://example.com/p.svg#g)"/></svg>'}), 8,
                           "SVG loads another file or URL ('https://example.com/p.svg#g')"),
    "svg with entities": (image_case("![A box](../media/x.svg)", {"media/x.svg": b'<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg>&a;</svg>'}), 8,
                          "SVG declares XML entities"),
    "svg path that never ends": (image_case("![A box](../media/x.svg)", {"media/x.svg": b'<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0L5 5Z&#49;"/></svg>'}), 8,
                                 "SVG path data has something after a Z (close path), which takes no numbers: 'M0 0L5 5Z1'"),
    "image in short answer": (image_case("Body.", {"media/box.png": PNG}, short_answer="'See ![A box](../media/box.png).'"), 5,
                              "images are only allowed in the detailed answer"),
    "image in question": (image_case("Body.", {"media/box.png": PNG}, question="'Why ![A box](../media/box.png)?'"), 3,
                          "images are only allowed in the detailed answer"),
    "path also in code": (image_case("![A box](../media/box.png)\n\n`![x](../media/box.png)`", {"media/box.png": PNG}), 8,
                          "could not rewrite it safely"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_image_is_reported_with_file_line_and_field(tiny: Path, monkeypatch, name: str):
    (body, files, front), line, fragment = CASES[name]
    monkeypatch.chdir(tiny)
    for rel, data in files.items():
        (tiny / rel).parent.mkdir(parents=True, exist_ok=True)
        (tiny / rel).write_bytes(data)
    (tiny / Q).write_text(question(__body__=body, **front), encoding="utf-8")
    with pytest.raises(ContentErrors) as caught:
        load_corpus(Path("."))
    matches = [p for p in caught.value.problems if fragment in p.message]
    assert matches, f"{name}: nothing containing {fragment!r}; got:\n{caught.value}"
    field = "question" if "question" in front else "short_answer" if "short_answer" in front else "answer"
    assert str(matches[0]).startswith(f"{Q}:{line}: {field}: "), str(matches[0])


def test_symlink_out_of_the_content_folder_is_refused(tiny: Path, tmp_path: Path, monkeypatch):
    (tmp_path / "secret.png").write_bytes(PNG)
    (tiny / "media").mkdir()
    (tiny / "media" / "link.png").symlink_to(tmp_path / "secret.png")
    (tiny / Q).write_text(question(__body__="Text.\n\n![A box](../media/link.png)"), encoding="utf-8")
    monkeypatch.chdir(tiny)
    with pytest.raises(ContentErrors) as caught:
        load_corpus(Path("."))
    assert any(str(p).startswith(f"{Q}:10: answer: media/link.png resolves outside the content folder") for p in caught.value.problems), str(caught.value)


def test_an_answer_cannot_use_an_image_another_answer_defines(pictured: Path, monkeypatch):
    # the README joins every answer, so reference definitions are refused outright (with the remedy)
    (pictured / "media" / "other.svg").write_bytes(SVG)
    second = pictured / "01-basics" / "02-second.md"
    second.write_text(second.read_text(encoding="utf-8") + "\n![Another flow][flow]\n\n[flow]: ../media/other.svg\n", encoding="utf-8")
    monkeypatch.chdir(pictured)
    with pytest.raises(ContentErrors, match=r"reference definitions are not allowed \(\[flow\]: \.\.\.\); write the link or image inline") as caught:
        load_corpus(Path("."))
    assert str(caught.value.problems[0]).startswith("01-basics/02-second.md:13: answer:")


def test_cli_reports_a_missing_image_and_builds_nothing(tiny: Path, tmp_path: Path, run):
    (tiny / Q).write_text(question(__body__="![A box](../media/none.png)"), encoding="utf-8")
    code, _, err = run("build", "html", "--content", str(tiny), "--out", str(tmp_path / "out"))
    assert code == 1 and "01-first.md:8: answer: image not found: media/none.png" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_rewrite_touches_only_image_paths():
    text = "![a](../media/a.png) and ![b][r]\n\n> ![c](<../media/a.png> \"t\")\n\n[r]:\n  ../media/b.svg\n"
    out = rewrite_images(text, lambda src: src.replace("../", "X/"))
    assert out == "![a](X/media/a.png) and ![b][r]\n\n> ![c](<X/media/a.png> \"t\")\n\n[r]:\n  X/media/b.svg\n"


def test_alt_text_and_paths_are_escaped_in_every_html_output(tiny: Path):
    (tiny / "media").mkdir()
    (tiny / "media" / "box.png").write_bytes(PNG)
    (tiny / Q).write_text(question(__body__='![A "quoted" & \'odd\' box](../media/box.png "Its \\"title\\"")'), encoding="utf-8")
    corpus = load_corpus(tiny)
    section = corpus.sections[0]
    page = html.render(corpus)["tiny.html"].decode()
    card = anki.note_fields(corpus, section, corpus.question("first"))[2]
    for text in (page, card):
        tag = re.search(r"<img class=\"figure\"[^>]*>", text).group(0)
        assert 'alt="A &quot;quoted&quot; &amp; \'odd\' box"' in tag and 'title="Its &quot;title&quot;"' in tag
        assert tag.count('"') == 8  # class, src, alt, title: nothing breaks out of an attribute


def test_front_matter_cannot_set_the_file_the_loader_records(tiny: Path, monkeypatch):
    (tiny / Q).write_text(question(file="../elsewhere.md"), encoding="utf-8")
    monkeypatch.chdir(tiny)
    with pytest.raises(ContentErrors) as caught:
        load_corpus(Path("."))
    assert str(caught.value.problems[0]) == f"{Q}:7: file: unknown key"
