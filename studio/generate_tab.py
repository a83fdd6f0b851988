"""Generate: draw a batch, pick one, make variations, download, send to Edit or Blend."""
from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass

import gradio as gr

import genmodels
import postprocess

from . import gpu, history, recipes
from .session import Pick, Session
from .ui import FIRST_SEED_MAX, ModelCatalog, finite, friendly, new_seed

UPSCALES = {"x1 (original)": 1, "x2": 2, "x4": 4}


@dataclass
class GenerateTab:
    gallery: gr.Gallery
    selected_info: gr.Markdown
    edit_button: gr.Button
    blend_start: gr.Button
    blend_end: gr.Button
    seed: gr.Number | None = None  # for recipe restore (studio/restore.py)
    variety: gr.Slider | None = None
    first_draw: dict | None = None  # demo.load's fn / inputs / outputs: the first images a visitor sees


def _caption(recipe: dict) -> str:
    if "seed" not in recipe:  # an image known by its latent (Explore, Find in model): no seed makes it
        return recipe.get("source", "remembered image")
    if "strength" in recipe:
        return f"variation {recipe['variation_index'] + 1} of seed {recipe['seed']}"
    return f"seed {recipe['seed']}"


def _gallery(picks: list[Pick]) -> list[tuple]:
    return [(p.image, _caption(p.recipe)) for p in picks]


gallery_of = _gallery  # for the tabs that refill this gallery (recipe restore)


def _describe_pick(pick: Pick | None) -> str:
    if pick is None:
        return "Click an image to select it."
    r = pick.recipe
    parts = [f"**{_caption(r).capitalize()}**", f"model {r['model']}"]
    parts += [f"variety {r['variety']:g}"] if "variety" in r else []
    if "strength" in r:
        parts.append(f"strength {r['strength']:g}, variation seed {r['variation_seed']}")
    return " · ".join(parts)


