"""Patterns: one to twenty pictures of a material in, a texture model out, then seamless tiles of any size.

The page follows the Train tab (pictures, a check of what the model will learn from, Start / Stop /
Resume with a live progress bar, loss chart and samples), then draws: a tile at a size and seed, shown
repeated 3 x 3 so any seam would show, and a strip that morphs one seed's texture into another's. The
last drawn picture downloads as a PNG with its recipe inside, or goes to the Edit tab.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path

import cv2
import gradio as gr
import numpy as np
import pandas as pd
from PIL import Image

import genmodels
import postprocess

from . import gpu, recipes
from .session import Pick, Session
from .ui import (
    LOSS_NAMES,
    SEED_MAX,
    SESSION_PREFIX,
    LiveUpdates,
    ModelCatalog,
    components,
    finite,
    friendly,
    model_update,
    new_seed,
    progress_html,
    time_left,
)

PICTURE_TYPES = [".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".zip"]
SIZES = [256, 512, 1024, 2048]  # the tile sizes offered; the API takes any multiple of the model's size step up to 2048
PREVIEW_SIDE = 1200  # the 3 x 3 preview is shrunk to this many px a side for the browser
# zlib level of the tile's PNG and of its preview: a 1024 px tile in 0.1 s instead of the default 6's 0.5 s,
# for a file 12 % larger
PNG_LEVEL = 1
# After its budget a run saves the model: a Large run of 500 steps or more first draws 128 textures to choose crisp
# detail's patch size (training/crisp_patch.py), then the tab scores its fidelity; the last updates say so
FINISHING_NOTE_S = 10
FINISHING_NOTE = "then up to about 20 s to save the model and check it"


def sample_textures() -> list[tuple[str, str]]:
    """(label, path) of the sample textures that ship with the studio."""
    return [(p.stem.capitalize(), str(p)) for p in sorted(genmodels.SAMPLE_TEXTURES.glob("*.png"))]


@dataclass
class PatternsView:
    """What a texture training run updates as it goes."""

    status: gr.HTML
    chart: gr.LinePlot
    samples: gr.Image
    download: gr.File
    picker: gr.Dropdown
    model: gr.Dropdown
    quality: gr.Markdown


@dataclass
class DrawView:
    """What drawing a tile or a strip updates."""

    preview: gr.Image
    info: gr.Markdown
    file: gr.File


@dataclass
class PatternsTab:
    """What cross_tab.py wires: the button that sends the last drawn picture to Edit."""

    to_edit: gr.Button


def build(catalog: ModelCatalog, session: gr.State, model: gr.Dropdown) -> PatternsTab:
    gr.Markdown("Make endless, seamless material (fabric, paper, wood, stone, wallpaper): add one to twenty "
                "pictures of a texture, train for a few minutes, then draw tiles of any size that repeat with "
                "no visible seam.", elem_classes="ls-intro")
    with gr.Row(equal_height=False):
        with gr.Column(scale=1, min_width=300):
            uploads = gr.File(label="Pictures of one texture (1 to 20, or a .zip)", file_count="multiple",
                              file_types=PICTURE_TYPES, type="filepath", height=120)
            sample = gr.Dropdown(sample_textures(), value=None, label="Or use a sample texture",
                                 elem_id="pattern-sample")
            scale = gr.Slider(genmodels.MIN_TEXTURE_SCALE, genmodels.MAX_TEXTURE_SCALE,
                              value=genmodels.DEFAULT_TEXTURE_SCALE, step=32,
                              label="Detail scale (px)",
                              info="Each picture is shrunk to this size on its short side first: smaller = "
                                   "bigger bricks, grains and stones in what the model draws")
            pattern = gr.Radio([(label, preset) for preset, label in genmodels.TEXTURE_PRESETS],
                               value=genmodels.TEXTURE_PRESETS[0][0], label="Pattern size", elem_id="pattern-size",
                               info="Large sees twice as far (a brick wall's bond) and, drawn with Crisp detail, "
                                    "came closest to bricks, cobbles, marble and wood; Fine came closest to a "
                                    "fine, regular weave (denim) and draws sharper on its own")
            minutes = gr.Slider(0.5, 60, value=5, step=0.5, label="Time budget (minutes)")
            with gr.Accordion("Advanced", open=False):
                train_seed = gr.Number(value=0, precision=0, minimum=0, maximum=SEED_MAX, label="Training seed")
            with gr.Row():
                start = gr.Button("Start training", variant="primary", elem_id="pattern-start")
                stop = gr.Button("Stop", variant="stop", elem_id="pattern-stop")
                resume = gr.Button("Resume")
        with gr.Column(scale=2):
            report = gr.Markdown("Add a picture to see the crops the model will learn from.")
            crops = gr.Image(label="The crops the model learns from", interactive=False, height=220, format="png")
            status = gr.HTML(progress_html(0, "Not started."))
            with gr.Row():
                chart = gr.LinePlot(x="step", y="value", color="loss", label="Losses", height=220)
                samples = gr.Image(label="Textures (refreshing)", interactive=False, height=240, format="png")
            quality = gr.Markdown()
            download = gr.File(label="Your texture model (zip)", interactive=False, height=60)
    gr.Markdown("### Draw")
    with gr.Row(equal_height=False):
        with gr.Column(scale=1, min_width=300):
            builtin = catalog.choices(None, "texture")
            picker = gr.Dropdown(builtin, value=builtin[0][1] if builtin else None, label="Texture model",
                                 elem_id="pattern-model", info="Models you trained here, pulled or imported")
            size = gr.Dropdown([(f"{s} x {s} px", s) for s in SIZES], value=1024, label="Size")
            with gr.Row():
                seed = gr.Number(value=0, precision=0, minimum=0, maximum=SEED_MAX, label="Seed", min_width=100)
                dice = gr.Button("🎲", scale=0, min_width=50)
            crisp = gr.Checkbox(True, label="Crisp detail", elem_id="pattern-crisp", info=CRISP_INFO)
            draw = gr.Button("Draw a tile", variant="primary", elem_id="pattern-draw")
            seed_b = gr.Number(value=1, precision=0, minimum=0, maximum=SEED_MAX, label="Morph into seed")
            morph = gr.Button("Draw a morph strip", elem_id="pattern-morph")
        with gr.Column(scale=2):
            preview = gr.Image(label="Tiled 3 x 3, so any seam would show", interactive=False, height=480,
                               format="png", elem_id="pattern-preview")  # lossless: a seam must not hide
            info = gr.Markdown()
            with gr.Row():
                file = gr.File(label="Download (PNG, recipe inside)", interactive=False, height=60)
                to_edit = gr.Button("Edit this picture")

    check_inputs = [session, uploads, scale, train_seed, pattern]
    for trigger in (uploads.change, scale.release, pattern.input):
        trigger(on_check, check_inputs, [report, crops], api_name="check_texture" if trigger == uploads.change
                else False, show_progress="minimal")
    sample.input(use_sample, sample, uploads, api_name="use_sample_texture")
    view = PatternsView(status, chart, samples, download, picker, model, quality)
    inputs = [session, uploads, scale, minutes, train_seed, pattern]
    for button, resume_run, name in ((start, False, "train_texture"), (resume, True, "resume_texture")):
        armed = button.click(arm_run, session, None, queue=False, api_name=False, show_progress="hidden")
        # "minimal": Gradio's full overlay on every output, redrawn all run long, took 40 % of the steps
        armed.then(partial(on_train, catalog, view, resume_run=resume_run), inputs, components(view),
                   api_name=name, concurrency_id="train", concurrency_limit=1, show_progress="minimal")
    stop.click(on_stop, session, status, api_name="stop_texture", concurrency_limit=None, queue=False)
    picker.focus(partial(texture_choices, catalog), [session, picker], picker, api_name=False, queue=False)
    picker.change(partial(crisp_choice, catalog), [session, picker], crisp, api_name=False, queue=False,
                  show_progress="hidden")
    dice.click(new_seed, None, seed, api_name=False, queue=False)
    drawn = DrawView(preview, info, file)
    draw.click(partial(on_draw, catalog), [session, picker, seed, size, crisp], components(drawn),
               api_name="draw_texture", concurrency_id="draw")
    morph.click(partial(on_morph, catalog), [session, picker, seed, seed_b, size, crisp], components(drawn),
                api_name="morph_texture", concurrency_id="draw")
    return PatternsTab(to_edit)  # Send to Edit is wired in cross_tab.py


# ---- handlers (bound to the components in build) --------------------------------------------------

def _dataset(sess: Session, files, scale: float, seed: float, preset: str):
    """The session's crops for these files, scale, seed and preset (prepared again only when they change)."""
    sources = list(files or [])
    key = (tuple(map(str, sources)), int(finite(scale, "Detail scale")), int(finite(seed, "Training seed")),
           str(preset))
    if sess.texture_data is None or sess.texture_data_key != key:
        sess.texture_data = genmodels.prepare_texture_dataset(sources, key[1], key[2], key[3])
        sess.texture_data_key = key
    return sess.texture_data


