"""Benchmark: `studykit import --dry-run` of generated documents with N question headings (prints seconds)."""
from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path


def document(questions: int) -> str:
    lines = ["# Big guide", ""]
    for number in range(questions):
        if number % 1000 == 0:
            lines += [f"## Section {number // 1000}", ""]
        lines += [f"### What is thing {number}?", "", f"Thing {number} is a *thing* with `code` and a [link](https://example.com/{number}).", ""]
    return "\n".join(lines)


def main() -> None:
    sizes = [int(arg) for arg in sys.argv[1:]] or [1000, 10_000, 100_000]
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            legacy = Path(tmp) / f"guide-{size}.md"
            legacy.write_text(document(size), encoding="utf-8")
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "builders.cli", "import", str(legacy), "--into", str(Path(tmp) / "c"), "--dry-run", "-q"],
                           check=True, capture_output=True)
            seconds = time.perf_counter() - start
            print(f"{size:>7} questions: {seconds:6.1f} s  ({seconds / size * 1000:.2f} ms per question)")


if __name__ == "__main__":
    main()
