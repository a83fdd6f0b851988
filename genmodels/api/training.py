"""The facade's training half: datasets from uploads and training runs, in plain values.

The UI hands over file paths and choices (strings, ints, floats) and gets back a Dataset handle, a
markdown report, preview images, and a stream of TrainEvents (numbers, strings, uint8 grids).
"""
from __future__ import annotations

import ctypes
import functools
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from ..data.dataset import Dataset, load_dataset
from ..data.previews import augmented_preview, class_preview, preview_grid
from ..errors import StudioError
from ..models.presets import get_preset, preset_for
from ..storage.resources import sample_images
from ..training.child import train_in_child
from ..training.config import TrainConfig
from ..training.cores import sharing_cores  # noqa: F401  (the facade's: the app wraps its requests in it)
from ..training.loop import train
from ..training.progress import TrainEvent
from ..training.recipes import RECOMMENDED_CHOICE

SAMPLE_IMAGES = sample_images()


def preset_name(kind: str, image_size: int, grayscale: bool) -> str:
    """UI choices -> preset key: ("gan", 64, False) -> "dcgan-64"."""
    if kind not in ("gan", "vae"):
        raise StudioError("Model type must be GAN or VAE.")
    if image_size not in (32, 64):
        raise StudioError("Image size must be 32 or 64 pixels.")
    return preset_for(kind, int(image_size), bool(grayscale))


def prepare_dataset(sources: Sequence[str | Path] | str | Path, preset: str, fit: str = "crop",
                    labels: bool = True) -> Dataset:
    """Decode, check and resize pictures for a preset (StudioError with the reason when none are usable).
    labels: a folder or zip of sub-folders becomes a labelled set, one class per folder (False: never)."""
    cfg = get_preset(preset)
    if not sources:
        raise StudioError("Add some pictures first (or use the sample images).")
    return load_dataset(sources, cfg.image_size, cfg.channels, fit, labels=labels)


def dataset_views(dataset: Dataset) -> tuple[str, np.ndarray, np.ndarray]:
    """(report markdown, the pictures as the model sees them, augmented examples). A labelled set's
    pictures are shown one row per class, in the order its classes are listed."""
    rep = dataset.report
    lines = [f"**{rep.images_used} pictures ready.** {rep.summary()}"]
    if dataset.classes:
        lines.append(f"**{len(dataset.classes)} classes** (one per sub-folder; the model learns to draw each "
                     "on request): " + ", ".join(f"{name} ({n})" for name, n in rep.classes.items()) + ".")
    if rep.skipped:
        shown = "; ".join(f"{name}: {reason}" for name, reason in rep.skipped[:8])
        more = f" and {len(rep.skipped) - 8} more" if len(rep.skipped) > 8 else ""
        lines.append(f"Skipped {len(rep.skipped)}: {shown}{more}.")
    pictures = (class_preview(dataset.images, dataset.labels, dataset.classes) if dataset.classes
                else preview_grid(dataset, 32))
    return "\n\n".join(lines), pictures, augmented_preview(dataset, 16, seed=0)


def run_training(dataset: Dataset, preset: str, recipe: str, minutes: float, out_dir: str | Path,
                 stop: threading.Event, resume: bool = False, seed: int = 0, batch_size: int | None = None,
                 preview_every: int = 50, device: str = "auto", in_child: bool = True) -> Iterator[TrainEvent]:
    """Train and stream events; the model folder lands in out_dir (see train.train). device: "auto" (the
    GPU when there is one), "cpu" or "cuda". in_child: run it in a child process (training.child: a
    server's worker thread runs torch slower); False runs it in the calling thread."""
    recipe = None if recipe == RECOMMENDED_CHOICE else recipe  # None: the bench's winner (DEFAULT_RECIPE)
    cfg = TrainConfig(preset=preset, recipe=recipe, minutes=minutes, seed=seed, batch_size=batch_size,
                      preview_every=preview_every, checkpoint_minutes=1.0, device=device)
    if in_child:
        return train_in_child(cfg, dataset, out_dir, stop, resume=resume)
    return _then_release_memory(train(cfg, dataset, out_dir, stop=stop, resume=resume))


def _then_release_memory(events: Iterator[TrainEvent]) -> Iterator[TrainEvent]:
    try:
        yield from events
    finally:  # finished, stopped, failed or closed by the server (a cancelled request)
        release_memory()


def release_memory() -> None:
    """Hand the heap a finished run freed back to the OS. A run allocates and frees hundreds of MB of
    batches, activations and optimizer states across the server's worker threads; glibc keeps freed
    chunks in its per-thread arenas, so without this the server held 80-160 MB more after training
    (bench/load.py's cycles) although nothing leaked. A no-op where the C library has no malloc_trim."""
    trim = getattr(_libc(), "malloc_trim", None)
    if trim is not None:
        trim(0)


@functools.cache
def _libc():
    try:
        return ctypes.CDLL(None)  # the C library the interpreter already runs on
    except (OSError, TypeError):
        return None


def can_resume(out_dir: str | Path) -> bool:
    return (Path(out_dir) / "checkpoint" / "checkpoint.safetensors").is_file()


def quality_summary(model_folder: str | Path, dataset: Dataset, n: int = 256) -> str:
    """Markdown with the quality figures shown when training ends (SWD against the pictures, the
    real-vs-real floor, and the near-copy check). n images keep it to seconds on a laptop."""
    from ..evaluation.quality import quality_report

    report = quality_report(model_folder, dataset, n=min(n, 4096), seed=0)
    release_memory()  # the check's 256 images and projections are gone now
    return f"**Quality check** ({report['images']} images, {report['seconds']:.0f} s): {report['summary']}"


def originality_index(dataset: Dataset):
    """An index of a dataset's pictures for nearest_training (build once per dataset, reuse)."""
    from ..evaluation.originality import OriginalityIndex

    return OriginalityIndex(dataset.images)


def nearest_training(image: np.ndarray, dataset: Dataset, index=None) -> tuple[np.ndarray, str]:
    """(the closest training picture, one sentence with its similarity and a near-copy warning)."""
    from ..evaluation.quality import nearest_training_picture

    found = nearest_training_picture(image, dataset, index)
    verdict = ("**Looks like a near copy**: don't ship this one." if found["near_copy"]
               else "Original enough: not a near copy.")
    return found["image"], f"Closest training picture: {found['name']} (similarity {found['similarity']:.2f}). {verdict}"