@friendly
def on_check(sess: Session, pictures, scale: float, seed: float, preset: str = genmodels.TEXTURE_PRESETS[0][0]):
    """The report and the crops the model will learn from."""
    if not pictures:
        return "Add a picture to see the crops the model will learn from.", None
    return genmodels.texture_views(_dataset(sess, pictures, scale, seed, preset))


def use_sample(path: str | None):
    """A sample texture as the upload's file (only the studio's own samples are accepted)."""
    allowed = dict((p, p) for _, p in sample_textures())
    return [allowed[path]] if path in allowed else None


def arm_run(sess: Session) -> None:
    """At the click, outside the queue: a Stop pressed while the run waits in the queue will stop it."""
    sess.texture_run.arm()


def on_stop(sess: Session):
    """Ask the session's texture run to stop; it saves the model so far."""
    sess.texture_run.stop.set()
    return progress_html(1.0, "Stopping… the model so far will be saved.")


@friendly
def on_train(catalog: ModelCatalog, view: PatternsView, sess: Session, pictures, scale: float, time_minutes: float,
             training_seed: float, preset: str = genmodels.TEXTURE_PRESETS[0][0], resume_run: bool = False):
    """Train (or resume) a texture model with a live progress bar, loss chart and textures; when it ends, the
    model zip, the model in both pickers and its texture fidelity."""
    if not sess.texture_run.begin():  # Stop was pressed while this run waited in the queue
        yield {view.status: progress_html(0.0, "Stopped before training started.")}
        return
    sess.check_quota()  # a run writes checkpoints and the model into the session's folder
    if resume_run:
        out = sess.texture_run.resumable(genmodels.can_resume,
                                         "There is no stopped texture training to resume in this session.")
    else:
        if not pictures:
            raise genmodels.StudioError("Add a picture of the texture first (or pick a sample texture).")
        out = sess.workdir / "models" / f"my-texture-{len(sess.models) + 1}"
    dataset = _dataset(sess, pictures, scale, training_seed, preset)
    sess.texture_run.folder = out
    rows: list[dict] = []
    last, fresh, updates = None, False, LiveUpdates()
    # live textures every 200 steps: drawing them (four 256 px textures) every 50 took a quarter of the run
    events = genmodels.run_training(dataset, preset, genmodels.RECOMMENDED_CHOICE,
                                    finite(time_minutes, "Time budget"), out, sess.texture_run.stop,
                                    resume=bool(resume_run), seed=int(finite(training_seed, "Training seed")),
                                    preview_every=200, device="cpu" if gpu.on_zero_gpu() else "auto")
    for ev in events:
        for name, value in ev.losses.items():
            rows.append({"step": ev.step, "value": value, "loss": LOSS_NAMES.get(name, name)})
        if ev.preview is not None:
            last, fresh = ev.preview, True
        if ev.kind in ("finished", "stopped", "diverged"):
            key = f"{SESSION_PREFIX}{Path(out).name}"
            sess.models[key] = str(out)
            sess.trained_on[key] = dataset
            zip_path = genmodels.export_model_zip(out, sess.path(f"{Path(out).name}.zip"))
            done = f"{ev.message} Draw with it below; it is also in the model picker for sharing."
            yield {view.status: progress_html(1.0 if ev.kind == "finished" else ev.fraction, done),
                   view.chart: pd.DataFrame(rows), view.samples: last, view.download: str(zip_path),
                   view.picker: gr.update(choices=catalog.choices(sess, "texture"), value=key),
                   view.model: model_update(catalog, sess, key),
                   view.quality: genmodels.texture_quality(out, dataset)}
            return
        if not updates.due(now_anyway=fresh or bool(ev.message)):  # "started", checkpoints: worth showing
            continue
        yield {view.status: progress_html(ev.fraction, progress_text(ev)),
               view.chart: pd.DataFrame(rows) if rows else None, view.samples: last if fresh else gr.skip(),
               view.download: None}
        fresh = False


