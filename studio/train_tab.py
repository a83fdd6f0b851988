"""Train: pictures in, a model out, with a live progress bar, loss chart and sample grid."""
from __future__ import annotations

from pathlib import Path

import gradio as gr
import pandas as pd

import genmodels

from . import gpu
from .session import Session
from .ui import SEED_MAX, SESSION_PREFIX, ModelCatalog, finite, friendly, model_update

IMAGE_TYPES = [".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".zip"]
RECIPE_CHOICES = [(genmodels.RECIPE_LABELS[name], name)
                  for name in (genmodels.RECOMMENDED_CHOICE, *genmodels.MAIN_RECIPES)]
LOSS_NAMES = {"d": "critic", "g": "generator", "loss": "total", "reconstruction": "reconstruction", "kl": "KL",
              "laplacian": "edges (Lap1)"}


def _progress_html(fraction: float, text: str) -> str:
    pct = max(0.0, min(1.0, fraction)) * 100
    return (f'<div class="ls-progress" role="progressbar" aria-valuenow="{pct:.0f}" aria-valuemin="0" '
            f'aria-valuemax="100"><div class="ls-progress-fill" style="width:{pct:.1f}%"></div></div>'
            f'<p class="ls-progress-text">{text}</p>')


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "estimating…"
    m, s = divmod(int(seconds), 60)
    return f"{m}:{s:02d} left"


def build(catalog: ModelCatalog, session: gr.State, model: gr.Dropdown) -> None:
    gr.Markdown("Teach a model your style: add 50 to 5,000 pictures (or a zip), check how the model will see "
                "them, choose a size and a time budget, and press Start. You can stop at any time and keep "
                "what it learned.", elem_classes="ls-intro")
    if gpu.on_zero_gpu():
        gr.Markdown("On this Space's ZeroGPU hardware, training runs on the CPU: a GPU is lent for seconds per "
                    "request, too short for training. Drawing, blends and the picture search use the GPU.",
                    elem_classes="ls-intro")
    with gr.Row(equal_height=False):
        with gr.Column(scale=1, min_width=300):
            uploads = gr.File(label="Your pictures (images or a .zip)", file_count="multiple",
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
                              info="Recommended = what learned the emoji best in our tests at each size; the others are kept to compare")
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
            status = gr.HTML(_progress_html(0, "Not started."))
            with gr.Row():
                chart = gr.LinePlot(x="step", y="value", color="loss", label="Losses", height=240)
                grid = gr.Image(label="Samples (refreshing)", interactive=False, height=260)
            quality = gr.Markdown()
            download = gr.File(label="Your model (zip)", interactive=False, height=60)

    def _dataset(sess: Session, files, preset: str, how: str):
        sources = list(files or [])
        key = (tuple(map(str, sources)), preset, how)
        if sess.dataset is None or sess.dataset_key != key:
            sess.dataset = genmodels.prepare_dataset(sources, preset, how)
            sess.dataset_key = key
        return sess.dataset

    @friendly
    def on_check(sess: Session, pictures, model_type: str, size_px: int, grayscale: bool, framing: str):
        if not pictures:
            return "Add pictures to see how the model will see them.", None, None
        preset = genmodels.preset_name(model_type, int(size_px), bool(grayscale))
        return genmodels.dataset_views(_dataset(sess, pictures, preset, framing))

    def use_samples():
        return sorted(str(p) for p in genmodels.SAMPLE_IMAGES.glob("*.png"))

    @friendly
    def on_train(sess: Session, pictures, model_type: str, size_px: int, grayscale: bool, framing: str,
                 training_recipe: str, time_minutes: float, training_seed: float, batch_size: float,
                 resume_run: bool = False):
        if sess.runs_waiting:  # started from the page: arm_run cleared the flag at the click
            sess.runs_waiting -= 1
        else:  # an API call has no click step
            sess.stop.clear()
        if sess.stop.is_set():  # Stop was pressed while this run waited in the queue
            sess.stop.clear()
            yield (_progress_html(0.0, "Stopped before training started."), None, None, None, gr.update(),
                   gr.update())
            return
        preset = genmodels.preset_name(model_type, int(size_px), bool(grayscale))
        if resume_run:
            if sess.train_dir is None or not genmodels.can_resume(sess.train_dir):
                raise genmodels.StudioError("There is no stopped training to resume in this session.")
            out = sess.train_dir
        else:
            if not pictures:
                raise genmodels.StudioError("Add some pictures first (or use the sample images).")
            out = sess.workdir / "models" / f"my-{preset}-{len(sess.models) + 1}"
        dataset = _dataset(sess, pictures, preset, framing)
        sess.train_dir = out
        rows: list[dict] = []
        last_grid = None
        events = genmodels.run_training(dataset, preset, training_recipe, finite(time_minutes, "Time budget"), out,
                                        sess.stop, resume=bool(resume_run), seed=int(training_seed),
                                        batch_size=int(finite(batch_size, "Batch size")) or None,
                                        device="cpu" if gpu.on_zero_gpu() else "auto")
        for ev in events:
            for name, value in ev.losses.items():
                rows.append({"step": ev.step, "value": value, "loss": LOSS_NAMES.get(name, name)})
            if ev.preview is not None:
                last_grid = ev.preview
            text = (f"{ev.message or 'Training…'} Step {ev.step} · {ev.images_per_s:.0f} images/s · "
                    f"{_clock(ev.eta_s)}")
            if ev.kind in ("finished", "stopped", "diverged"):
                key = f"{SESSION_PREFIX}{Path(out).name}"
                sess.models[key] = str(out)
                sess.trained_on[key] = dataset
                zip_path = genmodels.export_model_zip(out, sess.path(f"{Path(out).name}.zip"))
                done = f"{ev.message} Your model is now in the model picker at the top."
                yield (_progress_html(1.0 if ev.kind == "finished" else ev.fraction, done), pd.DataFrame(rows),
                       last_grid, str(zip_path), model_update(catalog, sess, key), _quality(out, dataset))
                return
            yield (_progress_html(ev.fraction, text), pd.DataFrame(rows) if rows else None, last_grid, None,
                   gr.update(), gr.update())

    def on_stop(sess: Session):
        sess.stop.set()
        return _progress_html(1.0, "Stopping… the model so far will be saved.")

    check_inputs = [session, uploads, kind, size, colour, fit]
    for trigger in (uploads.change, size.change, colour.change, fit.change):
        trigger(on_check, check_inputs, [report, seen, augmented], api_name=False if trigger != uploads.change
                else "check_pictures", show_progress="minimal")
    samples.click(use_samples, None, uploads, api_name="use_sample_images")
    train_inputs = [session, uploads, kind, size, colour, fit, recipe, minutes, seed, batch]
    outputs = [status, chart, grid, download, model, quality]
    def on_resume(*args):
        yield from on_train(*args, resume_run=True)

    # arm_run runs at the click, outside the queue, then the run joins the queue: Stop pressed from then
    # on, even while another visitor's training holds the slot, stops this run (a second click is harmless).
    for button, run, name in ((start, on_train, "train"), (resume, on_resume, "resume_training")):
        armed = button.click(arm_run, session, None, queue=False, api_name=False, show_progress="hidden")
        armed.then(run, train_inputs, outputs, api_name=name, concurrency_id="train", concurrency_limit=1)
    stop.click(on_stop, session, status, api_name="stop_training", concurrency_limit=None, queue=False)


def arm_run(sess: Session) -> None:
    sess.stop.clear()
    sess.runs_waiting += 1


def _quality(folder, dataset) -> str:
    """Quality figures shown when training ends (a few seconds: SWD and the near-copy check)."""
    return genmodels.quality_summary(folder, dataset)
