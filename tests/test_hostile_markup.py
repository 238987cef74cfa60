"""Hostile content (issue 18, items 4 and 6-9): no slow validation, no live markup in any output."""
from __future__ import annotations

import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from builders import anki, html, readme
from builders.templating import md_inline, md_text
from schema import ContentErrors, load_corpus
from schema.checks import markdown_problems

FIRST = "01-basics/01-first.md"
SCRIPT = "<script>alert(1)</script>"


def github_html(markdown: str) -> str:
    """The README as a permissive GitHub-like renderer sees it: raw HTML on, every link kept."""
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    md.validateLink = lambda url: True  # show a javascript: link if the Markdown makes one
    return md.render(markdown)


def live(page: str) -> list[str]:
    """Everything active in an HTML text: script elements, javascript: links, remote sources."""
    found: list[str] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):  # noqa: ANN001, ANN202
            if tag in ("script", "iframe", "object", "embed", "link"):
                found.append(tag)
            for key, value in attrs:
                value = "".join((value or "").split()).lower()
                if key.startswith("on"):
                    found.append(f"{tag} {key}")
                if key == "href" and value.startswith(("javascript:", "vbscript:", "data:", "file:")):
                    found.append(f"{tag} href={value}")
                if key == "src" and not value.startswith("data:image/"):
                    found.append(f"{tag} src={value}")

    Collect().feed(page)
    return found


def outputs(content: Path) -> dict[str, str]:
    """README (as GitHub renders it), web page, the PDFs' HTML and every Anki field."""
    corpus = load_corpus(content)
    pdf_html = html.document(corpus, "handout", data=html.view(corpus, for_print=True))
    fields = [f for s in corpus.sections for q in s.published for f in anki.note_fields(corpus, s, q)]
    return {"readme": github_html(readme.render(corpus)["README.md"].decode()),
            "html": without_own_script(html.render(corpus)[f"{corpus.meta.slug}.html"].decode()), "pdf": pdf_html,
            "anki": "\n".join(fields)}


def without_own_script(page: str) -> str:
    """The web page without its one script of its own (the build's, allowed by hash in its policy)."""
    own = f"<script>{html.page_script()}</script>"
    assert page.count("<script") == page.count(own) == 1
    return page.replace(own, "")


def assert_nothing_live(content: Path) -> dict[str, str]:
    rendered = outputs(content)
    for name, page in rendered.items():
        assert live(page) == [], name
    return rendered


def set_front(path: Path, key: str, value: str) -> None:
    lines = [f"{key}: {value}" if line.startswith(f"{key}:") else line for line in path.read_text(encoding="utf-8").split("\n")]
    path.write_text("\n".join(lines), encoding="utf-8")


def check_error(run, content: Path) -> str:
    started = time.monotonic()
    code, _, err = run("check", "--content", str(content))
    assert code == 1 and "\nError: " in err and "Traceback" not in err, err
    assert time.monotonic() - started < 60
    return err


# 4. Quadratic validation
def test_a_long_run_of_emphasis_delimiters_is_refused_fast_with_its_line(tiny: Path, run):
    first = tiny / FIRST
    first.write_text(first.read_text(encoding="utf-8") + "\na " + "*" * 9500 + "x" + "*" * 9500 + " b.\n", encoding="utf-8")
    started = time.monotonic()
    err = check_error(run, tiny)
    assert time.monotonic() - started < 10
    assert f"{FIRST}:19: answer: a run of 9500 '*' characters (at most 16)" in err


@pytest.mark.parametrize("text", [
    "a " + "![a](" * 3900 + " b.",                 # link destinations scanned again and again
    "a " + "[" * 19000,                            # link labels
    ("a " + "![a" * 120 + "\n\n") * 50,           # under the bound in each paragraph: still fast overall
    "*a* " * 4900,                                 # many emphasis tokens in one paragraph (was quadratic)
    "a\n" * 9900,                                  # many line breaks in one paragraph (was quadratic)
])
def test_validation_of_a_20k_answer_is_fast(text: str):
    started = time.monotonic()
    markdown_problems(text[:20_000], "f.md", "answer", 1, allow_images=True)
    assert time.monotonic() - started < 10


def test_lines_are_still_counted_inside_a_paragraph():
    problems = markdown_problems("One\ntwo\nthree $x", "f.md", "answer", 5)
    assert [(p.line, p.message[:9]) for p in problems] == [(7, "stray '$'")]
    runs = markdown_problems("Fine.\n\nOne\n" + "_" * 17 + "x", "f.md", "answer", 5)
    assert [p.line for p in runs] == [8]


# 6. Every field that reaches Markdown or HTML is escaped
def test_metadata_titles_and_sources_are_escaped_everywhere(tiny: Path):
    (tiny / "corpus.yaml").write_text(
        f'title: "Guide {SCRIPT} *x*"\nslug: tiny\ndescription: "{SCRIPT} [a](javascript:alert(1)) ![i](https://t.example/p.png)"\n'
        f'author: "{SCRIPT}"\nlanguage: en\nkeywords: ["{SCRIPT}"]\n', encoding="utf-8")
    (tiny / "01-basics" / "section.yaml").write_text(f'id: basics\ntitle: "Basics {SCRIPT} `x"\n', encoding="utf-8")
    (tiny / "bibliography.yaml").write_text(
        f'vaswani2017:\n  authors: "{SCRIPT} `"\n  title: "T ![i](https://t.example/p.png) [a](javascript:x)"\n'
        f'  venue: "{SCRIPT}"\n  year: 2017\n  arxiv: "1706.03762"\n', encoding="utf-8")
    rendered = assert_nothing_live(tiny)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered["readme"]  # shown as text, not dropped


