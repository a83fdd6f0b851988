"""A real browser (Debian's Chromium via Playwright): a starred image survives a page reload, because
its recipe sits in the browser's localStorage and the page redraws it on load."""
import pytest
from tests.browser_helpers import BROWSER, chromium, open_page, screenshots

pytestmark = [*BROWSER, pytest.mark.slow]


def test_a_favourite_survives_a_reload(studio, tmp_path):
    from playwright.sync_api import expect

    shots = screenshots(tmp_path)
    with chromium() as browser:
        page = open_page(browser, studio)
        page.locator("#generate-button").click()
        page.locator("#generate-gallery img").nth(3).wait_for()

        page.get_by_role("tab", name="History").click()
        page.locator("#history-gallery img").first.wait_for()
        page.locator("#history-gallery img").nth(1).click()  # seed 14 of 0..15: the second newest
        expect(page.locator("#history-picked input")).to_have_value("2")
        page.locator("#star-button").click()
        expect(page.locator("#favourites-status")).to_contain_text("1 favourites")
        page.locator("#favourites-gallery img").first.wait_for()
        page.screenshot(path=str(shots / "starred.png"))

        page.reload(wait_until="domcontentloaded")
        page.get_by_role("tab", name="History").click()
        expect(page.locator("#favourites-status")).to_contain_text("1 favourites, redrawn from their recipes")
        page.locator("#favourites-gallery img").first.wait_for()
        assert page.locator("#favourites-gallery").get_by_text("seed 14").count() >= 1
        page.screenshot(path=str(shots / "after-reload.png"))
