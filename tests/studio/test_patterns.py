"""The Patterns tab through a real client: check a picture's crops, train a texture model, draw a tile and
a morph strip, download the PNG with its recipe, send it to Edit; image tabs refuse texture models."""
from __future__ import annotations

import numpy as np
import pytest
from gradio_client import handle_file
from PIL import Image

import genmodels
import postprocess
from studio import patterns_tab
from tests.app_harness import pixels

pytestmark = pytest.mark.slow  # starts the studio and trains in it


def _bricks(path):
    img = np.full((120, 200, 3), 170, np.uint8)
    for row, y in enumerate(range(0, 120, 24)):
        for x in range(-(row % 2) * 20, 200, 40):
            img[y + 3:y + 21, max(0, x + 3):max(0, x + 37)] = (180 - 6 * row, 60, 40)
    Image.fromarray(img).save(path)
    return str(path)


def test_the_large_pattern_size_learns_from_128_px_crops(client, tmp_path):
    picture = [handle_file(_bricks(tmp_path / "bricks.png"))]
    report, crops = client.predict(picture, 256, 0, "texture-large", api_name="/check_texture")
    assert "random 128 x 128 px crops" in report and pixels(crops).ndim == 3
    report, _ = client.predict(picture, 256, 0, "texture", api_name="/check_texture")
    assert "random 64 x 64 px crops" in report


def test_train_a_texture_then_draw_tiles_and_strips(client, tmp_path):
    picture = [handle_file(_bricks(tmp_path / "bricks.png"))]
    report, crops = client.predict(picture, 256, 0, api_name="/check_texture")  # Large, the tab's default
    assert "random 128 x 128 px crops" in report and pixels(crops).ndim == 3
    job = client.submit(picture, 256, 0.5, 0, api_name="/train_texture")
    for update in job:
        if "Step" in update[0]:
            client.predict(api_name="/stop_texture")
            break
    status, _, _, zip_path, picker, _, quality = job.result()
    assert "Draw with it below" in status and zip_path.endswith(".zip")
    assert "Texture fidelity" in quality and picker["value"] == "session:my-texture-1"

    preview, info, png = client.predict("session:my-texture-1", 3, 256, False, api_name="/draw_texture")
    assert pixels(preview).shape == (768, 768, 3) and "Seam score" in info  # the tile repeated 3 x 3
    tile = np.asarray(Image.open(png).convert("RGB"))
    assert tile.shape == (256, 256, 3)
    assert np.array_equal(pixels(preview)[:256, :256], tile) and np.array_equal(pixels(preview)[256:512, :256], tile)
    recipe = postprocess.read_png_recipe(png)["recipe"]
    assert recipe["seed"] == 3 and recipe["texture_size"] == 256 and "model_key" not in recipe
    assert "crisp" not in recipe

    preview, info, png = client.predict("session:my-texture-1", 3, 256, api_name="/draw_texture")  # crisp: default
    crisp = np.asarray(Image.open(png).convert("RGB"))
    assert "crisp detail" in info and crisp.shape == tile.shape and not np.array_equal(crisp, tile)
    assert np.array_equal(pixels(preview)[256:512, 256:512], crisp)
    assert postprocess.read_png_recipe(png)["recipe"]["crisp"] is True

    strip, info, png = client.predict("session:my-texture-1", 0, 1, 512, api_name="/morph_texture")
    assert pixels(strip).shape == (256, 512, 3) and "seed 1 (right)" in info and "crisp detail" in info
    assert postprocess.read_png_recipe(png)["recipe"] | {"morph_to": 1, "crisp": True} == \
        postprocess.read_png_recipe(png)["recipe"]  # strips are crisp by default, as tiles are
    plain, info, _ = client.predict("session:my-texture-1", 0, 1, 512, False, api_name="/morph_texture")
    assert "crisp" not in info and not np.array_equal(pixels(plain), pixels(strip))

    before, _ = client.predict(api_name="/texture_to_edit")[0]  # (and the Edit tab opens)
    assert pixels(before).shape[:2] == (256, 512)
    with pytest.raises(Exception, match="texture model"):  # Generate says where textures are drawn
        client.predict("session:my-texture-1", 2, 0, 1.0, api_name="/generate")


def test_bad_requests_get_one_sentence(client):
    with pytest.raises(Exception, match="Train a texture model first"):
        client.predict(None, 0, 256, api_name="/draw_texture")
    with pytest.raises(Exception, match="not in the list of choices"):  # the picker offers texture models only
        client.predict("builtin:tiny-gan", 0, 256, api_name="/draw_texture")
    with pytest.raises(Exception, match="Add a picture"):
        client.predict([], 256, 0.5, 0, api_name="/train_texture")


def test_only_the_sample_textures_can_be_picked_by_path(client):
    sample = str(sorted(genmodels.SAMPLE_TEXTURES.glob("*.png"))[0])
    files = client.predict(sample, api_name="/use_sample_texture")
    assert len(files) == 1
    assert patterns_tab.use_sample("/etc/passwd") is None


def test_crisp_detail_is_offered_only_for_a_model_that_keeps_swatches(tmp_path):
    import torch

    from genmodels.storage.swatches import save_swatches
    from tests.train_helpers import texture_folder

    folder = texture_folder(tmp_path / "t")

    class Catalog:  # the one call crisp_choice makes
        def folder(self, session, key):
            return str(folder)

    off = patterns_tab.crisp_choice(Catalog(), None, "session:t")
    assert off["value"] is False and off["interactive"] is False and "no pieces" in off["info"]
    save_swatches(folder, torch.zeros(4, 3, 64, 64, dtype=torch.uint8))
    on = patterns_tab.crisp_choice(Catalog(), None, "session:t")  # the cached model reloads with them
    assert on["value"] is True and on["interactive"] is True


def test_the_last_seconds_of_a_run_say_that_saving_follows():
    from genmodels.training.progress import TrainEvent

    def event(eta):
        return TrainEvent("progress", 40, 0, 0.5, 30.0, eta, 61.0)

    assert patterns_tab.progress_text(event(60)) == "Training… Step 40 · 61 crops/s · 1:00 left"
    assert patterns_tab.progress_text(event(3)).endswith("0:03 left · " + patterns_tab.FINISHING_NOTE)
    assert "estimating" in patterns_tab.progress_text(event(None))
