"""The slugger against vectors produced by the real github-slugger (npm) and mdast."""
from __future__ import annotations

import json
from pathlib import Path

from builders.slugger import Slugger, heading_anchor, slug

VECTORS = json.loads((Path(__file__).parent / "data" / "github-slugger-vectors.json").read_text(encoding="utf-8"))


def test_there_are_enough_real_vectors():
    assert len(VECTORS["plain"]) + sum(len(d["expected"]) for d in VECTORS["markdown"]) >= 30


def test_plain_vectors_in_order_with_one_slugger():
    slugger = Slugger()
    got = [(v["input"], slugger.slug(v["input"])) for v in VECTORS["plain"]]
    assert got == [(v["input"], v["expected"]) for v in VECTORS["plain"]]


def test_markdown_heading_vectors():
    for doc in VECTORS["markdown"]:
        slugger = Slugger()
        headings = [line.lstrip("#").strip().rstrip("#").strip() for line in doc["markdown"]]
        assert [heading_anchor(slugger, h) for h in headings] == doc["expected"]


def test_specific_rules_from_the_design():
    assert slug("O(n²)") == "on"
    assert slug("Why √dₖ?") == "why-dₖ"
    assert slug("a — b") == "a--b"
    assert slug("What’s new") == "whats-new"
    assert slug("x½ y₁") == "x-y"
