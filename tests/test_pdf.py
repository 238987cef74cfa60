"""The PDFs (pypdf): text, outline, links, TOC page numbers, fonts, quiz; the HTML page; no warnings."""
from __future__ import annotations

import re
from io import BytesIO

import pytest
from pypdf import PdfReader

from builders import html as html_builder
from builders import pdf as pdf_builder
from schema import load_corpus
from schema.markdown import RENDERER

from . import pdf_lines
from .conftest import CONTENT


def squash(text: str) -> str:
    """Letters and digits only, lowercase: robust to line breaks, hyphenation and spacing."""
    return re.sub(r"[\W_]+", "", text).casefold()


def text_chunks(markdown: str) -> list[str]:
    """The plain-text runs of a Markdown paragraph between formulas (math is drawn as SVG)."""
    chunks, current = [], []
    for token in RENDERER.parseInline(markdown)[0].children:
        if token.type == "math_inline":
            chunks.append("".join(current))
            current = []
        elif token.type in ("text", "code_inline", "text_special"):
            current.append(token.content)
        elif token.type == "softbreak":
            current.append(" ")
    chunks.append("".join(current))
    return [c for c in chunks if len(squash(c)) >= 12]


@pytest.fixture(scope="module")
def built(bundled_pdfs, bundled_readers):
    corpus, _, records = bundled_pdfs
    return corpus, bundled_readers, records


def page_texts(reader: PdfReader) -> list[str]:
    return pdf_lines.page_texts(reader)


def test_no_weasyprint_warnings(built):
    _, _, records = built
    assert [r.getMessage() for r in records] == []


def test_handout_holds_every_question_and_short_answer_and_no_tex(built):
    corpus, readers, _ = built
    text = "\n".join(page_texts(readers["handout"]))
    flat = squash(text)
    for q in corpus.published:
        assert squash(q.question) in flat, q.id
        for chunk in text_chunks(q.short_answer):
            assert squash(chunk) in flat, (q.id, chunk)
    for tex in ("\\frac", "$$", "\\sqrt", "\\mathrm", "\\text{"):
        assert tex not in text


def outline_titles(reader: PdfReader) -> list[tuple[int, str, int]]:
    """(depth, title, page index) of every bookmark."""
    out = []

    def walk(items, depth):
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                out.append((depth, item.title, reader.get_destination_page_number(item)))

    walk(reader.outline, 0)
    return out


def test_outline_holds_every_section_and_question(built):
    corpus, readers, _ = built
    outline = outline_titles(readers["handout"])
    titles = {squash(t) for _, t, _ in outline}
    for section in corpus.sections:
        assert squash(f"{section.number}. {section.title}") in titles
    for q in corpus.published:
        assert squash(q.question) in titles, q.id
    depths = {squash(t): d for d, t, _ in outline}
    assert depths[squash(corpus.published[0].question)] > depths[squash(f"1. {corpus.sections[0].title}")]


def test_every_internal_link_lands_on_an_existing_destination(built):
    _, readers, _ = built
    for name, reader in readers.items():
        named = reader.named_destinations
        links = 0
        for page in reader.pages:
            for annot in page.get("/Annots") or []:
                annot = annot.get_object()
                if annot.get("/Subtype") != "/Link":
                    continue
                action = annot.get("/A")
                if action is not None and action.get("/S") == "/URI":
                    continue
                dest = annot.get("/Dest") if annot.get("/Dest") is not None else (action or {}).get("/D")
                assert dest is not None, f"{name}: internal link without a destination"
                if isinstance(dest, str) or hasattr(dest, "encode"):
                    assert str(dest) in named, f"{name}: link to missing destination {dest}"
                links += 1
        if name == "handout":
            assert links > 100  # table of contents, sources, related questions


def toc_entries(text: str) -> list[tuple[str, int]]:
    """(squashed entry text, page number) of every TOC line; wrapped entries are joined."""
    entries, pending = [], ""
    for line in text.splitlines():
        if not line.strip():
            continue
        # text, dot leaders (none where a title ending in "?" or ")" fills the line), page
        match = re.match(r"^(.*?)(?:(?:\s*\.)+|(?<=[?)])(?=\s))\s*(\d+)\s*$", line)
        if match:
            entries.append((squash(pending + " " + match.group(1)), int(match.group(2))))
            pending = ""
        else:
            pending += " " + line
    return entries


