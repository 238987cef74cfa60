"""Headless Chromium for the browser tests: a page fixture per viewport and colour scheme, screenshots kept on failure."""
from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
VIEWPORTS = {"phone": (390, 844), "desktop": (1280, 900)}
# Flags for a closed network and a root user (see the machine notes): no sandbox, no background traffic.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str:
    """The Chromium binary: $STUDYKIT_CHROMIUM, else chromium on PATH; fails (never skips) without one."""
    found = os.environ.get("STUDYKIT_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("Chromium is needed for the browser tests: apt-get install chromium, or set STUDYKIT_CHROMIUM")
    return found


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the whole session."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def open_page(browser: Browser, request: pytest.FixtureRequest) -> Iterator:
    """open_page(url, viewport="phone"|"desktop", scheme="light"|"dark", javascript=True) -> Page.

    Every page opened is screenshotted into test-artifacts/ when the test fails.
    """
    opened: list[tuple[str, Page]] = []

    def opener(url: str, viewport: str = "desktop", scheme: str = "light", javascript: bool = True) -> Page:
        width, height = VIEWPORTS[viewport]
        context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme,
                                      java_script_enabled=javascript)
        page = context.new_page()
        page.goto(url)
        opened.append((f"{viewport}-{scheme}{'' if javascript else '-nojs'}", page))
        return page

    yield opener
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for label, page in opened:
        if failed:
            ARTIFACTS.mkdir(exist_ok=True)
            name = re.sub(r"[^\w.-]+", "_", f"{request.node.name}-{label}")[:150]
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        page.context.close()
