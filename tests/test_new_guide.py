"""`studykit new DIR` and `--version`: a new guide checks and builds at once; a guide's README is about the guide."""
from __future__ import annotations

from pathlib import Path

import yaml

from builders.cli import version


def test_version_is_the_installed_packages(run, capsys) -> None:
    code, out, _ = run("--version")
    assert code == 0 and out.strip() == f"studykit {version()}"
    assert version()[0].isdigit()


def test_new_guide_checks_and_builds_at_once(tmp_path: Path, run) -> None:
    guide = tmp_path / "ml-notes"
    code, _, err = run("new", str(guide), "--author", "Ada Lovelace")
    assert code == 0 and "studykit check --content" in err
    content = guide / "content"
    meta = yaml.safe_load((content / "corpus.yaml").read_text(encoding="utf-8"))
    assert meta["title"] == "Ml Notes" and meta["slug"] == "ml-notes" and meta["author"] == "Ada Lovelace"
    questions = sorted(content.glob("*/*.md"))
    levels = [yaml.safe_load(q.read_text(encoding="utf-8").split("---")[1])["level"] for q in questions]
    assert levels == ["basic", "intermediate", "advanced"]
    assert "studykit build --content content" in (guide / "README.md").read_text(encoding="utf-8")
    assert run("check", "--content", str(content))[0] == 0
    code, _, err = run("build", "readme", "json", "html", "anki", "--content", str(content))
    assert code == 0, err
    assert {p.name for p in (guide / "output").iterdir()} == {"ml-notes.json", "ml-notes.html", "ml-notes.apkg"}
    readme = (guide / "README.md").read_text(encoding="utf-8")
    assert "## Contents" in readme and "What does a question file hold?" in readme


def test_a_guides_readme_documents_the_guide_not_this_repository(tmp_path: Path, run) -> None:
    guide = tmp_path / "g"
    assert run("new", str(guide), "--title", "Graph Theory", "--slug", "graphs")[0] == 0
    assert run("build", "readme", "--content", str(guide / "content"))[0] == 0
    readme = (guide / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("# Graph Theory\n")
    for repo_only in ("make test", "## Quick start", "## Prerequisites", "## About this repository", "`schema/`"):
        assert repo_only not in readme
    assert "`studykit build --content content`" in readme and "output/graphs.apkg" in readme


def test_new_refuses_a_non_empty_folder_and_a_bad_slug(tmp_path: Path, run) -> None:
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine", encoding="utf-8")
    code, _, err = run("new", str(busy))
    assert code == 1 and "is not empty" in err and "Traceback" not in err
    assert [p.name for p in busy.iterdir()] == ["notes.txt"]
    code, _, err = run("new", str(tmp_path / "x"), "--slug", "Bad Slug")
    assert code == 1 and "--slug" in err and not (tmp_path / "x").exists()
    (tmp_path / "file").write_text("", encoding="utf-8")
    assert run("new", str(tmp_path / "file"))[0] == 1


def test_new_accepts_an_existing_empty_folder(tmp_path: Path, run) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run("new", str(empty), "--title", "Empty: a guide")[0] == 0
    meta = yaml.safe_load((empty / "content" / "corpus.yaml").read_text(encoding="utf-8"))
    assert meta["title"] == "Empty: a guide" and meta["slug"] == "empty-a-guide"