def contents_pages(reader: PdfReader) -> list[int]:
    """Indices of the contents pages: from the "Contents" bookmark up to the first section's page."""
    marks = [(title, page) for _, title, page in outline_titles(reader)]
    start = next(page for title, page in marks if title == "Contents")
    return list(range(start, next(page for title, page in marks if page > start)))


def test_toc_page_numbers_match_the_pages_of_the_questions(built):
    corpus, readers, _ = built
    reader = readers["handout"]
    pages = {squash(t): p + 1 for _, t, p in outline_titles(reader)}
    contents, texts = contents_pages(reader), page_texts(reader)
    assert len(contents) >= 2
    entries = toc_entries("\n".join(texts[i] for i in contents))
    for q in corpus.published:
        key = squash(q.question)
        found = [page for text, page in entries if text.endswith(key)]
        assert found, f"no TOC entry for {q.id}"
        assert found[0] == pages[key], (q.id, found[0], pages[key])
        assert key in squash(texts[found[0] - 1]), q.id  # the heading really is there


def test_all_fonts_are_embedded(built):
    _, readers, _ = built
    for name, reader in readers.items():
        for page in reader.pages:
            fonts = (page.get("/Resources") or {}).get("/Font") or {}
            for font in fonts.values():
                font = font.get_object()
                descendants = font.get("/DescendantFonts")
                target = descendants[0].get_object() if descendants else font
                descriptor = target.get("/FontDescriptor")
                assert descriptor is not None and any(
                    k in descriptor.get_object() for k in ("/FontFile", "/FontFile2", "/FontFile3")
                ), f"{name}: font {font.get('/BaseFont')} is not embedded"


def test_metadata_and_tags(built):
    corpus, readers, _ = built
    info = readers["handout"].metadata
    assert info.title == corpus.meta.title and info.author == corpus.meta.author
    assert "transformer" in (info.get("/Keywords") or "")
    assert info.subject
    root = readers["handout"].trailer["/Root"]
    assert "/StructTreeRoot" in root and root.get("/Lang") == corpus.meta.language


def test_quiz_numbers_every_question_and_keys_every_answer(built):
    corpus, readers, _ = built
    text = "\n".join(page_texts(readers["quiz"]))
    questions = [int(n) for n in re.findall(r"(?m)^\s*Q(\d+)\.", text)]
    answers = [int(n) for n in re.findall(r"(?m)^\s*A(\d+)\.", text)]
    n = len(corpus.published)
    assert questions == list(range(1, n + 1))
    assert answers == list(range(1, n + 1))


def test_cheatsheet_holds_every_question(built):
    corpus, readers, _ = built
    flat = squash("\n".join(page_texts(readers["cheatsheet"])))
    assert all(squash(q.question) in flat for q in corpus.published)
    assert len(readers["cheatsheet"].pages) < len(readers["handout"].pages) / 3


def test_letter_paper(tiny):
    corpus = load_corpus(tiny)
    files = pdf_builder.render(corpus, paper="letter")
    box = PdfReader(BytesIO(files["tiny-cheatsheet.pdf"])).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)
    box = PdfReader(BytesIO(pdf_builder.render(corpus)["tiny-cheatsheet.pdf"])).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)


def test_fetcher_reads_data_uris_and_refuses_files_and_network():
    fetcher = pdf_builder.url_fetcher()
    assert fetcher.fetch("data:text/plain;base64,aGk=").read() == b"hi"
    for url in ("file:///etc/hostname", "http://example.com/x.png", "https://example.com/a.css", "/etc/passwd"):
        with pytest.raises(pdf_builder.FetchRefused):
            fetcher.fetch(url)


