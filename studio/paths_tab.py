"""Paths: 2 to 8 keyframes (seeds, the image picked in Generate, uploads), put in order, rendered as a
smooth looping walk through all of them to a GIF and an MP4 of a chosen length and frame rate."""
from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial

import gradio as gr

import genmodels

from . import generate_tab, gpu, history, recipes
from .generate_tab import ANY_CLASS
from .session import Pick, Session
from .ui import SEED_MAX, ModelCatalog, PictureUpload, friendly

MAX_KEYFRAMES = genmodels.MAX_KEYFRAMES
MOTION_LABELS = {"smooth": "Smooth curve (glides through each keyframe)", "ease": "Ease (pauses on each keyframe)"}
MOTIONS = [(MOTION_LABELS[m], m) for m in genmodels.PATH_MOTIONS]


def _keyframes_view(sess: Session) -> list[tuple]:
    return [(p.image, f"{k + 1}. {recipes.caption(p.recipe)}") for k, p in enumerate(sess.keyframes)]


def _status(sess: Session) -> str:
    n = len(sess.keyframes)
    if n == 0:
        return "No keyframes yet: add 2 to 8 images."
    model = sess.keyframes[0].recipe.get("model", "?")
    more = " Add at least one more." if n < 2 else ""
    return f"{n} keyframe{'s' if n != 1 else ''} from {model}; the path loops back to the first.{more}"


def add_keyframe(sess: Session, pick: Pick) -> None:
    """Append a keyframe (with its latent); every keyframe must come from the same model."""
    if pick.latent is None:
        raise genmodels.StudioError("That image has no remembered starting point; pick one made by a model.")
    if len(sess.keyframes) >= MAX_KEYFRAMES:
        raise genmodels.StudioError(f"A path holds up to {MAX_KEYFRAMES} keyframes; remove one first.")
    if sess.keyframes and sess.keyframes[0].recipe["model_key"] != pick.recipe["model_key"]:
        raise genmodels.StudioError(f"Every keyframe must come from the same model "
                                    f"({sess.keyframes[0].recipe['model']}); clear the path to use another.")
    sess.keyframes.append(pick)


def _position(sess: Session, value: float | None) -> int:
    n = len(sess.keyframes)
    if n == 0:
        raise genmodels.StudioError("There are no keyframes yet.")
    if value is None or not 1 <= int(value) <= n:
        raise genmodels.StudioError(f"Choose a keyframe between 1 and {n}.")
    return int(value) - 1


def move_keyframe(sess: Session, position: float | None, delta: int) -> int:
    """Move keyframe `position` (1-based) by delta places; returns its new position."""
    k = _position(sess, position)
    j = min(max(k + delta, 0), len(sess.keyframes) - 1)
    sess.keyframes[k], sess.keyframes[j] = sess.keyframes[j], sess.keyframes[k]
    return j + 1


def _picture_latent(folder: str, image, progress=None) -> tuple:
    """(latent, how) for an uploaded picture: a VAE's encoder (instant), or for a GAN the picture
    search of genmodels/explore/invert.py (seconds; deterministic, seed 0)."""
    if genmodels.describe(folder)["can_encode"]:
        return genmodels.encode_picture(folder, image), "encoded"
    _, latent, quality = genmodels.find_in_model(folder, image, 0, progress=progress)
    return latent, f"found in the model, {quality['score']:.0f}% alike"


