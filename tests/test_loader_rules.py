"""Every loader rule has a failing fixture whose message names the file, the line and the field."""
from __future__ import annotations

from pathlib import Path

import pytest

from schema import ContentErrors, load_corpus

Q = "01-basics/01-first.md"


def question(**overrides: str) -> str:
    """A question file; each override replaces (or, with value None, drops) one front matter line."""
    fields = {
        "id": "first", "question": "What is the first question?", "level": "basic",
        "short_answer": "An answer.", "sources": "[vaswani2017]",
    }
    fields.update(overrides)
    body = fields.pop("__body__", "A body.")
    lines = [f"{k}: {v}" for k, v in fields.items() if v is not None]
    return "---\n" + "\n".join(lines) + "\n---\n" + body + "\n"


# (name, file to write, content, expected (file, line, field, message fragment))
CASES = [
    ("level not one of three", Q, question(level="expert"), (Q, 4, "level", "'expert' is not one of basic, intermediate, advanced")),
    ("unknown key", Q, question(colour="blue"), (Q, 7, "colour", "unknown key")),
    ("missing required key", Q, question(question=None), (Q, 2, "question", "required key is missing")),
    ("wrong type", Q, question(id="2017"), (Q, 2, "id", "quote the value")),
    ("duplicate key", Q, question() .replace("level: basic\n", "level: basic\nlevel: advanced\n"), (Q, 5, "level", "duplicate key")),
    ("empty short answer", Q, question(short_answer='""'), (Q, 5, "short_answer", "needs a short answer")),
    ("no sources", Q, question(sources="[]"), (Q, 6, "sources", "at least one source")),
    ("unknown source", Q, question(sources="[vaswani2017, nobody1999]"), (Q, 6, "sources", "unknown source 'nobody1999'")),
    ("formula does not parse", Q, question(__body__="Text.\n\nBad $\\frac{a}{$ here."), (Q, 10, "answer", "formula does not parse")),
    ("undefined TeX macro", Q, question(__body__="$$\n\\foo{x}\n$$"), (Q, 8, "answer", "Undefined control sequence")),
    ("unclosed code fence", Q, question(__body__="Text.\n\n```python\nx = 1"), (Q, 10, "answer", "code fence is never closed")),
    ("unclosed math", Q, question(__body__="Cost $x + y"), (Q, 8, "answer", "stray '$'")),
    ("mojibake", Q, question(__body__="Fine line.\nWe divide by ‚àöd‚Çñ here."), (Q, 9, "answer", "mojibake")),
    ("raw HTML", Q, question(__body__="Hello <script>alert(1)</script>"), (Q, 8, "answer", "raw HTML")),
    ("raw HTML block", Q, question(__body__="<div>\nx\n</div>"), (Q, 8, "answer", "raw HTML")),
    ("heading in answer", Q, question(__body__="## Heading\n\ntext"), (Q, 8, "answer", "headings are not allowed")),
    ("javascript link", Q, question(__body__="[x](javascript:alert(1))"), (Q, 8, "answer", "absolute http(s) URLs")),
    ("math in question", Q, question(question="Why $\\sqrt{d_k}$?"), (Q, 3, "question", "math is not allowed")),
    ("multi-paragraph short answer", Q, question(short_answer="|\n  one\n\n  two"), (Q, 5, "short_answer", "single paragraph")),
    ("invalid YAML", Q, question(level="[basic"), (Q, 5, "", "invalid YAML")),
    ("no front matter", Q, "Just text\n", (Q, 1, "", "must start with '---'")),
    ("invalid UTF-8", Q, b"---\nid: first\n\xff\n---\n", (Q, 3, "", "not valid UTF-8")),
    ("NUL byte", Q, "---\nid: fi\x00rst\n---\n", (Q, 2, "", "NUL byte")),
    ("duplicate id across files", "01-basics/09-copy.md", question(question="A different question?", id="second"), ("01-basics/02-second.md", 2, "id", "duplicate id 'second'")),
    ("duplicate question text", "01-basics/09-copy.md", question(id="copy", question="what IS  the first   question?"), ("01-basics/09-copy.md", 3, "question", "duplicate question text")),
    ("cross-reference to unknown id", Q, question(__body__="Text.\n\nSee [there](#nowhere)."), (Q, 10, "answer", "cross-reference to unknown question id 'nowhere'")),
    ("cross-reference in short answer", Q, question(short_answer="See [it](#nowhere)."), (Q, 5, "short_answer", "unknown question id 'nowhere'")),
    ("cross-reference to a draft", Q, question(__body__="See [later](#later)."), (Q, 8, "answer", "'later', a draft")),
    ("cross-reference to itself", Q, question(__body__="One.\n\nTwo, see [this](#first)."), (Q, 10, "answer", "cannot refer to itself")),
    ("cross-reference not an id", Q, question(__body__="See [x](#Not_An_Id)."), (Q, 8, "answer", "a cross-reference names a question id")),
    ("cross-reference also in code", Q, question(__body__="Write `[x](#second)` for [x](#second)."), (Q, 8, "answer", "also written elsewhere")),
    ("unknown related question", Q, question(related="[nowhere]"), (Q, 7, "related", "unknown question id 'nowhere'")),
    ("bibliography entry without link", "bibliography.yaml", "x2020:\n  authors: A\n  title: T\n  year: 2020\n", ("bibliography.yaml", 1, "x2020", "needs an arxiv id or a url")),
    ("bibliography bad arxiv", "bibliography.yaml", "x2020:\n  authors: A\n  title: T\n  year: 2020\n  arxiv: 17.1\n", ("bibliography.yaml", 5, "arxiv", "quote the value")),
    ("metadata unknown key", "corpus.yaml", "title: T\nslug: t\ndescription: D\nauthor: A\ncolor: red\n", ("corpus.yaml", 5, "color", "unknown key")),
    ("section without section.yaml", "02-empty/01-x.md", question(id="x", question="X?"), ("02-empty/section.yaml", 0, "", "needs section.yaml")),
    ("source never cited", "bibliography.yaml", "vaswani2017:\n  authors: V\n  title: T\n  year: 2017\n  arxiv: \"1706.03762\"\nunused2020:\n  authors: U\n  title: U\n  year: 2020\n  arxiv: \"2001.00001\"\n", ("bibliography.yaml", 6, "unused2020", "not cited by any question")),
    ("image outside content", Q, question(__body__="![secret](/etc/passwd)"), (Q, 8, "answer", "image paths are relative to the question file, not absolute: '/etc/passwd'")),
    ("file URL image", Q, question(__body__="Text\n\n![h](file:///etc/hostname)"), (Q, 10, "answer", "remote images are never fetched: 'file:///etc/hostname'; copy the file into media/")),
    ("link rel attachment", Q, question(__body__='<link rel=attachment href="file:///etc/hostname">'), (Q, 8, "answer", "raw HTML")),
    ("stray file", "notes.txt", "hello", ("notes.txt", 0, "", "unexpected entry")),
    ("empty file", Q, "", (Q, 1, "", "must start with '---'")),
]


