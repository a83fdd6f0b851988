"""History and favourites through gradio_client: every image kept with its recipe, favourites stored
as recipes (the browser's storage is the `saved` list) and redrawn from them on a new page."""
import json
import re
import zipfile

import numpy as np
import pytest
from gradio_client import Client
from PIL import Image

from tests.app_harness import pixels

pytestmark = pytest.mark.slow  # starts the studio


def test_history_keeps_generate_variations_and_blends(client):
    client.predict("builtin:tiny-gan", 3, 5, 1.0, api_name="/generate")
    assert [h["caption"] for h in client.predict(api_name="/history")] == ["seed 7", "seed 6", "seed 5"]
    client.predict("builtin:tiny-gan", 0.4, api_name="/variations")
    client.predict("builtin:tiny-gan", "seeds", 1, 2, None, None, 5, "smooth", False, 10, api_name="/blend")
    shown = client.predict(api_name="/history")
    assert len(shown) == 3 + 8 + 1
    assert shown[0]["caption"] == "middle of a blend of two seeds" and shown[1]["caption"].startswith("variation")


def test_favourites_are_recipes_that_redraw_on_a_new_page(client, studio):
    client.predict("builtin:tiny-gan", 2, 40, 0.7, api_name="/generate")
    client.predict("builtin:tiny-gan", "seeds", 3, 4, None, None, 5, "linear", False, 10, api_name="/blend")
    history = client.predict(api_name="/history")
    saved, favourites, status = client.predict([], 1, api_name="/star")  # the blend frame
    saved, favourites, status = client.predict(saved, 2, api_name="/star")  # seed 41
    assert len(saved) == 2 and len(favourites) == 2 and "2 favourites" in status
    assert saved[1] == {"model": "Tiny GAN", "model_key": "builtin:tiny-gan", "seed": 41, "variety": 0.7}
    assert len(saved[0]["latent"]) == 16 and len(json.dumps(saved)) < 2000  # small: recipes only
    with pytest.raises(Exception, match="already a favourite"):
        client.predict(saved, 2, api_name="/star")

    page = Client(studio, verbose=False)  # a reload: a new session, the browser hands back `saved`
    redrawn, status = page.predict(saved, api_name="/load_favourites")
    assert "2 favourites" in status
    assert np.array_equal(pixels(redrawn[0]), pixels(history[0]))
    assert np.array_equal(pixels(redrawn[1]), pixels(history[1]))

    with zipfile.ZipFile(page.predict(api_name="/download_favourites")) as zf:
        names = zf.namelist()
        recipes = json.loads(zf.read("favourites.json"))
        png = Image.open(zf.open([n for n in names if n.endswith(".png")][1]))
        png.load()
    assert len(names) == 3 and recipes[1] == {"model": "Tiny GAN", "seed": 41, "variety": 0.7}
    assert json.loads(png.text["latent_studio_recipe"])["seed"] == 41

    saved, favourites, _ = page.predict(saved, 1, api_name="/unstar")
    assert len(saved) == 1 and saved[0]["seed"] == 41 and len(favourites) == 1


def test_stored_favourites_are_checked_like_any_upload(client):
    good = {"model": "Tiny GAN", "model_key": "builtin:tiny-gan", "seed": 3, "variety": 1.0}
    bad = [
        {"model": "Someone else's model", "seed": 3},
        {"model": "Tiny GAN", "latent": [0.5] * 15},
        {"model": "Tiny GAN", "latent": [1e39] * 16},  # inf as float32
        {"model": "Tiny GAN", "seed": -4},
        {"model": "Tiny GAN", "seed": 3, "edits": {"format": "latent_studio.edit_stack", "version": 1,
                                                   "edits": [{"name": "rm -rf", "params": {}}]}},
        "not a recipe",
    ]
    redrawn, status = client.predict([good, *bad], api_name="/load_favourites")
    assert len(redrawn) == 7 and redrawn[0]["caption"] == "seed 3"
    assert all(item["caption"] == "can't redraw" for item in redrawn[1:])
    assert "6 could not be redrawn" in status
    with pytest.raises(Exception, match="damaged"):
        client.predict({"not": "a list"}, api_name="/load_favourites")
    with pytest.raises(Exception, match="Star some images first"):
        client.predict(api_name="/download_favourites")


def test_favourite_zip_entry_names_are_safe(client):
    stored = [{"model": "Tiny GAN", "latent": [0.1] * 16, "source": "../../x"},
              {"model": "Tiny GAN", "latent": [0.2] * 16, "source": "a/" * 30}]
    client.predict(stored, api_name="/load_favourites")
    with zipfile.ZipFile(client.predict(api_name="/download_favourites")) as zf:
        names = zf.namelist()
    pngs = sorted(n for n in names if n.endswith(".png"))
    assert pngs[0] == "01-x.png" and len(pngs) == 2
    assert all(re.fullmatch(r"\d\d-[A-Za-z0-9-]{1,40}\.png", n) for n in pngs)


def test_history_keeps_big_pictures_small_and_their_recipe_whole():
    import numpy as np

    from studio import history
    from studio.session import Pick, Session

    sess = Session()
    recipe = {"model": "Tiny GAN", "seed": 1, "edits": {"format": "latent_studio.edit_stack", "version": 1,
                                                       "edits": [{"name": "upscale", "params": {"factor": 4}}]}}
    history.record(sess, Pick(np.zeros((2048, 1024, 3), np.uint8), None, recipe))
    history.record(sess, Pick(np.zeros((64, 64, 3), np.uint8), None, {"model": "Tiny GAN", "seed": 2}))
    assert sess.history[0].image.shape == (history.HISTORY_SIDE, history.HISTORY_SIDE // 2, 3)
    assert sess.history[0].recipe == recipe and sess.history[1].image.shape == (64, 64, 3)
