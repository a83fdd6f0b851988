"""Recipe restore through gradio_client: a studio PNG dropped back in brings back its model, seed or
latent and edit stack; anything else gets one clear sentence."""
import json
import zipfile

import numpy as np
import pytest
from gradio_client import handle_file
from PIL import Image

import postprocess
from tests.app_harness import pixels

pytestmark = pytest.mark.slow  # starts the studio


def test_generate_png_restores_model_seed_and_variety(client):
    gallery, _ = client.predict("builtin:tiny-vae", 3, 20, 0.6, api_name="/generate")
    png = client.predict(2, api_name="/download_png")  # seed 20, an x2 upscale in its edit stack
    client.predict("builtin:tiny-gan", 2, 0, 1.0, api_name="/generate")  # move on to something else
    shown, info, model, seed, variety, label, strength, restored = client.predict(handle_file(png),
                                                                                  api_name="/restore_png")
    assert label["value"] == "" and not label["visible"]  # an unlabelled model: no class picker
    assert not strength["visible"]  # nor a class strength
    assert model == "builtin:tiny-vae" and seed == 20 and variety == 0.6
    assert np.array_equal(pixels(shown[0]), pixels(gallery[0]))
    assert "seed 20" in restored and "upscale" in restored and "Edit tab" in restored


def test_edited_png_restores_its_edit_stack_in_edit(client):
    client.predict("builtin:tiny-gan", 2, 3, 1.0, api_name="/generate")
    client.predict(api_name="/send_to_edit")
    client.predict(1.4, api_name="/add_brightness")
    client.predict(1.2, api_name="/add_contrast")
    png = client.predict(api_name="/edit_download")
    client.predict(api_name="/edit_reset")
    view, stack_text, restored = client.predict(handle_file(png), api_name="/edit_restore_png")
    assert "Brightness" in stack_text and "Contrast" in stack_text and "seed 3" in restored
    before, after = (pixels(v) for v in (view if isinstance(view, (list, tuple)) else [view["image"]] * 2))
    assert before.shape == after.shape == (32, 32, 3)


def _png(tmp_path, name, recipe=None, edits=None) -> str:
    path = tmp_path / name
    postprocess.save_png(path, np.zeros((32, 32, 3), np.uint8), recipe=recipe, edit_stack=edits)
    return handle_file(str(path))


def test_a_latent_recipe_restores_the_exact_latent(client, tmp_path):
    latent = [0.25 * ((k % 5) - 2) for k in range(16)]
    shown, _, model, _, _, _, _, restored = client.predict(
        _png(tmp_path, "z.png", {"model": "Tiny GAN", "latent": latent}), api_name="/restore_png")
    assert model == "builtin:tiny-gan" and "remembered latent" in restored
    keys, _ = client.predict(api_name="/path_add_selected")  # the restored pick carries its latent
    assert len(keys) == 1


@pytest.mark.parametrize("recipe,edits,message", [
    (None, None, "This picture has no Latent Studio recipe."),
    (None, postprocess.EditStack([("brightness", {"amount": 1.2})]), "This picture has no Latent Studio recipe."),
    ({"model": "A model from elsewhere", "seed": 1}, None, "not loaded here"),
    ({"seed": 1}, None, "does not say which model"),
    ({"model": "Tiny GAN", "latent": [0.1] * 15}, None, "list of 16 numbers"),
    ({"model": "Tiny GAN", "latent": [1e39] * 16}, None, "not finite"),
    ({"model": "Tiny GAN", "seed": -3}, None, "seed is not valid"),
    ({"model": "Tiny GAN", "seed": 1, "variety": 9}, None, "variety is not valid"),
    ({"model": "Tiny GAN", "seed": 1, "label": "cats"}, None, "not trained with classes"),
    ({"model": "Tiny GAN", "seed": 1, "strength": 0.3, "variation_seed": 2, "variation_index": 999}, None,
     "variation index is not valid"),
])
def test_bad_recipes_get_one_clear_sentence(client, tmp_path, recipe, edits, message):
    with pytest.raises(Exception, match=message):
        client.predict(_png(tmp_path, "bad.png", recipe, edits), api_name="/restore_png")


