"""Explore: move an image along the model's main directions of variation (GANSpace sliders), starting
from the image selected in Generate or from your own picture found in the model; send the result to
the Generate gallery, to Blend or to Edit with a recipe that makes it again."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import gradio as gr

import genmodels

from . import gpu, history, recipes
from .session import Pick, Session
from .ui import SEED_MAX, ModelCatalog, PictureUpload, finite, friendly, sample_pictures

N_SLIDERS = 8  # genmodels computes 8 directions (fewer only for models with a smaller latent)
SLIDER_RANGE = 3.0  # standard deviations
STRIP_STEPS, STRIP_SPAN = 5, 2.0


@dataclass
class ExploreTab:
    """What the cross-tab actions (studio/cross_tab.py) wire: the send buttons, and the image the sliders show."""

    to_gallery: gr.Button
    blend_from: gr.Button
    blend_to: gr.Button
    to_edit: gr.Button
    sliders: list[gr.Slider]
    current: Callable[[Session, tuple], Pick]  # (session, slider values) -> the image shown, with its recipe


@dataclass
class ExploreState:
    """What the sliders move: the starting image (a Pick with its latent) and its model."""

    model_key: str
    base: Pick


def _require(sess: Session) -> ExploreState:
    if not isinstance(sess.explore, ExploreState):
        raise genmodels.StudioError("Start from an image: use the one selected in Generate, or find a picture "
                                    "in the model.")
    return sess.explore


def current_pick(catalog: ModelCatalog, sess: Session, offsets: tuple) -> Pick:
    """The image the sliders show, as a Pick whose recipe makes it again (the exact latent, plus the
    starting image's recipe and the direction amounts for people and for re-deriving it)."""
    state = _require(sess)
    amounts = [round(finite(v, "A direction amount"), 4) for v in offsets]  # NaN passes Gradio's range check
    if not any(amounts):
        return state.base
    folder = catalog.folder(sess, state.model_key)
    info = genmodels.find_directions(folder)
    if any(amounts[info["count"]:]):
        raise genmodels.StudioError(f"This model has {info['count']} directions.")
    amounts = amounts[:info["count"]]
    image, latent = genmodels.move_along(folder, state.base.latent, amounts)
    base = {k: v for k, v in state.base.recipe.items() if k != "model_key"}
    recipe = recipes.from_latent(base["model"], state.model_key, latent, "explored image",
                                 directions={str(k + 1): v for k, v in enumerate(amounts) if v},
                                 directions_method=info["method"], explored_from=base)
    return Pick(image, latent, recipe)


def _describe(state: ExploreState, count: int) -> str:
    r = state.base.recipe
    what = recipes.caption(r)
    md = genmodels.markdown_text  # the model's name and a class name are a user's text
    return (f"Starting image: **{md(what)}** from {md(r['model'])}. Drag a slider to move it along one of the "
            f"model's {count} main directions (1 = the biggest change); 0 everywhere is the starting image.")


def build(catalog: ModelCatalog, session: gr.State, model: gr.Dropdown) -> ExploreTab:
    find_in_model = gpu.task(gpu.SEARCH_SECONDS)(genmodels.find_in_model)
    gr.Markdown("Find the main ways the model's images vary, and move an image along them. Start from the "
                "image selected in Generate, or upload a picture and find it in the model.",
                elem_classes="ls-intro")
    with gr.Row(equal_height=False):
        with gr.Column(scale=1, min_width=280):
            use_selected = gr.Button("Use the image selected in Generate", elem_id="explore-use-selected")
            upload = PictureUpload(label="Or your own picture", height=160)
            gr.Examples(sample_pictures(), inputs=[upload], label="Or a sample picture", examples_per_page=8,
                        elem_id="explore-examples")
            with gr.Row():
                find_seed = gr.Number(value=0, precision=0, minimum=0, maximum=SEED_MAX, label="Search seed",
                                      scale=1, min_width=90)
                find = gr.Button("Find in model", variant="primary", elem_id="explore-find", scale=2)
            quality = gr.Markdown("", elem_id="explore-quality")
            base_view = gr.Image(label="Starting image", interactive=False, height=160, format="png",
                                 elem_classes="ls-pixels")
        with gr.Column(scale=2):
            result = gr.Image(label="Result", interactive=False, height=280, format="png", elem_id="explore-result",
                              elem_classes="ls-pixels")
            info = gr.Markdown("Start from an image to see its directions.")
            with gr.Row():
                reset = gr.Button("Reset", elem_id="explore-reset")
                to_gallery = gr.Button("Add to the Generate gallery", elem_id="explore-to-gallery")
                blend_from = gr.Button("Blend from this")
                blend_to = gr.Button("Blend to this")
                to_edit = gr.Button("Edit this image")
            sliders, strips = [], []
            for k in range(N_SLIDERS):
                with gr.Row(equal_height=True):
                    sliders.append(gr.Slider(-SLIDER_RANGE, SLIDER_RANGE, value=0.0, step=0.1,
                                             label=f"Direction {k + 1}", elem_id=f"explore-direction-{k + 1}",
                                             scale=2, min_width=200))
                    strips.append(gr.Image(label=f"Direction {k + 1}: -2 to +2", interactive=False, height=70,
                                           format="png", show_label=False, scale=3, min_width=240, buttons=[],
                                           elem_classes="ls-pixels"))

    start_outputs = [base_view, result, info, quality, *sliders, *strips]
    use_selected.click(partial(on_use_selected, catalog), session, start_outputs, api_name="explore_use_selected",
                       concurrency_id="draw")
    find.click(partial(on_find, catalog, find_in_model), [session, model, upload, find_seed], start_outputs,
               api_name="explore_find", concurrency_id="find", concurrency_limit=1)
    gr.on([s.input for s in sliders], partial(on_move, catalog), [session, *sliders], result, api_name="explore_move",
          trigger_mode="always_last", show_progress="hidden", concurrency_id="draw")
    reset.click(on_reset, session, [result, *sliders], api_name="explore_reset")
    return ExploreTab(to_gallery, blend_from, blend_to, to_edit, sliders, partial(current_pick, catalog))


# ---- handlers (bound to the components in build) --------------------------------------------------

def start(catalog: ModelCatalog, sess: Session, model_key: str, pick: Pick, note: str):
    """Make pick the starting image: sliders to 0, strips around it."""
    folder = catalog.folder(sess, model_key)
    strip_images = genmodels.direction_strips(folder, pick.latent, steps=STRIP_STEPS, span=STRIP_SPAN)
    sess.explore = ExploreState(model_key, pick)
    count = len(strip_images)
    slider_updates = [gr.update(value=0.0, visible=k < count) for k in range(N_SLIDERS)]
    strip_updates = [gr.update(value=strip_images[k] if k < count else None, visible=k < count)
                     for k in range(N_SLIDERS)]
    return [pick.image, pick.image, _describe(sess.explore, count), note, *slider_updates, *strip_updates]


@friendly
def on_use_selected(catalog: ModelCatalog, sess: Session):
    """Start from the image selected in Generate."""
    pick = sess.selected_pick()
    if pick is None or pick.latent is None:
        raise genmodels.StudioError("Select an image in the Generate gallery first.")
    return start(catalog, sess, pick.recipe["model_key"], pick, "")


@friendly
def on_find(catalog: ModelCatalog, find_in_model: Callable, sess: Session, model_key: str, path: str | None,
            seed: float | None, progress=gr.Progress()):
    """Find an uploaded picture in the model and start from the closest image it can draw."""
    if not path:
        raise genmodels.StudioError("Upload a picture first.")
    if seed is None:
        raise genmodels.StudioError("The search seed must be a whole number.")
    folder = catalog.folder(sess, model_key)
    picture = genmodels.load_image(path)
    progress(0.0, desc="Looking for your picture in the model")
    # A ZeroGPU worker cannot call back into this process: there the bar shows only start and end.
    report = None if gpu.on_zero_gpu() else (lambda f, message: progress(f, desc=message))
    image, latent, q = find_in_model(folder, picture, int(seed), progress=report)
    recipe = recipes.from_latent(genmodels.describe(folder)["name"], model_key, latent,
                                 "your picture, found in the model", search_seed=int(seed), similarity=q["score"])
    note = (f"**Similarity {q['score']:g}%** (SSIM {q['ssim']:.2f}, PSNR {q['psnr']:.1f} dB): the closest "
            f"image this model can draw.")
    pick = Pick(image, latent, recipe)
    history.record(sess, pick)
    return start(catalog, sess, model_key, pick, note)


@friendly
def on_move(catalog: ModelCatalog, sess: Session, *offsets):
    """Dragging a slider: the starting image moved by the sliders' amounts."""
    return current_pick(catalog, sess, offsets).image


@friendly
def on_reset(sess: Session):
    """Back to the starting image, every slider at 0."""
    return [_require(sess).base.image, *[0.0] * N_SLIDERS]