def build(catalog: ModelCatalog, session: gr.State, model: gr.Dropdown, demo: gr.Blocks) -> None:
    render_path = gpu.task(gpu.DRAW_SECONDS)(genmodels.render_path)
    gr.Markdown("Make a looping animation through 2 to 8 keyframes: add images, put them in order, choose the "
                "length and frame rate, and render a GIF and an MP4. The walk passes exactly through every "
                "keyframe and comes back to the first.", elem_classes="ls-intro")
    with gr.Row(equal_height=False):
        with gr.Column(scale=1, min_width=300):
            add_selected = gr.Button("Add the image selected in Generate", elem_id="path-add-selected")
            with gr.Row():
                seed = gr.Number(value=1, precision=0, minimum=0, maximum=SEED_MAX, label="Seed", scale=2)
                add_seed = gr.Button("Add seed", scale=1, min_width=90, elem_id="path-add-seed")
            # Shown for a model trained on class folders: the class the seed's keyframe is drawn as.
            seed_class = gr.Dropdown([ANY_CLASS], value="", label="Class of the seed", visible=False,
                                     elem_id="path-class", allow_custom_value=True)
            upload = PictureUpload(label="Picture", height=140)
            add_upload = gr.Button("Add upload")
            seconds = gr.Slider(1, genmodels.MAX_PATH_SECONDS, value=4, step=0.5, label="Length (seconds)")
            fps = gr.Slider(2, genmodels.MAX_PATH_FPS, value=12, step=1, label="Frames per second")
            motion = gr.Radio(MOTIONS, value="smooth", label="Motion")
            render = gr.Button("Render the path", variant="primary", elem_id="path-render")
        with gr.Column(scale=2):
            keys = gr.Gallery(label="Keyframes, in order", columns=8, height=170, format="png",
                              object_fit="contain", allow_preview=False, elem_id="path-keyframes",
                              interactive=False)
            with gr.Row():
                position = gr.Number(value=None, precision=0, minimum=1, maximum=MAX_KEYFRAMES,
                                     label="Keyframe (click one)", scale=1, min_width=110)
                up = gr.Button("Move earlier", scale=1, min_width=90)
                down = gr.Button("Move later", scale=1, min_width=90)
                remove = gr.Button("Remove", scale=1, min_width=80)
                clear = gr.Button("Clear all", variant="stop", scale=1, min_width=80)
            status = gr.Markdown("No keyframes yet: add 2 to 8 images.", elem_id="path-status")
            with gr.Row():
                gif = gr.Image(label="Animated GIF", type="filepath", interactive=False, height=260)
                video = gr.Video(label="MP4", interactive=False, height=260, loop=True, autoplay=True)
            files = gr.File(label="Downloads", file_count="multiple", interactive=False)

    add_selected.click(on_add_selected, session, [keys, status], api_name="path_add_selected")
    gr.on([demo.load, model.change], partial(on_model_classes, catalog), [session, model, seed_class], seed_class,
          api_name=False)
    added = add_seed.click(partial(on_add_seed, catalog), [session, model, seed, seed_class], [keys, status],
                           api_name="path_add_seed")
    added.success(lambda value: min(int(value) + 1, SEED_MAX), seed, seed, api_name=False,
                  queue=False)  # so the next click adds a new image
    # A GAN upload runs Explore's search: it shares that queue line.
    add_upload.click(partial(on_add_upload, catalog), [session, model, upload], [keys, status],
                     api_name="path_add_upload", concurrency_id="find", concurrency_limit=1)
    keys.select(on_select, None, position, api_name=False)
    up.click(partial(on_move, -1), [session, position], [keys, position, status], api_name="path_move_earlier")
    down.click(partial(on_move, +1), [session, position], [keys, position, status], api_name="path_move_later")
    remove.click(on_remove, [session, position], [keys, position, status], api_name="path_remove")
    clear.click(on_clear, session, [keys, position, status], api_name="path_clear")
    render.click(partial(on_render, catalog, render_path), [session, seconds, fps, motion], [gif, video, files, status],
                 api_name="path_render", concurrency_id="draw")


# ---- handlers (bound to the components in build) --------------------------------------------------

def on_model_classes(catalog: ModelCatalog, sess: Session, model_key: str | None, current: str | None):
    """The seed's class picker follows the model (see generate_tab.on_model_classes)."""
    return generate_tab.on_model_classes(catalog, sess, model_key, current)[0]


def listed(sess: Session):
    """The keyframes gallery and the status line."""
    return _keyframes_view(sess), _status(sess)


@friendly
def on_add_selected(sess: Session):
    """Add the image selected in Generate as the next keyframe."""
    pick = sess.selected_pick()
    if pick is None:
        raise genmodels.StudioError("In Generate, click an image first, then add it here.")
    add_keyframe(sess, pick)
    return listed(sess)


