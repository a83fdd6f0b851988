"""Train: pictures in, a model out, with a live progress bar, loss chart and sample grid."""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path

import gradio as gr
import pandas as pd

import genmodels

from . import gpu
from .session import Session
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
    progress_html,
    time_left,
)

IMAGE_TYPES = [".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".zip"]
RECIPE_CHOICES = [(genmodels.RECIPE_LABELS[name], name)
                  for name in (genmodels.RECOMMENDED_CHOICE, *genmodels.MAIN_RECIPES)]


@dataclass
class TrainView:
    """What a training run updates as it goes (on_train yields {component: value} for these)."""

    status: gr.HTML
    chart: gr.LinePlot
    grid: gr.Image
    download: gr.File
    model: gr.Dropdown
    quality: gr.Markdown


def build(catalog: ModelCatalog, session: gr.State, model: gr.Dropdown) -> None:
    gr.Markdown("Teach a model your style: add 50 to 5,000 pictures (or a zip), check how the model will see "
                "them, choose a size and a time budget, and press Start. You can stop at any time and keep "
                "what it learned. A zip whose pictures sit in folders (food/, travel/, ...) trains a model "
                "that draws each folder's kind of picture on request.", elem_classes="ls-intro")
    if gpu.on_zero_gpu():
        gr.Markdown("On this Space's ZeroGPU hardware, training runs on the CPU: a GPU is lent for seconds per "
                    "request, too short for training. Drawing, blends and the picture search use the GPU.",
                    elem_classes="ls-intro")
    with gr.Row(equal_height=False):
        with gr.Column(scale=1, min_width=300):
            uploads = gr.File(label="Your pictures (images or a .zip)", file_count="multiple", elem_id="train-uploads",
                              file_types=IMAGE_TYPES, type="filepath", height=140)
            samples = gr.Button("Use the sample images (emoji)")
            kind = gr.Radio([("GAN: crisp, varied", "gan"), ("VAE: smooth, can blend your photos", "vae")],
                            value="gan", label="Model type")
            with gr.Row():
                size = gr.Radio([("32 px (fast)", 32), ("64 px", 64)], value=32, label="Size")
                colour = gr.Radio([("Colour", False), ("Grayscale", True)], value=False, label="Colour")
            fit = gr.Radio([("Crop to square", "crop"), ("Fit whole picture", "pad")], value="crop",
                           label="Framing")
            recipe = gr.Radio(RECIPE_CHOICES, value=genmodels.RECOMMENDED_CHOICE, label="Recipe (GAN)",
                              info="Recommended = what learned the emoji best in our tests at each size; "
                                   "the others are kept to compare")
            minutes = gr.Slider(0.5, 60, value=5, step=0.5, label="Time budget (minutes)")
            with gr.Accordion("Advanced", open=False):
                seed = gr.Number(value=0, precision=0, minimum=0, maximum=SEED_MAX, label="Training seed")
                batch = gr.Slider(0, 128, value=0, step=8, label="Batch size",
                                  info="0 = automatic: the recipe's choice for this computer")
            with gr.Row():
                start = gr.Button("Start training", variant="primary", elem_id="train-start")
                stop = gr.Button("Stop", variant="stop")
                resume = gr.Button("Resume")
        with gr.Column(scale=2):
            report = gr.Markdown("Add pictures to see how the model will see them.")
            with gr.Row():
                seen = gr.Image(label="As the model sees them", interactive=False, height=240)
                augmented = gr.Image(label="With augmentation", interactive=False, height=240)
            status = gr.HTML(progress_html(0, "Not started."))
            with gr.Row():
                chart = gr.LinePlot(x="step", y="value", color="loss", label="Losses", height=240)
                grid = gr.Image(label="Samples (refreshing)", interactive=False, height=260)
            quality = gr.Markdown()
            download = gr.File(label="Your model (zip)", interactive=False, height=60)

    check_inputs = [session, uploads, kind, size, colour, fit]
    for trigger in (uploads.change, size.change, colour.change, fit.change):
        trigger(on_check, check_inputs, [report, seen, augmented], api_name=False if trigger != uploads.change
                else "check_pictures", show_progress="minimal")
    samples.click(use_samples, None, uploads, api_name="use_sample_images")
    train_inputs = [session, uploads, kind, size, colour, fit, recipe, minutes, seed, batch]
    view = TrainView(status, chart, grid, download, model, quality)
    on_start, on_resume = partial(on_train, catalog, view), partial(on_train, catalog, view, resume_run=True)
    # arm_run runs at the click, outside the queue, then the run joins the queue: Stop pressed from then
    # on, even while another visitor's training holds the slot, stops this run (a second click is harmless).
    for button, run, name in ((start, on_start, "train"), (resume, on_resume, "resume_training")):
        armed = button.click(arm_run, session, None, queue=False, api_name=False, show_progress="hidden")
        # "minimal": Gradio's full overlay on every output, redrawn all run long, took 40 % of the steps
        armed.then(run, train_inputs, components(view), api_name=name, concurrency_id="train", concurrency_limit=1,
                   show_progress="minimal")
    stop.click(on_stop, session, status, api_name="stop_training", concurrency_limit=None, queue=False)


# ---- handlers (bound to the components in build) --------------------------------------------------

def _dataset(sess: Session, files, preset: str, how: str):
    """The session's prepared dataset for these files, preset and framing (prepared again only when they change)."""
    sources = list(files or [])
    key = (tuple(map(str, sources)), preset, how)
    if sess.dataset is None or sess.dataset_key != key:
        sess.dataset = genmodels.prepare_dataset(sources, preset, how)
        sess.dataset_key = key
    return sess.dataset


@friendly
def on_check(sess: Session, pictures, model_type: str, size_px: int, grayscale: bool, framing: str):
    """The dataset report and how the model will see the pictures, plain and augmented."""
    if not pictures:
        return "Add pictures to see how the model will see them.", None, None
    preset = genmodels.preset_name(model_type, int(size_px), bool(grayscale))
    return genmodels.dataset_views(_dataset(sess, pictures, preset, framing))


def use_samples():
    """The sample pictures that ship with the studio, as the upload's files."""
    return sorted(str(p) for p in genmodels.SAMPLE_IMAGES.glob("*.png"))


@friendly
def on_train(catalog: ModelCatalog, view: TrainView, sess: Session, pictures, model_type: str, size_px: int,
             grayscale: bool, framing: str, training_recipe: str, time_minutes: float, training_seed: float,
             batch_size: float, resume_run: bool = False):
    """Train (or resume) and show progress: the bar, the loss chart and samples while it runs; the model
    zip, the model picker and the quality figures when it ends."""
    if not sess.train_run.begin():  # Stop was pressed while this run waited in the queue
        yield {view.status: progress_html(0.0, "Stopped before training started."), view.chart: None,
               view.grid: None, view.download: None}
        return
    preset = genmodels.preset_name(model_type, int(size_px), bool(grayscale))
    sess.check_quota()  # a run writes checkpoints and the model into the session's folder
    if resume_run:
        out = sess.train_run.resumable(genmodels.can_resume, "There is no stopped training to resume in this session.")
    else:
        if not pictures:
            raise genmodels.StudioError("Add some pictures first (or use the sample images).")
        out = sess.workdir / "models" / f"my-{preset}-{len(sess.models) + 1}"
    dataset = _dataset(sess, pictures, preset, framing)
    sess.train_run.folder = out
    rows: list[dict] = []
    last_grid, fresh, updates = None, False, LiveUpdates()
    events = genmodels.run_training(dataset, preset, training_recipe, finite(time_minutes, "Time budget"), out,
                                    sess.train_run.stop, resume=bool(resume_run), seed=int(training_seed),
                                    batch_size=int(finite(batch_size, "Batch size")) or None,
                                    device="cpu" if gpu.on_zero_gpu() else "auto")
    for ev in events:
        for name, value in ev.losses.items():
            rows.append({"step": ev.step, "value": value, "loss": LOSS_NAMES.get(name, name)})
        if ev.preview is not None:
            last_grid, fresh = ev.preview, True
        if ev.kind in ("finished", "stopped", "diverged"):
            key = f"{SESSION_PREFIX}{Path(out).name}"
            sess.models[key] = str(out)
            sess.trained_on[key] = dataset
            zip_path = genmodels.export_model_zip(out, sess.path(f"{Path(out).name}.zip"))
            done = f"{ev.message} Your model is now in the model picker at the top."
            yield {view.status: progress_html(1.0 if ev.kind == "finished" else ev.fraction, done),
                   view.chart: pd.DataFrame(rows), view.grid: last_grid, view.download: str(zip_path),
                   view.model: model_update(catalog, sess, key), view.quality: _quality(out, dataset)}
            return
        if not updates.due(now_anyway=fresh or bool(ev.message)):  # "started", checkpoints: worth showing
            continue
        text = (f"{ev.message or 'Training…'} Step {ev.step} · {ev.images_per_s:.0f} images/s · "
                f"{time_left(ev.eta_s)}")
        yield {view.status: progress_html(ev.fraction, text), view.chart: pd.DataFrame(rows) if rows else None,
               view.grid: last_grid if fresh else gr.skip(), view.download: None}
        fresh = False


def on_stop(sess: Session):
    """Ask the session's run to stop; it saves the model so far."""
    sess.train_run.stop.set()
    return progress_html(1.0, "Stopping… the model so far will be saved.")


def arm_run(sess: Session) -> None:
    """At the click, outside the queue: a Stop pressed while the run waits in the queue will stop it."""
    sess.train_run.arm()


def _quality(folder, dataset) -> str:
    """Quality figures shown when training ends (a few seconds: SWD and the near-copy check)."""
    return genmodels.quality_summary(folder, dataset)
