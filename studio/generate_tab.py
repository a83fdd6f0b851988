"""Generate: draw a batch, pick one, make variations, download, send to Edit or Blend."""
from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import gradio as gr

import genmodels
import postprocess

from . import gpu, history, recipes
from .session import Pick, Session
from .ui import FIRST_SEED_MAX, ModelCatalog, finite, friendly, new_seed

UPSCALES = [("x1 (original)", 1), ("x2", 2), ("x4", 4)]  # (label, the upscale factor the API takes)
ANY_CLASS = ("Any class", "")  # the class picker's first choice: (label, value); "" = no class asked for


@dataclass
class GenerateTab:
    gallery: gr.Gallery
    selected_info: gr.Markdown
    edit_button: gr.Button
    blend_start: gr.Button
    blend_end: gr.Button
    seed: gr.Number | None = None  # for recipe restore (studio/restore.py)
    variety: gr.Slider | None = None
    label: gr.Dropdown | None = None
    class_strength: gr.Slider | None = None
    first_draw: dict | None = None  # demo.load's fn / inputs / outputs: the first images a visitor sees


def gallery_of(picks: list[Pick]) -> list[tuple]:
    """The Generate gallery's items: each image with its caption."""
    return [(p.image, recipes.caption(p.recipe)) for p in picks]


def describe_pick(pick: Pick | None) -> str:
    """The line under the gallery about the selected image."""
    if pick is None:
        return "Click an image to select it."
    r = pick.recipe
    text = recipes.caption(r)  # only its first letter raised: a class name keeps its own capitals
    md = genmodels.markdown_text  # model and class names are a user's text, never Markdown
    parts = [f"**{md(text[:1].upper() + text[1:])}**", f"model {md(r['model'])}"]
    parts += [f"variety {r['variety']:g}"] if "variety" in r else []
    parts += [f"class strength {r['class_strength']:g}"] if "class_strength" in r else []
    if "strength" in r:
        parts.append(f"strength {r['strength']:g}, variation seed {r['variation_seed']}")
    return " · ".join(parts)


