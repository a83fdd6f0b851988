"""A labelled model in the running studio: the class pickers, "one of each class", labels in recipes
and PNG restore, blends between classes, through gradio_client and a real browser."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from gradio_client import Client, handle_file
from PIL import Image

from genmodels.models.gan import Generator
from genmodels.storage.store import save_model
from tests.app_harness import pixels, serving, tiny_weights
from tests.browser_helpers import chromium, needs_chromium, open_page, screenshots
from tests.conftest import TINY_GAN

pytestmark = pytest.mark.slow  # starts the studio
CLASSES = ["cats", "dogs", "fish"]


@pytest.fixture(scope="module")
def labelled_studio(tmp_path_factory):
    weights = tiny_weights(tmp_path_factory.mktemp("weights"))
    cfg = TINY_GAN.__class__(**{**TINY_GAN.__dict__, "classes": tuple(CLASSES)})
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(1)
        save_model(weights / "pets", Generator(cfg).eval(), cfg, {"name": "Pets", "preset": "custom"})
    with serving(weights) as url:
        yield url


@pytest.fixture
def client(labelled_studio):
    return Client(labelled_studio, verbose=False)


def test_the_class_picker_follows_the_model(client):
    picker, each, strength = client.predict("builtin:pets", "", api_name="/model_classes")
    assert picker["visible"] and [value for _, value in picker["choices"]] == ["", *CLASSES]
    assert each["visible"] and strength["visible"]
    picker, each, strength = client.predict("builtin:tiny-gan", "dogs", api_name="/model_classes")
    assert not picker["visible"] and picker["value"] == "" and not each["visible"] and not strength["visible"]


def test_a_class_is_drawn_recorded_and_restored_from_the_png(client):
    gallery, info = client.predict("builtin:pets", 3, 5, 1.0, "dogs", False, api_name="/generate")
    assert [item["caption"] for item in gallery] == ["seed 5, dogs", "seed 6, dogs", "seed 7, dogs"]
    png = client.predict(1, api_name="/download_png")
    text = " ".join(Image.open(png).text.values())  # the PNG's recipe chunk
    assert '"label": "dogs"' in text and '"seed": 5' in text, text
    client.predict("builtin:tiny-gan", 2, 0, 1.0, "", False, api_name="/generate")  # something else
    shown, _, model, seed, _, label, strength, restored = client.predict(handle_file(png), api_name="/restore_png")
    assert model == "builtin:pets" and seed == 5 and label["value"] == "dogs" and label["visible"]
    assert strength["value"] == 1.0 and "class dogs" in restored


def test_a_class_strength_is_drawn_recorded_and_restored(client):
    plain, _ = client.predict("builtin:pets", 1, 5, 1.0, "dogs", False, 1.0, api_name="/generate")
    strong, info = client.predict("builtin:pets", 1, 5, 1.0, "dogs", False, 2.5, api_name="/generate")
    assert "class strength 2.5" in info
    assert not np.array_equal(pixels(plain[0]), pixels(strong[0]))  # the class weights moved the picture
    png = client.predict(1, api_name="/download_png")
    assert '"class_strength": 2.5' in " ".join(Image.open(png).text.values())
    client.predict("builtin:pets", 1, 5, 1.0, "dogs", False, 1.0, api_name="/generate")
    shown, *_, strength, restored = client.predict(handle_file(png), api_name="/restore_png")
    assert strength["value"] == 2.5 and "class strength 2.5" in restored
    assert np.array_equal(pixels(shown[0]), pixels(strong[0]))  # the recipe draws the same picture again
    with pytest.raises(Exception):  # past the slider's 3
        client.predict("builtin:pets", 1, 5, 1.0, "dogs", False, 9.0, api_name="/generate")


def test_one_of_each_class_from_one_seed(client):
    gallery, _ = client.predict("builtin:pets", 16, 9, 1.0, "", True, api_name="/generate")
    assert [item["caption"] for item in gallery] == [f"seed 9, {c}" for c in CLASSES]


def test_a_blend_turns_one_class_into_another(client):
    strip, gif, video, files = client.predict("builtin:pets", "seeds", 4, 4, None, None, 5, "smooth", False, 10,
                                              "cats", "fish", api_name="/blend")
    assert Image.open(strip["path"] if isinstance(strip, dict) else strip).size[0] > 5 * 32


def test_a_class_the_model_does_not_have_is_refused(client):
    with pytest.raises(Exception):
        client.predict("builtin:pets", 2, 0, 1.0, "birds", False, api_name="/generate")
    with pytest.raises(Exception, match="not trained with classes"):
        client.predict("builtin:tiny-gan", 2, 0, 1.0, "dogs", False, api_name="/generate")


@needs_chromium
def test_picking_a_class_in_the_browser(labelled_studio, tmp_path):
    shots = screenshots(tmp_path)
    with chromium() as browser:
        page = open_page(browser, labelled_studio)
        page.locator("#generate-gallery img").first.wait_for()
        page.locator("#generate-class input").wait_for()  # the first model (Pets) is labelled: picker shown
        page.locator("#generate-class-strength input[type=range]").wait_for()  # and its class strength
        page.locator("#model-picker input").click()
        page.get_by_role("option", name="Tiny GAN (built-in)").click()
        page.locator("#generate-class").wait_for(state="detached")  # an unlabelled model: no picker
        page.locator("#generate-class-strength").wait_for(state="detached")
        page.locator("#model-picker input").click()
        page.get_by_role("option", name="Pets (built-in)").click()
        page.locator("#generate-class input").click()
        page.get_by_role("option", name="fish", exact=True).click()
        page.locator("#generate-button").click()
        page.get_by_text("seed 0, fish", exact=False).first.wait_for()
        page.locator("#generate-each input").check()
        page.locator("#generate-button").click()
        page.get_by_text("seed 0, cats", exact=False).first.wait_for()
        page.screenshot(path=str(shots / "labelled-generate.png"), full_page=True)
        assert page.locator("#generate-gallery img").count() == 3