def test_damaged_files_are_refused(client, tmp_path):
    jpeg = tmp_path / "photo.png"
    Image.new("RGB", (8, 8), "red").save(jpeg, format="JPEG")
    with pytest.raises(Exception, match="not a readable PNG"):
        client.predict(handle_file(str(jpeg)), api_name="/restore_png")
    broken = tmp_path / "broken.png"
    info = __import__("PIL.PngImagePlugin", fromlist=["PngInfo"]).PngInfo()
    info.add_text("latent_studio_recipe", json.dumps({"model": "Tiny GAN", "seed": 1}))
    info.add_text("latent_studio_edits", json.dumps({"format": "latent_studio.edit_stack", "version": 1,
                                                     "edits": [{"name": "brightness", "params": {"amount": 99}}]}))
    Image.new("RGB", (8, 8)).save(broken, pnginfo=info)
    with pytest.raises(Exception, match="Edit stack step 1"):
        client.predict(handle_file(str(broken)), api_name="/edit_restore_png")


LATENT = [0.25 * ((k % 5) - 2) for k in range(16)]
VARIATION = {"strength": 0.3, "variation_seed": 2, "variation_index": 1}


@pytest.mark.parametrize("extra,message", [
    ({**VARIATION, "variation_index": "1"}, "variation index is not valid"),
    ({**VARIATION, "variation_index": 64}, "variation index is not valid"),
    ({**VARIATION, "strength": "0.3"}, "strength is not valid"),
    ({"strength": 0.3}, "variation seed is not valid"),
    ({"variety": 5}, "variety is not valid"),
    ({"seed": 10**400}, "seed is not valid"),
    ({"seed": "12"}, "seed is not valid"),
])
def test_a_latent_recipe_has_its_other_fields_checked_too(client, tmp_path, extra, message):
    with pytest.raises(Exception, match=message):
        client.predict(_png(tmp_path, "bad.png", {"model": "Tiny GAN", "latent": LATENT, **extra}),
                       api_name="/restore_png")


def test_huge_numbers_are_one_sentence(client, tmp_path):
    with pytest.raises(Exception, match="seed is not valid"):
        client.predict(_png(tmp_path, "s.png", {"model": "Tiny GAN", "seed": 10**400}), api_name="/restore_png")
    with pytest.raises(Exception, match="not finite"):
        client.predict(_png(tmp_path, "z.png", {"model": "Tiny GAN", "latent": [10**400] + LATENT[1:]}),
                       api_name="/restore_png")


@pytest.mark.parametrize("source", [{"a": 1}, 12, "x" * 81, "line\nbreak"])
def test_a_source_that_is_not_a_short_plain_string_is_left_out(client, tmp_path, source):
    recipe = {"model": "Tiny GAN", "latent": LATENT, **VARIATION, "source": source, "from": {"junk": True}}
    shown, info, _, _, variety, _, _, restored = client.predict(_png(tmp_path, "src.png", recipe), api_name="/restore_png")
    assert shown[0]["caption"] == "remembered image" and "remembered latent" in info
    assert "remembered latent" in restored
    assert variety in (None, 1.0, {"__type__": "update"})  # not touched: the recipe named no variety


def test_variations_of_a_latent_image_record_latents_not_a_growing_chain(client, tmp_path):
    client.predict(_png(tmp_path, "z.png", {"model": "Tiny GAN", "latent": LATENT, "source": "explored image"}),
                   api_name="/restore_png")
    client.predict("builtin:tiny-gan", 0.4, api_name="/variations")
    with zipfile.ZipFile(client.predict(api_name="/download_zip")) as zf:
        made = json.loads(zf.read("recipes.json"))
    assert len(made) == 9
    for recipe in made[1:]:
        assert "from" not in recipe and len(recipe["latent"]) == 16 and recipe["source"] == "variation of explored image"
