"""Release files: every built output renamed with the version, and the web page as a Pages site."""
from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

VERSION = re.compile(r"v?(\d+\.\d+\.\d+(?:[-.+][0-9A-Za-z.]+)?)")


def versioned(name: str, slug: str, version: str) -> str:
    """`slug-handout.pdf` -> `slug-1.2.0-handout.pdf`; `slug.apkg` -> `slug-1.2.0.apkg`."""
    if name.startswith(slug + "-"):
        return f"{slug}-{version}-{name[len(slug) + 1:]}"
    if name.startswith(slug + "."):
        return f"{slug}-{version}{name[len(slug):]}"
    raise ValueError(f"{name!r} is not an output of the guide {slug!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--version", required=True, help="the release tag, e.g. v1.2.0")
    parser.add_argument("--output", type=Path, default=Path("output"), help="the built outputs (default: output)")
    parser.add_argument("--into", type=Path, required=True, help="writes INTO/release/ and INTO/site/")
    args = parser.parse_args(argv)
    match = VERSION.fullmatch(args.version)
    if not match:
        print(f"Error: --version: {args.version!r} is not a version tag like v1.2.0", file=sys.stderr)
        return 1
    pages = sorted(args.output.glob("*.html"))
    if len(pages) != 1:
        print(f"Error: {args.output}: expected one built web page, found {len(pages)} (run `make` first)", file=sys.stderr)
        return 1
    slug = pages[0].stem
    release, site = args.into / "release", args.into / "site"
    for folder in (release, site):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    for path in sorted(args.output.iterdir()):
        if path.is_file():
            shutil.copyfile(path, release / versioned(path.name, slug, match.group(1)))
    shutil.copyfile(pages[0], site / "index.html")
    print(f"{len(list(release.iterdir()))} release files in {release}, the web page in {site / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