@pytest.mark.parametrize("name,rel,content,expected", CASES, ids=[c[0] for c in CASES])
def test_bad_fixture_is_reported(tiny: Path, monkeypatch, name, rel, content, expected):
    monkeypatch.chdir(tiny)
    target = tiny / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        target.write_bytes(content)
    else:
        target.write_text(content, encoding="utf-8")
    with pytest.raises(ContentErrors) as caught:
        load_corpus(Path("."))
    file, line, field, fragment = expected
    matches = [p for p in caught.value.problems if p.path == file and fragment in p.message]
    assert matches, f"{name}: no problem in {file} containing {fragment!r}; got:\n{caught.value}"
    problem = matches[0]
    assert problem.field == field
    if line:
        assert problem.line == line, str(problem)
    assert str(problem).startswith(f"{file}:{line}: " if line else f"{file}: ")


def test_all_problems_are_reported_at_once(tiny: Path, monkeypatch):
    monkeypatch.chdir(tiny)
    (tiny / Q).write_text(question(level="expert", colour="x"), encoding="utf-8")
    (tiny / "01-basics" / "02-second.md").write_text(question(id="second", question="Q2?", sources="[nobody]"), encoding="utf-8")
    with pytest.raises(ContentErrors) as caught:
        load_corpus(Path("."))
    messages = str(caught.value)
    assert "'expert' is not one of" in messages and "unknown key" in messages


def test_symlink_outside_content_is_refused(tiny: Path, tmp_path: Path, monkeypatch):
    outside = tmp_path / "outside.md"
    outside.write_text(question(id="outside", question="Outside?"), encoding="utf-8")
    (tiny / "01-basics" / "05-link.md").symlink_to(outside)
    monkeypatch.chdir(tiny)
    with pytest.raises(ContentErrors) as caught:
        load_corpus(Path("."))
    assert any("outside the content folder" in p.message for p in caught.value.problems)


def test_tiny_corpus_is_valid_and_frozen(tiny: Path):
    corpus = load_corpus(tiny)
    assert [q.id for q in corpus.published] == ["first", "second"]
    assert [q.id for q in corpus.questions] == ["first", "later", "second"]  # ordered by level
    with pytest.raises(Exception):
        corpus.meta.title = "changed"  # type: ignore[misc]


def test_math_at_paragraph_start_next_to_digits_elsewhere_is_valid(tiny: Path):
    """Regression: the dollarmath plugin read the character before position 0 as the last one."""
    (tiny / Q).write_text(question(__body__="$T$ from 0.7 to 1\n\n| a |\n|---|\n| $T$ is 2 |\n\nCosts \\$5 or \\$10."), encoding="utf-8")
    load_corpus(tiny)


def test_currency_like_dollars_are_not_math(tiny: Path):
    (tiny / Q).write_text(question(__body__="It costs $5 and $10 here."), encoding="utf-8")
    with pytest.raises(ContentErrors, match="stray"):
        load_corpus(tiny)
