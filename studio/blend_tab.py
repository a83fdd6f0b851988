"""Blend: a smooth path between two seeds, two gallery picks, or two uploaded pictures (VAE)."""
from __future__ import annotations

from collections.abc import Callable
from functools import partial

import gradio as gr
from PIL import Image

import genmodels

from . import generate_tab, gpu, history
from .generate_tab import ANY_CLASS
from .session import Pick, Session
from .ui import SEED_MAX, ModelCatalog, PictureUpload, finite, friendly

# (label, value): the value is what the /blend API takes; WHAT names it in the history's captions.
SOURCES = [("Two seeds", "seeds"), ("Two picks from Generate", "picks"), ("Two pictures (VAE models)", "pictures")]
WHAT = {"seeds": "two seeds", "picks": "two picks", "pictures": "two pictures"}


def build(catalog: ModelCatalog, session: gr.State, model: gr.Dropdown, demo: gr.Blocks
          ) -> tuple[gr.Image, gr.Image]:
    on_gpu = gpu.task(gpu.DRAW_SECONDS)
    blend_seeds, blend_between, blend_images = (on_gpu(genmodels.blend_seeds), on_gpu(genmodels.blend_between),
                                                on_gpu(genmodels.blend_images))
    gr.Markdown("Morph from one image to another. Pick the two ends, the number of steps and the path, "
                "then download the strip, a looping GIF or an MP4.", elem_classes="ls-intro")
    with gr.Row(equal_height=False):
        with gr.Column(scale=1, min_width=280):
            source = gr.Radio(SOURCES, value="seeds", label="Blend between")
            with gr.Column(visible=True) as seeds_row:
                with gr.Row():
                    seed_a = gr.Number(value=1, precision=0, minimum=0, maximum=SEED_MAX, label="Start seed")
                    seed_b = gr.Number(value=2, precision=0, minimum=0, maximum=SEED_MAX, label="End seed")
                # Shown for a model trained on class folders: the same seed with two classes turns one into the other.
                with gr.Row():
                    class_a = gr.Dropdown([ANY_CLASS], value="", label="Start class", visible=False,
                                          elem_id="blend-class-a", allow_custom_value=True)
                    class_b = gr.Dropdown([ANY_CLASS], value="", label="End class", visible=False,
                                          elem_id="blend-class-b", allow_custom_value=True)
            with gr.Row(visible=False) as picks_row:
                pick_a = gr.Image(label="Start (from Generate)", interactive=False, height=120)
                pick_b = gr.Image(label="End (from Generate)", interactive=False, height=120)
            with gr.Row(visible=False) as uploads_row:
                upload_a = PictureUpload(label="Start picture")
                upload_b = PictureUpload(label="End picture")
            # Half the API's maximum: a strip of more frames is too wide to read on a screen.
            steps = gr.Slider(2, genmodels.MAX_BLEND_STEPS // 2, value=12, step=1, label="Steps")
            path = gr.Radio([("Smooth", "smooth"), ("Straight", "linear")], value="smooth", label="Path",
                            info="Smooth follows the model's natural curve, so the middle stays crisp")
            loop = gr.Checkbox(value=True, label="Loop back to the start (ping-pong)")
            fps = gr.Slider(2, genmodels.MAX_PATH_FPS, value=12, step=1, label="Frames per second")
            go = gr.Button("Blend", variant="primary")
        with gr.Column(scale=2):
            strip = gr.Image(label="Strip", interactive=False, format="png")
            with gr.Row():
                gif = gr.Image(label="Animated GIF", type="filepath", interactive=False, height=260)
                video = gr.Video(label="MP4", interactive=False, height=260, loop=True, autoplay=True)
            files = gr.File(label="Downloads", file_count="multiple", interactive=False)

    source.change(on_source, source, [seeds_row, picks_row, uploads_row], api_name="blend_source")
    gr.on([demo.load, model.change], partial(on_model_classes, catalog), [session, model, class_a, class_b],
          [class_a, class_b], api_name="blend_model_classes")
    inputs = [session, model, source, seed_a, seed_b, upload_a, upload_b, steps, path, loop, fps, class_a, class_b]
    go.click(partial(on_blend, catalog, blend_seeds, blend_between, blend_images), inputs, [strip, gif, video, files],
             api_name="blend", concurrency_id="draw")
    return pick_a, pick_b


# ---- handlers (bound to the components in build) --------------------------------------------------


def on_model_classes(catalog: ModelCatalog, sess: Session, model_key: str | None, current_a: str | None,
                     current_b: str | None):
    """Both class pickers follow the model (see generate_tab.on_model_classes)."""
    return (generate_tab.on_model_classes(catalog, sess, model_key, current_a)[0],
            generate_tab.on_model_classes(catalog, sess, model_key, current_b)[0])


def on_source(choice: str):
    """Show the inputs of the chosen kind of ends."""
    return (gr.update(visible=choice == "seeds"), gr.update(visible=choice == "picks"),
            gr.update(visible=choice == "pictures"))


@friendly
def on_blend(catalog: ModelCatalog, blend_seeds: Callable, blend_between: Callable, blend_images: Callable,
             sess: Session, model_key: str, choice: str, seed_a: float, seed_b: float, picture_a: str | None,
             picture_b: str | None, steps: float, path: str, loop: bool, fps: float, class_a: str | None = "",
             class_b: str | None = ""):
    """Blend: the strip (one way), a GIF and an MP4 (with the way back when loop), and the files to download.
    class_a / class_b: the seeds' classes for a labelled model ("" = any class)."""
    if choice not in WHAT:
        raise genmodels.StudioError("Choose what to blend between.")
    steps, loop, fps = int(finite(steps, "Steps")), bool(loop), finite(fps, "Frames per second")
    folder = catalog.folder(sess, model_key)
    if choice == "seeds":
        class_a, class_b = class_a or None, class_b or None
        frames = blend_seeds(folder, int(seed_a), int(seed_b), steps, path, 1.0, loop, class_a, class_b)
        ends = (genmodels.seed_latent(folder, int(seed_a), label=class_a),
                genmodels.seed_latent(folder, int(seed_b), label=class_b))
    elif choice == "picks":
        start, end = sess.blend_ends
        if start is None or end is None:
            raise genmodels.StudioError("In Generate, select an image and press 'Blend from this', "
                                        "then another and 'Blend to this'.")
        folder = catalog.folder(sess, start.recipe["model_key"])
        frames = blend_between(folder, start.latent, end.latent, steps, path, loop)
        ends = (start.latent, end.latent)
    else:
        if not picture_a or not picture_b:
            raise genmodels.StudioError("Upload a start picture and an end picture.")
        pictures = genmodels.load_image(picture_a), genmodels.load_image(picture_b)
        frames = blend_images(folder, *pictures, steps, path, loop)
        ends = tuple(genmodels.encode_picture(folder, p) for p in pictures)
    key = start.recipe["model_key"] if choice == "picks" else model_key
    history.record_blend(sess, folder, key, ends, steps, path, frames, WHAT[choice])
    strip_img = genmodels.strip(frames[:steps])  # the one-way path; the loop is in the animations
    strip_path, gif_path, mp4_path = sess.path("blend-strip.png"), sess.path("blend.gif"), sess.path("blend.mp4")
    Image.fromarray(strip_img).save(strip_path)
    genmodels.write_gif(frames, gif_path, float(fps))
    genmodels.write_mp4(frames, mp4_path, float(fps))
    return strip_img, str(gif_path), str(mp4_path), [str(strip_path), str(gif_path), str(mp4_path)]


def set_end(sess: Session, which: int) -> Pick:
    pick = sess.selected_pick()
    if pick is None:
        raise genmodels.StudioError("Select an image in the gallery first.")
    sess.blend_ends[which] = pick
    return pick