def test_md_text_renders_as_itself():
    for text in (SCRIPT, "1. a", "- a", "a\n# b", "AT&T &amp; &#60;", "a `b` *c* _d_ [e](f) $g$ ~h~ | \\ i"):
        assert github_html(md_text(text)).strip().removeprefix("<p>").removesuffix("</p>") == \
            text.replace("\n", " ").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# 7. Source URLs
def test_a_url_breaking_out_of_its_link_is_refused(tiny: Path, run):
    bib = tiny / "bibliography.yaml"
    bib.write_text(bib.read_text(encoding="utf-8").replace('  arxiv: "1706.03762"', f'  url: "https://a.example/){SCRIPT}"'), encoding="utf-8")
    err = check_error(run, tiny)
    assert "bibliography.yaml:6: url: 'https://a.example/)<script>alert(1)</script>' is not a plain https URL" in err, err


@pytest.mark.parametrize("url", ["https://a.example/x y", "https://a.example/'x'", 'https://a.example/"', "https://a.example/\\\\x",
                                 "https://a.example/`x`", "https://a.example/[x]", "https://a.example/%zz", "https://a.example/é",
                                 "javascript://a.example/%0aalert(1)", "https://"])
def test_urls_outside_the_conservative_set_are_refused(tiny: Path, url: str):
    bib = tiny / "bibliography.yaml"
    bib.write_text(bib.read_text(encoding="utf-8").replace('  arxiv: "1706.03762"', f'  url: "{url}"'), encoding="utf-8")
    with pytest.raises(ContentErrors, match="url"):
        load_corpus(tiny)


def test_parentheses_in_a_url_cannot_end_its_link(tiny: Path):
    bib = tiny / "bibliography.yaml"
    url = "https://a.example/wiki/X_(y))(z?q=1&r=2#f"
    bib.write_text(bib.read_text(encoding="utf-8").replace('  arxiv: "1706.03762"', f'  url: "{url}"'), encoding="utf-8")
    rendered = assert_nothing_live(tiny)
    encoded = "https://a.example/wiki/X_%28y%29%29%28z?q=1&amp;r=2#f"
    assert rendered["readme"].count(f'href="{encoded}"') == 3  # both questions' Sources and the References
    assert f'href="{encoded}"' in rendered["html"] and f'href="{encoded}"' in rendered["anki"]


# 8. Link reference definitions
def test_a_reference_defined_in_one_answer_cannot_serve_another(tiny: Path, run):
    first, second = tiny / FIRST, tiny / "01-basics" / "02-second.md"
    first.write_text(first.read_text(encoding="utf-8") + "\nText.\n\n[t]: javascript:alert(1)\n[u]: https://tracker.example/p.png\n",
                     encoding="utf-8")
    second.write_text(second.read_text(encoding="utf-8") + "\nSee [x][t] and ![y][u] and [t].\n", encoding="utf-8")
    err = check_error(run, tiny)
    assert f"{FIRST}:21: answer: reference definitions are not allowed ([t]: ...); write the link or image inline" in err
    assert f"{FIRST}:22: answer: reference definitions are not allowed ([u]: ...)" in err
    first.write_text(first.read_text(encoding="utf-8").split("\nText.\n")[0] + "\n", encoding="utf-8")
    rendered = assert_nothing_live(tiny)  # the uses alone stay text
    assert "See [x][t] and ![y][u] and [t]." in rendered["readme"]


def test_a_short_answer_cannot_define_a_reference(tiny: Path, run):
    first = tiny / FIRST
    first.write_text(first.read_text(encoding="utf-8").replace("The first answer, with math $d_k$.", "[t]: javascript:alert(1)"), encoding="utf-8")
    err = check_error(run, tiny)
    assert f"{FIRST}:5: short_answer: reference definitions are not allowed ([t]: ...)" in err


# 9. Fragments joined on one line
def test_a_stray_backtick_in_a_question_is_refused(tiny: Path, run):
    set_front(tiny / FIRST, "question", "'What does ` do?'")
    err = check_error(run, tiny)
    assert f"{FIRST}:3: question: stray '`' (unclosed code span?)" in err


def test_related_and_toc_entries_cannot_pair_with_their_neighbours(tiny: Path):
    first, second, later = tiny / FIRST, tiny / "01-basics" / "02-second.md", tiny / "01-basics" / "03-later.md"
    set_front(first, "question", "'What does \\` mean?'")  # an escaped backtick: valid
    set_front(second, "question", f"'Is `{SCRIPT}` code?'")
    later.write_text("---\nid: later\nquestion: 'Why ](javascript:alert(1)) and [x? \\'\nlevel: basic\nshort_answer: Yes.\n"
                     "sources: [vaswani2017]\n---\nBody.\n", encoding="utf-8")
    set_front(first, "related", "[second, later]")
    rendered = assert_nothing_live(tiny)
    assert rendered["readme"].count(f"<code>{SCRIPT.replace('<', '&lt;').replace('>', '&gt;')}</code>") >= 3  # heading, TOC, Related
    assert "javascript:alert(1)) and [x? \\</a>" in rendered["readme"]


def test_md_inline_keeps_a_valid_question_byte_for_byte_and_closes_every_span():
    for question in ("How are heads formed from `d_model`?", "Why *scale* by **√dₖ**?", "Is ``a`b`` ~~x~~ fine?"):
        assert md_inline(question) == question
    assert md_inline("a `b") == "a \\`b" and md_inline("x ](javascript:y)") == "x \\](javascript:y)"
    joined = ", ".join(f"[{md_inline(q)}](#a)" for q in ("What is `x", f"Is `{SCRIPT}` ok"))
    assert live(github_html(joined)) == [] and "<script" not in github_html(joined)