def build(catalog: ModelCatalog, session: gr.State, model: gr.Dropdown) -> GenerateTab:
    draw, vary = gpu.task(gpu.DRAW_SECONDS)(genmodels.draw), gpu.task(gpu.DRAW_SECONDS)(genmodels.vary_latent)
    gr.Markdown("Draw new images from the model you picked above. Every image has a seed: the same seed "
                "always gives the same image.", elem_classes="ls-intro")
    with gr.Row(equal_height=False):
        with gr.Column(scale=1, min_width=260):
            count = gr.Slider(1, 64, value=16, step=1, label="Number of images")
            with gr.Row():
                seed = gr.Number(value=0, precision=0, minimum=0, maximum=FIRST_SEED_MAX, label="Seed", scale=3)
                dice = gr.Button("Random seed", scale=1, min_width=60)
            variety = gr.Slider(0.0, 2.0, value=1.0, step=0.05, label="Variety",
                                info="1 = as trained; lower is safer and more typical, higher is wilder")
            generate = gr.Button("Generate", variant="primary", elem_id="generate-button")
        with gr.Column(scale=3):
            gallery = gr.Gallery(label="Images", columns=8, height=420, format="png", object_fit="contain",
                                 allow_preview=True, elem_id="generate-gallery", interactive=False)
            selected_info = gr.Markdown("Click an image to select it.")
            with gr.Row():
                strength = gr.Slider(0.0, 1.0, value=0.3, step=0.05, label="Variation strength",
                                     info="0 = the same image, 1 = something new", scale=3)
                more = gr.Button("More like this", scale=1)
            with gr.Row():
                edit_button = gr.Button("Edit this image")
                blend_start = gr.Button("Blend from this")
                blend_end = gr.Button("Blend to this")
            with gr.Row():
                nearest_button = gr.Button("Find the closest training picture", scale=1)
                nearest_text = gr.Markdown("For models you trained here: checks the selected image is not a "
                                           "near copy of one of your pictures.")
                nearest_image = gr.Image(label="Closest training picture", interactive=False, height=110,
                                         scale=0, min_width=120)
            with gr.Row():
                upscale = gr.Radio(list(UPSCALES), value="x1 (original)", label="Download size", scale=2)
                png_button = gr.Button("Download selected PNG", scale=1)
                zip_button = gr.Button("Download all (ZIP)", scale=1)
            download = gr.File(label="Your download", interactive=False, visible=True, height=60)

    @friendly
    def on_generate(sess: Session, model_key: str, count: float, first_seed: float, variety_level: float):
        folder = catalog.folder(sess, model_key)
        images, latents = draw(folder, int(finite(count, "Number of images")), int(first_seed),
                               finite(variety_level, "Variety"))
        name = genmodels.describe(folder)["name"]
        sess.picks = [Pick(img, z, {"model": name, "model_key": model_key, "seed": int(first_seed) + k,
                                    "variety": float(variety_level)})
                      for k, (img, z) in enumerate(zip(images, latents))]
        sess.selected = 0
        history.record_all(sess, sess.picks)
        return _gallery(sess.picks), _describe_pick(sess.picks[0])

    def on_select(sess: Session, evt: gr.SelectData):
        sess.selected = evt.index if isinstance(evt.index, int) else None
        return _describe_pick(sess.selected_pick())

    @friendly
    def on_more(sess: Session, model_key: str, variation_strength: float):
        pick = _require_pick(sess)
        folder = catalog.folder(sess, pick.recipe["model_key"])
        vseed = new_seed()
        images, latents = vary(folder, pick.latent, 8, float(variation_strength), vseed)
        # A variation's recipe names its source: a seed, or (for a variation of a variation of a seed) the
        # whole recipe of the image it came from, so any image on screen can be made again. An image known
        # by its latent gives variations known by theirs: no "from", which would nest at every level.
        by_seed = "seed" in pick.recipe and "latent" not in pick.recipe
        source = {"from": recipes.plain(pick.recipe)} if by_seed and "strength" in pick.recipe else {}
        what = pick.recipe.get("source", "an image")
        made_by = ({"seed": pick.recipe["seed"], "variety": pick.recipe.get("variety", 1.0)} if by_seed
                   else {"source": what if what.startswith("variation of ") else f"variation of {what}"})
        variations = [Pick(img, z, {"model": pick.recipe["model"], "model_key": pick.recipe["model_key"], **made_by,
                                    **({} if by_seed else {"latent": recipes.latent_json(z)}),
                                    "strength": float(variation_strength), "variation_seed": vseed, "variation_index": k, **source})
                      for k, (img, z) in enumerate(zip(images, latents))]
        sess.picks = [pick] + variations
        history.record_all(sess, variations)
        sess.selected = 0
        return _gallery(sess.picks), _describe_pick(pick)

    @friendly
    def on_png(sess: Session, download_size: str):
        pick = _require_pick(sess)
        image = pick.image
        factor = UPSCALES.get(download_size, 1)
        stack = postprocess.EditStack([("upscale", {"factor": factor})]) if factor > 1 else None
        if stack is not None:
            image = stack.apply(image)
        path = sess.path(f"seed-{pick.recipe.get('seed', 'image')}.png")
        postprocess.save_png(path, image, recipe=recipes.plain(pick.recipe), edit_stack=stack)
        return str(path)

    @friendly
    def on_zip(sess: Session):
        if not sess.picks:
            raise genmodels.StudioError("Generate some images first.")
        path = sess.path("images.zip")
        with zipfile.ZipFile(path, "w") as zf:
            for k, pick in enumerate(sess.picks):
                zf.writestr(f"{k:02d}-seed-{pick.recipe.get('seed', 'image')}.png",
                            postprocess.png_bytes(pick.image, recipe=recipes.plain(pick.recipe)))
            zf.writestr("recipes.json", json.dumps([recipes.plain(p.recipe) for p in sess.picks], indent=2))
        return str(path)

    @friendly
    def on_nearest(sess: Session):
        pick = _require_pick(sess)
        key = pick.recipe["model_key"]
        dataset = sess.trained_on.get(key)
        if dataset is None:
            raise genmodels.StudioError("The originality check works for models you trained in this session.")
        if key not in sess.originality:
            sess.originality[key] = genmodels.originality_index(dataset)
        picture, text = genmodels.nearest_training(pick.image, dataset, sess.originality[key])
        return picture, text

    def on_first_draw(sess: Session, model_key: str | None, count: float, first_seed: float, variety_level: float):
        if not model_key:  # no built-in model (an empty --weights-dir): nothing to draw yet
            return gr.update(), gr.update()
        return on_generate(sess, model_key, count, first_seed, variety_level)

    dice.click(new_seed, None, seed, api_name="new_seed")
    nearest_button.click(on_nearest, session, [nearest_image, nearest_text], api_name="nearest_training_picture")
    inputs = [session, model, count, seed, variety]
    generate.click(on_generate, inputs, [gallery, selected_info], api_name="generate", concurrency_id="draw")
    gallery.select(on_select, [session], selected_info, api_name="select_image")
    more.click(on_more, [session, model, strength], [gallery, selected_info], api_name="variations",
               concurrency_id="draw")
    png_button.click(on_png, [session, upscale], download, api_name="download_png")
    zip_button.click(on_zip, [session], download, api_name="download_zip")
    return GenerateTab(gallery, selected_info, edit_button, blend_start, blend_end, seed, variety,
                       {"fn": on_first_draw, "inputs": inputs, "outputs": [gallery, selected_info]})


def _require_pick(sess: Session) -> Pick:
    pick = sess.selected_pick()
    if pick is None:
        raise genmodels.StudioError("Select an image in the gallery first.")
    return pick