@friendly
def on_add_seed(catalog: ModelCatalog, sess: Session, model_key: str, value: float | None, label: str | None = ""):
    """Add the image of a seed (variety 1; of class label for a labelled model, "" = any) as the next keyframe."""
    if value is None:
        raise genmodels.StudioError("Type a seed first.")
    folder = catalog.folder(sess, model_key)
    images, latents = genmodels.draw(folder, 1, int(value), 1.0, label or None)
    name = genmodels.describe(folder)["name"]
    pick = Pick(images[0], latents[0], recipes.from_seed(name, model_key, int(value), label=label or None))
    add_keyframe(sess, pick)
    return listed(sess)


@friendly
def on_add_upload(catalog: ModelCatalog, sess: Session, model_key: str, path: str | None, progress=gr.Progress()):
    """Add an uploaded picture as the model draws it (encoded by a VAE, found in a GAN)."""
    if not path:
        raise genmodels.StudioError("Upload a picture first.")
    if sess.keyframes:
        model_key = sess.keyframes[0].recipe["model_key"]  # the path's model, whatever the picker shows
    folder = catalog.folder(sess, model_key)
    latent, how = _picture_latent(folder, genmodels.load_image(path),
                                  lambda fraction, text: progress(fraction, desc=text))
    image = genmodels.decode_latents(folder, latent)[0]  # the picture as the model draws it
    pick = Pick(image, latent, recipes.from_latent(genmodels.describe(folder)["name"], model_key, latent,
                                                   f"upload ({how})"))
    add_keyframe(sess, pick)
    history.record(sess, pick)
    return listed(sess)


def on_select(evt: gr.SelectData):
    """A click on a keyframe puts its position in the position field."""
    return evt.index + 1 if isinstance(evt.index, int) else None


@friendly
def on_move(delta: int, sess: Session, value: float | None):
    """Move the keyframe at position `value` one place earlier (-1) or later (+1)."""
    moved_to = move_keyframe(sess, value, delta)
    return _keyframes_view(sess), moved_to, _status(sess)


@friendly
def on_remove(sess: Session, value: float | None):
    """Remove the keyframe at position `value`."""
    del sess.keyframes[_position(sess, value)]
    return _keyframes_view(sess), None, _status(sess)


def on_clear(sess: Session):
    """Remove every keyframe."""
    sess.keyframes = []
    return _keyframes_view(sess), None, _status(sess)


@friendly
def on_render(catalog: ModelCatalog, render_path: Callable, sess: Session, length: float, rate: float, how: str,
              progress=gr.Progress()):
    """Render the looping path: a GIF, an MP4 and a line saying how long each took."""
    if len(sess.keyframes) < 2:
        raise genmodels.StudioError("Add at least 2 keyframes to make a path.")
    folder = catalog.folder(sess, sess.keyframes[0].recipe["model_key"])
    progress(0.0, desc="Drawing frames")
    start = time.perf_counter()
    # A ZeroGPU worker cannot call back into this process: there the bar shows only start and end.
    report = None if gpu.on_zero_gpu() else (lambda done, total: progress(0.7 * done / total,
                                                                          desc=f"Frame {done} of {total}"))
    frames = render_path(folder, [k.latent for k in sess.keyframes], float(length), float(rate), how,
                         on_progress=report)
    drawn = time.perf_counter() - start
    gif_path, mp4_path = sess.path("path.gif"), sess.path("path.mp4")
    progress(0.7, desc="Writing the GIF")
    genmodels.write_gif(frames, gif_path, float(rate))
    progress(0.9, desc="Writing the MP4")
    genmodels.write_mp4(frames, mp4_path, float(rate))
    total = time.perf_counter() - start
    line = (f"{len(frames)} frames ({float(length):g} s at {float(rate):g} fps) through {len(sess.keyframes)} "
            f"keyframes: drawn in {drawn:.1f} s, GIF and MP4 written in {total - drawn:.1f} s.")
    return str(gif_path), str(mp4_path), [str(gif_path), str(mp4_path)], line