def progress_text(ev) -> str:
    """The status line of a run's progress event; in its last seconds, what comes after the budget."""
    text = f"{ev.message or 'Training…'} Step {ev.step} · {ev.images_per_s:.0f} crops/s · {time_left(ev.eta_s)}"
    return text + f" · {FINISHING_NOTE}" if ev.eta_s is not None and ev.eta_s < FINISHING_NOTE_S else text


def texture_choices(catalog: ModelCatalog, sess: Session, current: str | None):
    """The texture models there are now (built-in, trained, pulled or imported), keeping the one picked."""
    choices = catalog.choices(sess, "texture")
    keys = [key for _, key in choices]
    return gr.update(choices=choices, value=current if current in keys else (keys[-1] if keys else None))


CRISP_INFO = ("Rebuilds the tile's (or strip's) detail from small pieces of your pictures (the model keeps them): "
              "sharper grain and edges, same layout; a 1024 px tile in under a second (the first one takes a second "
              "more)")


def crisp_choice(catalog: ModelCatalog, sess: Session, key: str | None):
    """Crisp detail on for a model that keeps swatches of its pictures; off, and said why, for one without."""
    try:
        has = genmodels.has_swatches(catalog.folder(sess, key)) if key else True
    except genmodels.StudioError:  # a model that vanished or does not load: drawing will say so
        has = True
    if has:
        return gr.update(value=True, interactive=True, info=CRISP_INFO)
    return gr.update(value=False, interactive=False,
                     info="This model keeps no pieces of its pictures (trained before crisp detail, or shared "
                          "without them), so it draws without crisp detail")


