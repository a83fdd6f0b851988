"""The facade for exploring a model: its main directions (GANSpace sliders) and finding a picture
inside it ("Find in model"). Plain values in and out, like api.py; every user value is checked here.

Directions live beside the weights as directions.safetensors: loaded if present and made for these
weights, otherwise computed once (a few seconds, deterministic), written back when the folder is
writable, and kept in memory for as long as the loaded model is.
"""
from __future__ import annotations

import dataclasses
import threading
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from ..checks import check_number
from ..errors import StudioError
from ..explore import directions as dirs
from ..explore import invert as inv
from ..generation import sampling
from ..imaging.fit import FITS, fit_square
from ..storage.safe_tensors_io import SafetensorsFileError
from ..storage.store import LoadedModel
from .drawing import MAX_SEED, ModelRef, _latent, image_model

MAX_OFFSET = 3.0  # sliders run -3..3 standard deviations
MAX_STRIP_STEPS = 9
MAX_STRIP_SPAN = 3.0
MIN_PICTURE_SIDE = 8

_found: dict[int, tuple[weakref.ref, dirs.Directions]] = {}  # id(LoadedModel) -> its directions
_found_lock = threading.Lock()


def _directions(model: ModelRef) -> dirs.Directions:
    """The model's directions: memory, then the folder's file (checked), then computed (and saved)."""
    m = image_model(model)
    hit = _found.get(id(m))  # the common case (every slider move): no lock, so no wait behind a computation
    if hit is not None and hit[0]() is m:
        return hit[1]
    with _found_lock:  # one computation per model even when several visitors ask at once
        hit = _found.get(id(m))
        if hit is not None and hit[0]() is m:
            return hit[1]
        found = _load_or_compute(m, None if isinstance(model, LoadedModel) else Path(model))
        _found[id(m)] = (weakref.ref(m), found)
        weakref.finalize(m, _found.pop, id(m), None)
        return found


def _load_or_compute(m: LoadedModel, folder: Path | None) -> dirs.Directions:
    if folder is None:
        return dirs.compute_directions(m, min(dirs.DEFAULT_K, m.z_dim))
    digest = dirs.weights_digest(folder)
    try:
        return dirs.load_directions(folder, m.latent_dim, digest)
    except (OSError, SafetensorsFileError):
        pass  # missing, stale or damaged: compute afresh (deterministic), then try to keep it
    found = dirs.compute_directions(m, min(dirs.DEFAULT_K, m.z_dim))
    found = dataclasses.replace(found, weights_sha256=digest)
    try:
        dirs.save_directions(folder, found)
    except OSError:
        pass  # a read-only folder (a built-in on a Space): memory is enough
    return found


def find_directions(model: ModelRef) -> dict:
    """The model's main directions of variation (computed on first use, a few seconds at most).

    Returns {"count": k, "directions": (k, z_dim) float32 (row = one standard deviation),
    "explained": k fractions of the layer's variance, "method", "layer", "n_samples", "seed"}."""
    found = _directions(model)
    info = dirs.as_numpy(found)
    return {"count": found.k, "method": dirs.METHOD, **info, "explained": [float(v) for v in info["explained"]]}


def _offsets(found: dirs.Directions, offsets: Sequence[float]) -> torch.Tensor:
    try:
        values = [float(v) for v in offsets]
    except (TypeError, ValueError):
        raise StudioError("Direction amounts must be numbers.") from None
    if not 1 <= len(values) <= found.k:
        raise StudioError(f"Give 1 to {found.k} direction amounts, got {len(values)}.")
    for k, v in enumerate(values):
        check_number(f"Direction {k + 1}", v, -MAX_OFFSET, MAX_OFFSET)
    return torch.tensor(values, dtype=torch.float32)


def move_along(model: ModelRef, latent: np.ndarray, offsets: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """The image of latent moved offsets[k] standard deviations (-3..3) along direction k+1.

    Returns (uint8 image, the moved latent (z_dim,) float32). All-zero offsets give the image back
    exactly."""
    m = image_model(model)
    z = _latent(m, latent)
    found = _directions(model)
    moved = dirs.move(z, found, _offsets(found, offsets))
    return sampling.decode(m, moved.unsqueeze(0))[0], moved.numpy()


def direction_strips(model: ModelRef, latent: np.ndarray | None = None, seed: int = 0, steps: int = 5,
                     span: float = 2.0) -> list[np.ndarray]:
    """One preview strip per direction: steps images (2..9) from -span to +span (0.5..3) standard
    deviations around latent (or, when latent is None, around the image of seed)."""
    m = image_model(model)
    found = _directions(model)
    steps = check_number("Preview steps", steps, 2, MAX_STRIP_STEPS, whole=True)
    span = check_number("Preview span", span, 0.5, MAX_STRIP_SPAN)
    z = (sampling.model_latents(m, [check_number("Seed", seed, 0, MAX_SEED, whole=True)])[0] if latent is None
         else _latent(m, latent))
    frames = sampling.decode(m, torch.cat([dirs.strip_latents(z, found, k, steps, span) for k in range(found.k)]))
    return [sampling.strip(frames[k * steps:(k + 1) * steps]) for k in range(found.k)]


def find_in_model(model: ModelRef, image: np.ndarray, seed: int = 0, fit: str = "crop", refine: bool = True,
                  progress: Callable[[float, str], None] | None = None) -> tuple[np.ndarray, np.ndarray, dict]:
    """Find a picture in the model: the latent whose image is closest to it.

    GANs search (about 3-5 s for a 64 px model on a 2-core laptop CPU, deterministic given seed); VAEs read it
    with the encoder, then polish when refine is True. fit: "crop" or "pad" to the model's square.
    progress(fraction 0..1, message) is called along the way.
    Returns (uint8 image found, latent (z_dim,) float32, {"score": similarity 0..100 %, "ssim", "psnr"})."""
    m = image_model(model)
    picture = np.asarray(image) if image is not None else None
    if (picture is None or picture.dtype != np.uint8 or picture.ndim != 3 or picture.shape[2] != 3):
        raise StudioError("Upload a picture (an RGB image) to find in the model.")
    if min(picture.shape[:2]) < MIN_PICTURE_SIDE:
        raise StudioError(f"The picture is too small; it needs at least {MIN_PICTURE_SIDE} pixels a side.")
    if fit not in FITS:
        raise StudioError("Fit must be 'crop' or 'pad'.")
    seed = check_number("Seed", seed, 0, MAX_SEED, whole=True)
    found = inv.invert(m, fit_square(picture, m.config.image_size, fit), seed, refine=bool(refine),
                       progress=progress)
    quality = {"score": found.score, "ssim": round(found.ssim, 4), "psnr": round(found.psnr, 2)}
    return found.image, found.latent.numpy(), quality


__all__ = ["find_directions", "move_along", "direction_strips", "find_in_model", "MAX_OFFSET"]
