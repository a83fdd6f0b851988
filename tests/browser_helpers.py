"""A real browser for the UI tests: Debian's Chromium driven by Playwright, launched one way everywhere.

Use `needs_chromium` on a browser test (or `pytestmark = BROWSER` for a module), `chromium()` for a browser that is closed afterwards,
`open_page(browser, url)` for a page already on the studio, and `screenshots(tmp_path)` for where
pictures go (LS_SCREENSHOTS, when set, keeps them after the run)."""
from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
_skip_without_chromium = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                            reason="needs Debian's chromium (apt-get install chromium)")
BROWSER = [pytest.mark.browser, _skip_without_chromium]  # a whole module's pytestmark


def needs_chromium(test):
    """A browser test (marker `browser`), skipped where Debian's chromium is missing."""
    return pytest.mark.browser(_skip_without_chromium(test))
TIMEOUT_MS = 60_000  # CI machines are small and may be busy


def screenshots(tmp_path: Path) -> Path:
    """The folder screenshots go in: $LS_SCREENSHOTS when set, else the test's tmp_path."""
    shots = Path(os.environ.get("LS_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    return shots


@contextmanager
def chromium() -> Iterator["playwright.sync_api.Browser"]:  # noqa: F821 (imported lazily)
    """A headless Chromium for the length of the block."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def open_page(browser, url: str, height: int = 1000, context: bool = False):
    """A 1400 x `height` page on `url` with the slow-machine timeout. context=True gives the page its
    own browser context (its own storage), so two pages act as two visitors."""
    viewport = {"width": 1400, "height": height}
    page = browser.new_context(viewport=viewport).new_page() if context else browser.new_page(viewport=viewport)
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url, wait_until="domcontentloaded")
    return page