def _model(catalog: ModelCatalog, sess: Session, key: str | None) -> tuple[str, str]:
    if not key:
        raise genmodels.StudioError("Train a texture model first (or import one), then pick it.")
    folder = catalog.folder(sess, key)
    return folder, genmodels.describe(folder)["name"]


def _shown(sess: Session, image: np.ndarray, recipe: recipes.Recipe, preview: np.ndarray, text: str):
    """Remember what was drawn (for Send to Edit) and write its PNG, the recipe inside."""
    sess.texture_shown = Pick(image, None, recipe)
    path = sess.path("texture.png")
    postprocess.save_png(path, image, recipe=recipes.plain(recipe), compress_level=PNG_LEVEL)
    shown = sess.path("texture-preview.png")  # written here at PNG_LEVEL, so Gradio sends it as it is
    Image.fromarray(preview).save(shown, format="PNG", compress_level=PNG_LEVEL)
    return str(shown), text, str(path)


@friendly
def on_draw(catalog: ModelCatalog, sess: Session, key: str | None, seed: float, size: int, crisp: bool = True):
    """A seamless tile at size px, shown repeated 3 x 3 (shrunk for the browser); crisp: detail from the
    model's swatches."""
    folder, name = _model(catalog, sess, key)
    seed, size, crisp = int(finite(seed, "Seed")), int(finite(size, "Size")), bool(crisp)
    tile = genmodels.draw_texture(folder, seed, size, crisp)
    tiled = genmodels.tile_preview(tile, 3)
    if tiled.shape[0] > PREVIEW_SIDE:
        tiled = cv2.resize(tiled, (PREVIEW_SIDE, PREVIEW_SIDE), interpolation=cv2.INTER_AREA)
    seam = postprocess.seam_score(tile)
    text = (f"Seed {seed}, {size} x {size} px{', crisp detail' if crisp else ''}. Seam score {seam:.2f} (1.00 = "
            "the edges meet like any two neighbouring pixels). The download is one tile: repeat it as far as you "
            "like.")
    return _shown(sess, tile, recipes.from_texture(name, key, seed, size, crisp=crisp), tiled, text)


@friendly
def on_morph(catalog: ModelCatalog, sess: Session, key: str | None, seed_a: float, seed_b: float, width: int,
             crisp: bool = True):
    """A strip width px wide (a quarter as high) whose texture turns from seed A's into seed B's; crisp: detail
    from the model's swatches."""
    folder, name = _model(catalog, sess, key)
    a, b, width = int(finite(seed_a, "Seed")), int(finite(seed_b, "Morph seed")), int(finite(width, "Size"))
    crisp = bool(crisp)
    strip = genmodels.morph_texture(folder, a, b, width, crisp)
    text = (f"From seed {a} (left) to seed {b} (right), {strip.shape[1]} x {strip.shape[0]} px"
            f"{', crisp detail' if crisp else ''}; it repeats vertically.")
    return _shown(sess, strip, recipes.from_texture(name, key, a, width, morph_to=b, crisp=crisp), strip, text)


def shown_pick(sess: Session) -> Pick:
    """The last tile or strip drawn here (Send to Edit)."""
    if sess.texture_shown is None:
        raise genmodels.StudioError("Draw a tile or a strip first.")
    return sess.texture_shown
