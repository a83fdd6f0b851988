"""The studio driven through gradio_client, as an engineer's script (or the browser) would."""
import json
import zipfile

import numpy as np
import pytest
from gradio_client import Client, handle_file
from PIL import Image

from tests.app_harness import pixels
from tests.train_helpers import write_discs

pytestmark = pytest.mark.slow  # starts the studio and trains in it


def test_generate_is_reproducible_and_variations_follow(client):
    gallery, info = client.predict("builtin:tiny-gan", 6, 10, 1.0, api_name="/generate")
    assert len(gallery) == 6 and gallery[2]["caption"] == "seed 12" and "Seed 10" in info
    again, _ = client.predict("builtin:tiny-gan", 1, 12, 1.0, api_name="/generate")
    assert np.array_equal(pixels(gallery[2]["image"]), pixels(again[0]["image"]))
    more, _ = client.predict("builtin:tiny-gan", 0.3, api_name="/variations")
    assert len(more) == 9 and "variation" in more[1]["caption"]


def test_download_png_carries_the_recipe_and_zip_holds_the_batch(client):
    client.predict("builtin:tiny-gan", 4, 7, 0.8, api_name="/generate")
    png = client.predict(2, api_name="/download_png")
    image = Image.open(png)
    assert image.size == (64, 64)
    recipe = json.loads(image.text["latent_studio_recipe"])
    assert recipe["seed"] == 7 and recipe["variety"] == 0.8 and recipe["model"] == "Tiny GAN"
    with zipfile.ZipFile(client.predict(api_name="/download_zip")) as zf:
        names = zf.namelist()
    assert len([n for n in names if n.endswith(".png")]) == 4 and "recipes.json" in names


def test_blend_seeds_writes_strip_gif_and_mp4(client):
    strip, gif, video, files = client.predict("builtin:tiny-gan", "seeds", 1, 2, None, None, 5, "smooth", True,
                                              10, api_name="/blend")
    assert pixels(strip).shape[1] > 5 * 32
    assert Image.open(gif).n_frames == 8  # 5 there, 3 back
    assert len(files) == 3


def test_blend_pictures_needs_a_vae(client, tmp_path):
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    Image.new("RGB", (50, 40), "red").save(a)
    Image.new("RGB", (40, 50), "blue").save(b)
    args = ["pictures", 1, 2, handle_file(str(a)), handle_file(str(b)), 4, "linear", False, 10]
    with pytest.raises(Exception, match="VAE"):
        client.predict("builtin:tiny-gan", *args, api_name="/blend")
    strip, gif, video, files = client.predict("builtin:tiny-vae", *args, api_name="/blend")
    assert Image.open(gif).n_frames == 4


def test_out_of_range_and_unknown_values_are_refused(client):
    with pytest.raises(Exception):
        client.predict("builtin:tiny-gan", 500, 0, 1.0, api_name="/generate")
    with pytest.raises(Exception, match="choices"):
        client.predict("builtin:../../etc", 4, 0, 1.0, api_name="/generate")
    with pytest.raises(Exception):
        client.predict("builtin:tiny-gan", 4, 0, float("nan"), api_name="/generate")


def test_sessions_do_not_share_images(studio):
    alice, bob = Client(studio, verbose=False), Client(studio, verbose=False)
    alice.predict("builtin:tiny-gan", 3, 0, 1.0, api_name="/generate")
    with pytest.raises(Exception, match="Select an image"):
        bob.predict(1, api_name="/download_png")


def test_edit_stack_and_download(client, tmp_path):
    src = tmp_path / "photo.png"
    Image.fromarray(np.tile(np.linspace(0, 255, 80, dtype=np.uint8), (60, 1))[..., None].repeat(3, 2)).save(src)
    before_after, stack = client.predict(handle_file(str(src)), api_name="/edit_load")
    _, stack = client.predict(1.4, api_name="/add_contrast")
    _, stack = client.predict(0.5, 0.6, 0.5, api_name="/add_vignette")
    assert "Contrast" in stack and "Vignette" in stack
    _, stack = client.predict(1, api_name="/edit_remove")
    assert "Contrast" not in stack
    saved = Image.open(client.predict(api_name="/edit_download"))
    assert json.loads(saved.text["latent_studio_edits"])["edits"][0]["name"] == "vignette"
    with pytest.raises(Exception, match="maximum"):
        client.predict(99.0, api_name="/add_contrast")


def test_export_then_import_a_model(client):
    path = client.predict("builtin:tiny-vae", api_name="/export_model")
    with zipfile.ZipFile(path) as zf:
        assert {n.split("/")[-1] for n in zf.namelist()} >= {"config.json", "model.safetensors", "README.md"}
    message, picker = client.predict(handle_file(path), api_name="/import_model")
    assert "Imported" in message


def test_a_short_training_run_stops_and_lands_in_the_picker(client, tmp_path):
    pictures = [handle_file(str(p)) for p in sorted(write_discs(tmp_path / "pics", n=12).glob("*.png"))]
    report, seen, augmented = client.predict(pictures, "gan", 32, False, "crop", api_name="/check_pictures")
    assert "12 pictures ready" in report
    job = client.submit(pictures, "gan", 32, False, "crop", "small-data", 0.5, 0, 8, api_name="/train")
    for update in job:
        if "Step" in update[0]:
            client.predict(api_name="/stop_training")
            break
    final = job.result()
    assert "model picker" in final[0] and final[3].endswith(".zip")
    assert "Quality check" in final[5] and "near copies" in final[5]
    gallery, _ = client.predict("session:my-dcgan-32-1", 2, 0, 1.0, api_name="/generate")
    assert len(gallery) == 2
    picture, verdict = client.predict(api_name="/nearest_training_picture")
    assert "Closest training picture: disc_" in verdict and "similarity" in verdict


def test_originality_check_needs_a_model_trained_here(client):
    client.predict("builtin:tiny-gan", 2, 0, 1.0, api_name="/generate")
    with pytest.raises(Exception, match="trained in this session"):
        client.predict(api_name="/nearest_training_picture")


def test_every_seed_field_allows_exactly_what_the_api_accepts(tmp_path):
    import gradio as gr

    import app
    import genmodels
    from tests.app_harness import tiny_weights

    demo = app.build_demo(tiny_weights(tmp_path))
    maxima = [c.maximum for c in demo.blocks.values() if isinstance(c, gr.Number) and "seed" in (c.label or "").lower()]
    assert len(maxima) >= 6  # Generate, Blend x 2, Train, Explore's search, Paths
    assert set(maxima) == {genmodels.MAX_SEED, genmodels.MAX_SEED - genmodels.MAX_IMAGES}  # a run of seeds ends lower
    demo.close()
