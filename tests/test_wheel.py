"""The installable tool: a wheel built from this checkout, installed into a fresh venv, checks and builds a guide anywhere."""
from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_a_wheel_installed_in_a_fresh_venv_builds_a_guide_with_no_repository_around(tmp_path: Path) -> None:
    # Built from a copy of the tracked files: setuptools writes build/ and *.egg-info into its source tree.
    source = tmp_path / "source"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.decode()
    for name in filter(None, tracked.split("\0")):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation",
                    "--no-index", "-q", "-w", str(wheels)], check=True, capture_output=True, cwd=tmp_path)
    (wheel,) = wheels.glob("studykit-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for needed in ("builders/templates/README.md.j2", "builders/templates/html/print.css",
                   "builders/templates/anki/card.css", "builders/templates/html/web.js",
                   "builders/templates/fonts/STIXTwoText-400-normal.woff2", "schema/vendor/katex.min.js", "builders/importer/questions.py"):
        assert needed in names

    fresh = tmp_path / "fresh"
    venv.EnvBuilder(with_pip=True).create(fresh)
    python = fresh / "bin" / "python"
    # The dependencies come from the test venv (the wheel is installed with --no-deps), added after
    # the fresh venv's own site-packages; the checkout itself is on no path.
    fresh_site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                     capture_output=True, text=True, check=True).stdout.strip())
    (fresh_site / "deps.pth").write_text("\n".join(site.getsitepackages() + [sysconfig.get_paths()["purelib"]]) + "\n")
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)],
                   check=True, capture_output=True)

    work = tmp_path / "anywhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["STUDYKIT_CACHE"] = str(tmp_path / "cache")
    studykit = str(fresh / "bin" / "studykit")

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([studykit, *args], capture_output=True, text=True, cwd=work, env=env, timeout=600)

    where = subprocess.run([str(python), "-c", "import builders, builders.templating as t; print(builders.__file__, t.TEMPLATES)"],
                           capture_output=True, text=True, cwd=work, env=env, check=True).stdout
    assert str(ROOT) not in where and str(fresh) in where
    done = run("--version")
    assert done.returncode == 0 and done.stdout.startswith("studykit ")
    assert run("new", "guide", "--title", "Wheel Guide").returncode == 0
    assert run("check", "--content", "guide/content").returncode == 0
    done = run("build", "--content", "guide/content", "-j", "2")
    assert done.returncode == 0, done.stderr
    built = {p.name for p in (work / "guide" / "output").iterdir()}
    assert built == {"wheel-guide.json", "wheel-guide.html", "wheel-guide.apkg", "wheel-guide-handout.pdf",
                     "wheel-guide-quiz.pdf", "wheel-guide-cheatsheet.pdf"}
    assert (work / "guide" / "README.md").read_text(encoding="utf-8").startswith("# Wheel Guide\n")
    assert all((work / "guide" / "output" / name).stat().st_size > 1000 for name in built)
    fonts = subprocess.run([str(python), "-c", "import schema.fonts as f; print(f.BUNDLED_DIR)"],
                           capture_output=True, text=True, cwd=work, env=env, check=True).stdout
    assert str(fresh) in fonts  # the bundled text font comes from the wheel
    from pypdf import PdfReader

    names = {str(font.get_object().get("/BaseFont")) for page in PdfReader(work / "guide" / "output" / "wheel-guide-handout.pdf").pages
             for font in ((page.get("/Resources") or {}).get("/Font") or {}).values()}
    assert any("STIXTwoText" in name.replace("-", "").replace(" ", "") for name in names), names
