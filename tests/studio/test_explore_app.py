"""The Explore tab through the running app: gradio_client for every endpoint, Chromium for a live slider.

The studio here serves the lively tiny GAN (tests/explore_helpers.py): the conftest one draws
near-flat grey, where "the picture changed" would be a one-level flicker."""
import json

import numpy as np
import pytest
from gradio_client import handle_file
from PIL import Image

from tests.app_harness import pixels, serving
from tests.browser_helpers import chromium, needs_chromium, open_page, screenshots
from tests.explore_helpers import explore_weights

pytestmark = pytest.mark.slow  # starts the studio

GAN = "builtin:tiny-gan"
ZERO = [0.0] * 8


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    """This module's studio (and so conftest's `client`) serves the lively tiny GAN."""
    with serving(explore_weights(tmp_path_factory.mktemp("explore-weights"))) as url:
        yield url


def test_explore_the_selected_image_then_keep_the_result(client):
    gallery, _ = client.predict(GAN, 4, 10, 1.0, api_name="/generate")
    started = client.predict(api_name="/explore_use_selected")
    base, info = started[0], started[2]
    assert np.array_equal(pixels(base), pixels(gallery[0]["image"])) and "seed 10" in info
    assert all(s is not None for s in started[12:20])  # one preview strip per direction
    moved = client.predict(2.0, *ZERO[1:], api_name="/explore_move")
    assert np.abs(pixels(moved).astype(int) - pixels(base).astype(int)).mean() > 3
    assert np.array_equal(pixels(client.predict(*ZERO, api_name="/explore_move")), pixels(base))

    end = client.predict(-1.5, *ZERO[1:], api_name="/explore_blend_to")
    start = client.predict(*ZERO, api_name="/explore_blend_from")
    # Blend shows its ends as lossy WEBP: compare with Generate's own "Blend from this" of the same pick
    same = client.predict(api_name="/blend_from_this")  # the selected pick: the starting image
    assert np.array_equal(pixels(start), pixels(same)) and not np.array_equal(pixels(end), pixels(same))

    gallery, info = client.predict(2.0, *ZERO[1:], api_name="/explore_to_gallery")
    assert len(gallery) == 5 and gallery[-1]["caption"] == "explored image"
    assert np.array_equal(pixels(gallery[-1]["image"]), pixels(moved))
    recipe = json.loads(Image.open(client.predict(1, api_name="/download_png")).text["latent_studio_recipe"])
    assert recipe["directions"] == {"1": 2.0} and recipe["explored_from"]["seed"] == 10 and len(recipe["latent"]) == 16
    strip, gif, _, _ = client.predict(GAN, "picks", 1, 2, None, None, 3, "smooth", False, 10,
                                      api_name="/blend")
    assert Image.open(gif).n_frames == 3
    view, stack = client.predict(1.0, *ZERO[1:], api_name="/explore_to_edit")  # (and the Edit tab opens)
    assert view is not None and "No edits" in stack


def test_find_a_picture_in_a_gan_then_move_it(client, tmp_path):
    gallery, _ = client.predict(GAN, 1, 33, 1.0, api_name="/generate")
    picture = tmp_path / "mine.png"
    Image.fromarray(np.kron(pixels(gallery[0]["image"]), np.ones((2, 2, 1), np.uint8))).save(picture)  # 64 px
    started = client.predict(GAN, handle_file(str(picture)), 0, api_name="/explore_find")
    found, quality = started[1], started[3]
    assert "Similarity" in quality and float(quality.split("Similarity ")[1].split("%")[0]) >= 80
    assert np.abs(pixels(found).astype(int) - pixels(gallery[0]["image"]).astype(int)).mean() < 12
    moved = client.predict(0.0, 0.0, 2.5, *ZERO[3:], api_name="/explore_move")
    assert not np.array_equal(pixels(moved), pixels(found))
    reset = client.predict(api_name="/explore_reset")
    assert np.array_equal(pixels(reset[0]), pixels(found)) and all(v == 0 for v in reset[1:])
    gallery, _ = client.predict(*ZERO, api_name="/explore_to_gallery")
    assert gallery[-1]["caption"] == "your picture, found in the model"


def test_explore_refuses_with_one_sentence(client, tmp_path):
    with pytest.raises(Exception, match="Start from an image"):
        client.predict(1.0, *ZERO[1:], api_name="/explore_move")
    with pytest.raises(Exception, match="Upload a picture"):
        client.predict(GAN, None, 0, api_name="/explore_find")
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not a picture at all")
    with pytest.raises(Exception) as refused:
        client.predict(GAN, handle_file(str(junk)), 0, api_name="/explore_find")
    assert "Traceback" not in str(refused.value)
    client.predict(GAN, 1, 0, 1.0, api_name="/generate")
    client.predict(api_name="/explore_use_selected")
    with pytest.raises(Exception, match="greater than maximum"):  # the slider itself refuses it
        client.predict(7.0, *ZERO[1:], api_name="/explore_move")


@needs_chromium
def test_a_direction_slider_moves_the_image_in_the_browser(studio, tmp_path):
    shots = screenshots(tmp_path)
    with chromium() as browser:
        page = open_page(browser, studio, height=1100)
        page.locator("#generate-button").click()
        page.locator("#generate-gallery img").nth(15).wait_for()
        page.get_by_role("tab", name="Explore").click()
        page.locator("#explore-use-selected").click()
        result = page.locator("#explore-result img")
        result.wait_for()
        before = result.get_attribute("src")
        number = page.locator("#explore-direction-1 input[type=number]")
        number.fill("2.5")
        number.press("Enter")
        page.wait_for_function("(old) => { const img = document.querySelector('#explore-result img');"
                               " return img && img.src !== old; }", arg=before)
        page.screenshot(path=str(shots / "explore.png"))
        after = result.get_attribute("src")
    assert after != before
