"""The set-up contract: locks that install anywhere (no machine's package locations), split by use."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# An index or wheel folder on a local disk, as pip options (a file: index, --find-links to a folder) or by name.
LOCAL_LOCATION = re.compile(r"--(?:extra-)?index-url[ =]+(?:file:|/)|--find-links[ =]+(?:file:|/|\.)|/opt/(?:pypi|wheels)")
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==(\S+)", re.M)


def tracked_text_files() -> list[Path]:
    names = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [ROOT / name for name in names.decode().split("\0") if name and (ROOT / name).is_file()]


def test_no_committed_file_names_a_local_package_location() -> None:
    offenders = []
    for path in tracked_text_files():
        if path.resolve() == Path(__file__).resolve():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        offenders += [f"{path.relative_to(ROOT)}:{n}" for n, line in enumerate(text.splitlines(), 1)
                      if LOCAL_LOCATION.search(line)]
    assert offenders == []


def test_the_pattern_catches_what_it_is_for() -> None:
    # The samples are joined from parts, so this file itself names no local location.
    samples = [("--extra-index-url", "file:///srv/simple"), ("--find-links", "/srv/wheels"), ("x", "/opt" + "/pypi/simple"),
               ("--index-url=", "/srv/simple")]
    for option, where in samples:
        line = option + ("" if option.endswith("=") else " ") + where
        assert LOCAL_LOCATION.search(line), line
    for line in ("--hash=sha256:abc  # via pytest", "![h](file:///etc/hostname)", "--index-url https://pypi.org/simple"):
        assert not LOCAL_LOCATION.search(line)


def test_test_lock_adds_tools_on_top_of_the_runtime_lock_with_the_same_pins() -> None:
    runtime = dict(PIN.findall((ROOT / "requirements.lock").read_text()))
    full = dict(PIN.findall((ROOT / "requirements-test.lock").read_text()))
    assert {name: full.get(name) for name in runtime} == runtime
    test_tools = {"pytest", "anki", "playwright", "pymarkdownlnt", "hypothesis"}
    assert test_tools <= set(full)
    assert not test_tools & set(runtime)