def build(catalog: ModelCatalog, session: gr.State, model: gr.Dropdown, demo: gr.Blocks) -> GenerateTab:
    gr.Markdown("Draw new images from the model you picked above. Every image has a seed: the same seed "
                "always gives the same image.", elem_classes="ls-intro")
    with gr.Row(equal_height=False):
        with gr.Column(scale=1, min_width=260):
            count = gr.Slider(1, genmodels.MAX_IMAGES, value=16, step=1, label="Number of images")
            with gr.Row():
                seed = gr.Number(value=0, precision=0, minimum=0, maximum=FIRST_SEED_MAX, label="Seed", scale=3)
                dice = gr.Button("Random seed", scale=1, min_width=60)
            variety = gr.Slider(0.0, genmodels.MAX_VARIETY, value=1.0, step=0.05, label="Variety",
                                info="1 = as trained; lower is safer and more typical, higher is wilder")
            # Shown only for a model trained on class folders (on_model_classes). Custom values are allowed
            # because Gradio checks API values against the choices the page was built with, not a model's:
            # the handlers check the class themselves (genmodels.api.class_index).
            label = gr.Dropdown([ANY_CLASS], value="", label="Class", visible=False, elem_id="generate-class",
                                allow_custom_value=True,
                                info="Which of the model's classes to draw")
            each = gr.Checkbox(False, label="One of each class (same seed)", visible=False, elem_id="generate-each",
                               info="A grid with one image per class, all from the seed above")
            class_strength = gr.Slider(1.0, genmodels.MAX_CLASS_STRENGTH, value=1.0, step=0.1, label="Class strength",
                                       visible=False, elem_id="generate-class-strength",
                                       info="1 = the model's own setting for each class; higher draws every "
                                            "class at least that clearly, with less variety between seeds")
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
                upscale = gr.Radio(UPSCALES, value=1, label="Download size", scale=2)
                png_button = gr.Button("Download selected PNG", scale=1)
                zip_button = gr.Button("Download all (ZIP)", scale=1)
            download = gr.File(label="Your download", interactive=False, visible=True, height=60)

    draw, vary = gpu.task(gpu.DRAW_SECONDS)(genmodels.draw), gpu.task(gpu.DRAW_SECONDS)(genmodels.vary_latent)
    each_draw = gpu.task(gpu.DRAW_SECONDS)(genmodels.each_class)
    dice.click(new_seed, None, seed, api_name="new_seed")
    nearest_button.click(on_nearest, session, [nearest_image, nearest_text], api_name="nearest_training_picture")
    inputs = [session, model, count, seed, variety, label, each, class_strength]
    generate.click(partial(on_generate, catalog, draw, each_draw=each_draw), inputs, [gallery, selected_info], api_name="generate",
                   concurrency_id="draw")
    # On load too: the first model may be labelled, and picking the model already shown changes nothing.
    gr.on([demo.load, model.change], partial(on_model_classes, catalog), [session, model, label],
          [label, each, class_strength], api_name="model_classes")
    # A click carries its position as event data, which an API call cannot send (Gradio then fails before
    # the handler, with no sentence); the API selects through its own endpoint that takes the position.
    gallery.select(on_select, [session], selected_info, api_name=False)
    position = gr.Number(visible=False, precision=0)
    gr.Button(visible=False).click(on_select_position, [session, position], selected_info, api_name="select_image")
    more.click(partial(on_more, catalog, vary), [session, model, strength], [gallery, selected_info],
               api_name="variations", concurrency_id="draw")
    png_button.click(on_png, [session, upscale], download, api_name="download_png")
    zip_button.click(on_zip, [session], download, api_name="download_zip")
    return GenerateTab(gallery, selected_info, edit_button, blend_start, blend_end, seed, variety, label,
                       class_strength,
                       {"fn": partial(on_first_draw, catalog, draw), "inputs": inputs,
                        "outputs": [gallery, selected_info]})


# ---- handlers (bound to the components in build) --------------------------------------------------


def class_choices(classes: list[str]) -> list[tuple[str, str]]:
    return [ANY_CLASS] + [(name, name) for name in classes]


def on_model_classes(catalog: ModelCatalog, sess: Session, model_key: str | None, current: str | None):
    """The class picker, "one of each class" and the class strength follow the picked model: shown with its
    classes for a labelled model (keeping the class picked if the model has it), hidden otherwise."""
    try:
        info = genmodels.describe(catalog.folder(sess, model_key)) if model_key else {}
    except genmodels.StudioError:
        info = {}
    classes = info.get("classes", [])
    keep = current if current in classes else ""
    each = gr.update(visible=True) if classes else gr.update(visible=False, value=False)
    strength = gr.update(visible=True) if info.get("class_strength") else gr.update(visible=False, value=1.0)
    return gr.update(choices=class_choices(classes), value=keep, visible=bool(classes)), each, strength


@friendly
def on_generate(catalog: ModelCatalog, draw: Callable, sess: Session, model_key: str, count: float,
                first_seed: float, variety_level: float, label: str | None = "", each_class: bool = False,
                class_strength: float | None = 1.0, each_draw: Callable = genmodels.each_class):
    """Generate: count images from first_seed on (of one class, for a labelled model, or any class when
    label is ""), or one image of each class from first_seed; the first is selected. class_strength: a
    labelled model's (1 = as trained); other models take 1 (the hidden slider's value)."""
    folder = catalog.folder(sess, model_key)
    info = genmodels.describe(folder)
    label = label or None
    strength = 1.0 if class_strength is None else finite(class_strength, "Class strength")
    if not info["class_strength"]:
        strength = 1.0  # the hidden slider of a model without class weights: whatever it holds is not used
    if each_class and info["classes"]:
        images, latents = each_draw(folder, int(first_seed), finite(variety_level, "Variety"), strength)
        made = [recipes.from_seed(info["name"], model_key, int(first_seed), variety_level, name, strength)
                for name in info["classes"]]
    else:
        images, latents = draw(folder, int(finite(count, "Number of images")), int(first_seed),
                               finite(variety_level, "Variety"), label, strength)
        made = [recipes.from_seed(info["name"], model_key, int(first_seed) + k, variety_level, label, strength)
                for k in range(len(images))]
    sess.picks = [Pick(img, z, recipe) for img, z, recipe in zip(images, latents, made)]
    sess.selected = 0
    history.record_all(sess, sess.picks)
    return gallery_of(sess.picks), describe_pick(sess.picks[0])