def test_a_file_image_stops_the_render_instead_of_being_embedded(tiny):
    import weasyprint
    from weasyprint.urls import FatalURLFetchingError

    page = '<p>x <img src="file:///etc/hostname" alt="h"></p>'
    with pytest.raises(FatalURLFetchingError):
        weasyprint.HTML(string=page, url_fetcher=pdf_builder.url_fetcher(), base_url="about:blank").write_pdf()


def test_html_page_is_self_contained(tiny):
    page = html_builder.render(load_corpus(tiny))["tiny.html"].decode()
    own = f"<script>{html_builder.page_script()}</script>"  # the page's own, allowed by hash in its policy
    assert page.count("<script") == page.count(own) == 1 and "<link" not in page and "src=" not in page
    assert "<math" in page and "<svg" not in page and "$" not in page.replace("$5", "")
    assert "prefers-color-scheme: dark" in page and 'name="viewport"' in page
    assert page.count('id="q-first"') == 1


def test_code_blocks_are_highlighted_and_wrap(tiny):
    first = tiny / "01-basics" / "01-first.md"
    long_line = "x = " + " + ".join(f"value_{i}" for i in range(60))
    first.write_text(first.read_text(encoding="utf-8") + f"\n```python\ndef f(a):\n    return a < 2  # small\n{long_line}\n```\n", encoding="utf-8")
    corpus = load_corpus(tiny)
    page = html_builder.render(corpus)["tiny.html"].decode()
    assert '<span style="color: #008000; font-weight: bold">def</span>' in page and '<span style="color: #666">&lt;</span>' in page
    reader = PdfReader(BytesIO(pdf_builder.render(corpus, modes=("handout",))["tiny-handout.pdf"]))
    text = "".join(p.extract_text() for p in reader.pages)
    assert "value_59" in text.replace("\n", "")  # wrapped, not cut off at the page edge


# -- line breaking, measure, running heads, viewer settings (issue 15) ---------------------------
def test_no_paragraph_word_stands_alone_on_a_line(built):
    corpus, readers, _ = built
    paras = pdf_lines.corpus_paragraphs(corpus)
    for name, reader in readers.items():
        assert pdf_lines.stranded_words(pdf_lines.lines(reader), paras) == [], name


def crafted_paragraphs() -> tuple[str, list[str]]:
    """Paragraphs that sweep a line's end past an inline element: WeasyPrint strands the first
    word of at least one of them (docs/weasyprint-stranded-word.md)."""
    html, paras = [], []
    for count in range(6, 16):
        for width in range(1, 5):
            lead = f"Because {' '.join(['ab'] * count)} {'x' * width}"
            for element, text in (("<code>abcdefgh</code>", "abcdefgh"), ("<em>abcdefgh</em>", "abcdefgh")):
                html.append(f"<p>{lead} {element} more text follows here and goes on to the end.</p>")
                paras.append(f"{lead} {text} more text follows here and goes on to the end.")
    page = ('<html lang="en"><style>@page { size: 130mm 3000mm; margin: 5mm } '
            'p { font: 12pt "DejaVu Serif"; width: 100mm; hyphens: auto }</style>' + "".join(html))
    return page, paras


def test_the_stranded_word_check_fails_without_the_fix_and_passes_with_it():
    import weasyprint

    from builders.linebreaks import keep_spaces

    page, paras = crafted_paragraphs()
    found = {}
    for label, document in (("as written", page), ("fixed", keep_spaces(page))):
        reader = PdfReader(BytesIO(weasyprint.HTML(string=document).write_pdf()))
        found[label] = pdf_lines.stranded_words(pdf_lines.lines(reader), paras)
    assert found["as written"], "the crafted page no longer strands a word: WeasyPrint may be fixed"
    assert found["fixed"] == []


def test_keep_spaces_moves_the_space_into_the_element_and_leaves_pre_alone():
    from builders.linebreaks import keep_spaces

    page = ('<p>It is <em>x</em> and\n<span class="math"><img src="a"></span>: the <code>a&lt;b</code> end</p>'
            '<pre><code>a <span>b</span></code></pre>')
    assert keep_spaces(page) == (
        '<p>It is<em> x</em> and<span class="math">\n<img src="a"></span>: the<span class="space"> '
        '<code>a&lt;b</code></span> end</p><pre><code>a <span>b</span></code></pre>')


