"""The GitHub workflows: actionlint and zizmor find nothing; actions pinned by commit; release files named with the version."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "scripts"))
from release_files import main as release_files, versioned  # noqa: E402


def workflow_files() -> list[Path]:
    return sorted(WORKFLOWS.glob("*.yml"))


def test_the_workflows_exist() -> None:
    assert {p.name for p in workflow_files()} >= {"ci.yml", "release.yml"}


def test_actionlint_finds_nothing() -> None:
    done = subprocess.run([str(BIN / "actionlint"), "-no-color", *map(str, workflow_files())],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


def test_zizmor_finds_nothing_even_pedantic() -> None:
    done = subprocess.run([str(BIN / "zizmor"), "--offline", "--persona=pedantic", "--no-progress", str(WORKFLOWS)],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0 and "No findings" in done.stdout + done.stderr, done.stdout + done.stderr


def test_zizmor_would_flag_an_unpinned_action(tmp_path: Path) -> None:
    bad = tmp_path / ".github" / "workflows"
    bad.mkdir(parents=True)
    (bad / "x.yml").write_text("name: x\non: push\npermissions: {}\njobs:\n  a:\n    name: a\n    runs-on: ubuntu-24.04\n"
                               "    steps:\n      - uses: actions/checkout@v4\n", encoding="utf-8")
    done = subprocess.run([str(BIN / "zizmor"), "--offline", "--no-progress", str(bad)], capture_output=True, text=True)
    assert done.returncode != 0


def test_every_action_is_pinned_by_commit_with_its_version_named() -> None:
    uses = [line for p in workflow_files() for line in p.read_text(encoding="utf-8").splitlines() if "uses:" in line]
    assert uses
    for line in uses:
        assert re.search(r"uses: [\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d", line), line


def test_ci_runs_make_test_and_the_staleness_check() -> None:
    ci = (WORKFLOWS / "ci.yml").read_text(encoding="utf-8")
    assert "run: make test" in ci and "studykit build --check" in ci
    assert re.search(r"^on:\n  push:\n  pull_request:", ci, re.M)


def test_release_build_is_reproducible_from_the_tagged_commit() -> None:
    release = (WORKFLOWS / "release.yml").read_text(encoding="utf-8")
    assert 'SOURCE_DATE_EPOCH="$(git log -1 --format=%ct)"' in release
    assert "tags: [\"v*\"]" in release and "permissions: {}" in release


@pytest.mark.parametrize(("name", "expected"), [
    ("guide-handout.pdf", "guide-1.2.0-handout.pdf"),
    ("guide.apkg", "guide-1.2.0.apkg"),
    ("guide.json", "guide-1.2.0.json"),
])
def test_versioned_names(name: str, expected: str) -> None:
    assert versioned(name, "guide", "1.2.0") == expected


def test_release_files_from_built_outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "output"
    out.mkdir()
    for name in ("guide.html", "guide.apkg", "guide-quiz.pdf"):
        (out / name).write_bytes(name.encode())
    assert release_files(["--version", "v2.0.1", "--output", str(out), "--into", str(tmp_path / "dist")]) == 0
    assert sorted(p.name for p in (tmp_path / "dist" / "release").iterdir()) == [
        "guide-2.0.1-quiz.pdf", "guide-2.0.1.apkg", "guide-2.0.1.html"]
    assert (tmp_path / "dist" / "site" / "index.html").read_bytes() == b"guide.html"
    assert release_files(["--version", "latest", "--output", str(out), "--into", str(tmp_path / "d2")]) == 1
    assert "not a version tag" in capsys.readouterr().err