def on_select(sess: Session, evt: gr.SelectData):
    """A click in the gallery selects that image."""
    sess.selected = evt.index if isinstance(evt.index, int) else None
    return describe_pick(sess.selected_pick())


@friendly
def on_select_position(sess: Session, index: float | None):
    """The API's select: the gallery image at `index` (0 = the first)."""
    if not sess.picks:
        raise genmodels.StudioError("Generate some images first.")
    if index is None or not 0 <= int(finite(index, "The image's position")) < len(sess.picks):
        raise genmodels.StudioError(f"Choose an image position between 0 and {len(sess.picks) - 1}.")
    sess.selected = int(index)
    return describe_pick(sess.selected_pick())


@friendly
def on_more(catalog: ModelCatalog, vary: Callable, sess: Session, model_key: str, variation_strength: float):
    """More like this: the selected image followed by 8 variations of it."""
    pick = _require_pick(sess)
    folder = catalog.folder(sess, pick.recipe["model_key"])
    vseed = new_seed()
    images, latents = vary(folder, pick.latent, 8, float(variation_strength), vseed)
    variations = [Pick(img, z, recipes.variation_of(pick.recipe, z, variation_strength, vseed, k))
                  for k, (img, z) in enumerate(zip(images, latents))]
    sess.picks = [pick] + variations
    history.record_all(sess, variations)
    sess.selected = 0
    return gallery_of(sess.picks), describe_pick(pick)


@friendly
def on_png(sess: Session, factor: int):
    """The selected image as a PNG with its recipe, upscaled 1, 2 or 4 times."""
    pick = _require_pick(sess)
    image = pick.image
    if factor not in {value for _, value in UPSCALES}:
        raise genmodels.StudioError("Choose a download size: 1, 2 or 4 times the original.")
    stack = postprocess.EditStack([("upscale", {"factor": factor})]) if factor > 1 else None
    if stack is not None:
        image = stack.apply(image)
    path = sess.path(f"seed-{pick.recipe.get('seed', 'image')}.png")
    postprocess.save_png(path, image, recipe=recipes.plain(pick.recipe), edit_stack=stack)
    return str(path)


@friendly
def on_zip(sess: Session):
    """Every image in the gallery as PNGs in a zip, with recipes.json."""
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
    """The training picture closest to the selected image (models trained in this session)."""
    pick = _require_pick(sess)
    key = pick.recipe["model_key"]
    dataset = sess.trained_on.get(key)
    if dataset is None:
        raise genmodels.StudioError("The originality check works for models you trained in this session.")
    if key not in sess.originality:
        sess.originality[key] = genmodels.originality_index(dataset)
    picture, text = genmodels.nearest_training(pick.image, dataset, sess.originality[key])
    return picture, text


def on_first_draw(catalog: ModelCatalog, draw: Callable, sess: Session, model_key: str | None, count: float,
                  first_seed: float, variety_level: float, label: str | None = "", each_class: bool = False,
                  class_strength: float | None = 1.0):
    """On page load: the default model's first images (nothing without a model: an empty --weights-dir)."""
    if not model_key:
        return gr.skip(), gr.skip()
    return on_generate(catalog, draw, sess, model_key, count, first_seed, variety_level, label, each_class,
                       class_strength)


def _require_pick(sess: Session) -> Pick:
    pick = sess.selected_pick()
    if pick is None:
        raise genmodels.StudioError("Select an image in the gallery first.")
    return pick