def test_keep_spaces_puts_data_uris_back_where_they_were():
    """The data: URIs are taken out while the spaces move and left as they were: the same result
    as rewriting them in place for the bundled guide's three documents (base64 holds no space),
    and a document with a NUL is rewritten whole."""
    from builders import html
    from builders.linebreaks import _keep_spaces, keep_spaces

    corpus = load_corpus(CONTENT)
    data = html.view(corpus, for_print=True)
    for mode in ("handout", "quiz", "cheatsheet"):
        document = html.document(corpus, mode, data=data, styled=False)
        assert document.count('src="data:') > 100
        assert keep_spaces(document) == _keep_spaces(document)
    page = '<p>a <em>b</em> <img src="data:x, <em>y</em>"> c <span>d</span><img src="data:z"></p>'
    assert keep_spaces(page) == '<p>a<em> b</em> <img src="data:x, <em>y</em>"> c<span> d</span><img src="data:z"></p>'
    with_nul = page.replace(" c ", " c \x00 ")
    assert keep_spaces(with_nul) == _keep_spaces(with_nul) == (
        '<p>a<em> b</em> <img src="data:x,<em> y</em>"> c \x00<span> d</span><img src="data:z"></p>')


def test_handout_sets_a_book_measure(built):
    _, readers, _ = built
    median = pdf_lines.median_full_line(readers["handout"])
    assert 55 <= median <= 75, median


def test_full_line_measure_reads_the_full_lines():
    wide = ["x" * 90] * 20 + ["short last line"] * 5
    assert pdf_lines.median_full_line_of(wide) == 90
    assert pdf_lines.median_full_line_of(["y" * 70] * 10 + ["x" * 20]) == 70


def test_body_text_is_set_in_the_bundled_text_font(built):
    _, readers, _ = built
    names = set()
    for page in readers["handout"].pages[:10]:
        for font in ((page.get("/Resources") or {}).get("/Font") or {}).values():
            names.add(str(font.get_object().get("/BaseFont")))
    assert any("STIXTwoText" in re.sub(r"[ -]", "", n) for n in names), names


def head_and_body(page) -> tuple[str, str]:  # noqa: ANN001 - a pypdf page
    """A page's running head (text in the top 55 pt: the margin is wider) and its body text
    (between the head and the page number at the foot)."""
    top, head, body = float(page.mediabox.top), [], []

    def visit(text, cm, tm, font, size):  # noqa: ANN001, ANN202 - pypdf's visitor signature
        y = tm[5] * cm[3] + cm[5]
        (head if y > top - 55 else body if y > 55 else []).append(text)

    page.extract_text(visitor_text=visit)
    return squash("".join(head)), squash("".join(body))


def test_running_head_names_the_section_the_page_is_in_and_skips_opening_pages(built):
    corpus, readers, _ = built
    titles = [squash(f"{s.number}. {s.title}") for s in corpus.sections]
    closing = ["references", "answerkey"]  # sections after the numbered ones, each opening a page
    for name, reader in readers.items():
        current, heads = "", 0
        for number, page in enumerate(reader.pages, start=1):
            head, body = head_and_body(page)
            opens = next((t for t in titles + closing if body.startswith(t)), None)
            where = (name, number, head, current)
            if name == "handout" and opens:  # sections open pages: no head repeating the title
                assert head == "", where
            elif head:
                heads += 1  # the section at the top of the page; the quiz's may open at the top
                assert head == current or head == opens, where
            opened = [t for t in titles if t in body and "contents" not in body[:12]]  # a quiz opens on page 1
            # after the references or the answer key opens (whose entries repeat section titles), it stays the section
            current = opens if opens in closing else current if current in closing else opened[-1] if opened else current
        assert heads > 3, name


def test_pdfs_open_with_the_bookmarks_pane(built):
    _, readers, _ = built
    for name, reader in readers.items():
        assert reader.trailer["/Root"].get("/PageMode") == "/UseOutlines", name
