"""A real browser (Debian's Chromium, driven by Playwright) clicks through the studio."""
import os
import shutil
from pathlib import Path

import pytest


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (apt-get install chromium)")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        yield page
        browser.close()


def test_generate_then_edit_in_the_browser(studio, page, tmp_path):
    shots = Path(os.environ.get("LS_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    page.set_default_timeout(60_000)  # CI machines are small and may be busy
    page.goto(studio, wait_until="domcontentloaded")
    page.locator("#generate-button").click()
    images = page.locator("#generate-gallery img")
    images.nth(15).wait_for()
    assert images.count() >= 16
    page.screenshot(path=str(shots / "generate.png"))

    images.first.click()
    page.get_by_role("button", name="Edit this image").click()
    page.locator("#edit-slider img").first.wait_for()
    page.locator("#add-brightness").click()
    page.get_by_text("Brightness amount", exact=False).first.wait_for()
    page.screenshot(path=str(shots / "edit.png"))
    assert page.locator("#edit-slider img").count() >= 1


def test_stop_while_waiting_in_the_queue_stops_that_run(studio, tmp_path):
    """Visitor A trains; visitor B presses Start (B's run waits for the one training slot), then Stop:
    B's run must not train once A's frees the slot (Stop is for the run that was asked for)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        a, b = (browser.new_context(viewport={"width": 1400, "height": 1000}).new_page() for _ in range(2))
        for page in (a, b):
            page.set_default_timeout(60_000)
            page.goto(studio, wait_until="domcontentloaded")
            page.get_by_role("tab", name="Train").click()
            page.get_by_role("button", name="Use the sample images (emoji)").click()
            page.get_by_text("pictures ready", exact=False).first.wait_for()
        a.locator("#train-start").click()
        a.get_by_text("images/s", exact=False).first.wait_for()  # A holds the slot and is training
        b.locator("#train-start").click()
        b.get_by_role("button", name="Stop", exact=True).click()
        a.get_by_role("button", name="Stop", exact=True).click()
        a.get_by_text("Your model is now in the model picker", exact=False).first.wait_for()
        b.get_by_text("Stopped before training started.", exact=False).first.wait_for()
        assert b.get_by_text("Your model is now in the model picker", exact=False).count() == 0
        browser.close()
