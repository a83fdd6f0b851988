"""A real browser (Debian's Chromium, driven by Playwright) clicks through the studio."""
import pytest

from tests.browser_helpers import BROWSER, chromium, open_page, screenshots

pytestmark = [*BROWSER, pytest.mark.slow]


@pytest.fixture
def page(studio):
    with chromium() as browser:
        yield open_page(browser, studio)


def test_generate_then_edit_in_the_browser(page, tmp_path):
    shots = screenshots(tmp_path)
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


def test_a_first_visit_meets_pictures_and_sample_examples(page, tmp_path):
    shots = screenshots(tmp_path)
    page.locator("#generate-gallery img").nth(15).wait_for()  # drawn when the page opened, no click
    page.get_by_role("tab", name="Edit").click()
    page.locator("#edit-examples img").first.click()  # a sample picture, straight into the editor
    page.locator("#edit-slider img").first.wait_for()
    page.screenshot(path=str(shots / "edit-example.png"))
    page.get_by_role("tab", name="Explore").click()
    assert page.locator("#explore-examples img").count() >= 8


def test_stop_while_waiting_in_the_queue_stops_that_run(studio, tmp_path):
    """Visitor A trains; visitor B presses Start (B's run waits for the one training slot), then Stop:
    B's run must not train once A's frees the slot (Stop is for the run that was asked for)."""
    with chromium() as browser:
        a, b = (open_page(browser, studio, context=True) for _ in range(2))
        for page in (a, b):
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


def test_patterns_trains_on_a_sample_texture_and_draws_a_tiled_preview(page, tmp_path):
    shots = screenshots(tmp_path)
    page.get_by_role("tab", name="Patterns").click()
    page.locator("#pattern-sample input").click()
    page.get_by_role("option", name="Bricks").click()
    page.get_by_text("random 128 x 128 px crops", exact=False).first.wait_for()  # Large, the default
    page.locator("#pattern-start").click()
    page.get_by_text("crops/s", exact=False).first.wait_for()
    page.locator("#pattern-stop").click()
    page.get_by_text("Draw with it below", exact=False).first.wait_for()
    assert page.locator("#pattern-crisp input").is_checked()  # the model keeps pieces of the picture
    page.locator("#pattern-draw").click()
    page.get_by_text("px, crisp detail. Seam score", exact=False).first.wait_for()
    assert page.locator("#pattern-preview img").count() == 1
    page.screenshot(path=str(shots / "patterns.png"), full_page=True)
    page.locator("#pattern-crisp input").uncheck()  # the same tile as the network draws it
    page.locator("#pattern-draw").click()
    page.get_by_text("px. Seam score", exact=False).first.wait_for()
    assert page.locator("#pattern-preview img").count() == 1
