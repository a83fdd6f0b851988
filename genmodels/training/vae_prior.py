"""Fit a VAE's mixture prior after training (ex-post density estimation, Ghosh et al. 2020).

Training calls with_fitted_prior() on the exported network; fit_prior() refits a saved model folder
(an old N(0, I) one included) in place. Both encode the training pictures to their posterior means
mu(x), fit mixture.fit_mixture on them, and return a VAE whose config says prior "gmm" and whose
weights carry the mixture (prior.weights / prior.means / prior.scale_tril in model.safetensors).
The encoder and decoder are untouched: reconstructions and picture blends stay exactly as they were.
"""
from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..data.dataset import Dataset
from ..errors import StudioError
from ..generation.sampling import grid, seed_latents
from ..imaging.tensors import rgb_to_channels, to_images, uint8_to_float
from ..models.mixture import MixtureFit, MixtureSettings, fit_mixture
from ..models.vae import VAE
from ..storage.store import build_network, load_model, save_model

# Full covariances and up to 64 parts: the draws closest to the pictures among the settings tried on
# the emoji set without starting to copy pictures (README "VAE random draws" has the figures).
DEFAULT_PRIOR = MixtureSettings(components=64, covariance="full", reg=0.05)
MIN_PER_COMPONENT = 20  # smaller picture sets get fewer components (>= 20 pictures each), at least 1
PREVIEW_SEEDS = range(16)  # the sample grid a refitted folder shows (the same seeds training uses)
ENCODE_BATCH = 256


@torch.no_grad()
def encode_means(network: VAE, images: torch.Tensor) -> torch.Tensor:
    """uint8 pictures (N, C, S, S) -> posterior means mu(x) (N, z_dim) float32, eval mode, in batches."""
    network.eval()
    return torch.cat([network.encode(uint8_to_float(chunk))[0] for chunk in images.split(ENCODE_BATCH)])


def with_fitted_prior(network: VAE, images: torch.Tensor, settings: MixtureSettings = DEFAULT_PRIOR,
                      labels: torch.Tensor | None = None) -> tuple[VAE, dict[str, Any]]:
    """A copy of network (CPU float32, eval) drawing from a mixture fitted to its encodings of images
    (uint8 (N, C, S, S), N >= 1), and what to record about the fit in config.json. A set of fewer than
    20 * settings.components pictures gets N // 20 components (at least 1).
    A labelled network (cfg.classes) needs labels (N,): each class gets its own components (its share
    of settings.components, at least 1), weighted by its share of the pictures, so a draw can be
    asked for a class (a class-aware prior)."""
    start = time.perf_counter()
    latents = encode_means(network, images)  # (N, z_dim)
    classes = network.cfg.classes
    if classes and (labels is None or len(labels) != len(latents)):
        raise StudioError("Fitting a labelled model's prior needs one label per picture.")
    groups = [latents[labels == c] for c in range(len(classes))] if classes else [latents]
    per_group = max(1, settings.components // len(groups))
    fits, owners = [], []
    for c, group in enumerate(groups):
        if len(group) == 0:
            continue
        k = max(1, min(per_group, len(group) // MIN_PER_COMPONENT))
        fits.append((len(group) / len(latents), fit_mixture(group, dataclasses.replace(settings, components=k))))
        owners += [c] * k
    fit = MixtureFit(torch.cat([share * f.weights for share, f in fits]), torch.cat([f.means for _, f in fits]),
                     torch.cat([f.scale_tril for _, f in fits]),
                     sum(share * f.log_likelihood for share, f in fits), max(f.iterations for _, f in fits))
    cfg = dataclasses.replace(network.cfg, prior="gmm", prior_components=len(owners))
    fitted = build_network(cfg)  # seeded init: the global RNG is untouched
    state = {k: v for k, v in network.state_dict().items() if not k.startswith("prior.")}
    fitted.load_state_dict({**fitted.state_dict(), **state})
    fitted.prior.set_fit(fit, torch.tensor(owners) if classes else None)
    info = {"method": "gaussian mixture on the encoded training pictures (Ghosh et al. 2020)"
                      + (", one set of components per class" if classes else ""),
            "components": len(owners), "covariance": settings.covariance, "regularisation": settings.reg,
            "seed": settings.seed, "images": len(latents), "em_iterations": fit.iterations,
            "log_likelihood_per_image": round(fit.log_likelihood, 2),
            "fit_seconds": round(time.perf_counter() - start, 1)}
    return fitted.eval(), info


def prior_grid(network: VAE) -> np.ndarray:
    """The sample grid of a fitted network: seeds 0..15 through its prior."""
    with torch.no_grad():
        return grid(to_images(network(network.prior.transform(seed_latents(PREVIEW_SEEDS, network.cfg.z_dim)))))


def _as_uint8(images: Dataset | np.ndarray | Sequence[np.ndarray], channels: int, size: int) -> torch.Tensor:
    if isinstance(images, Dataset):
        x = images.images  # (N, C, S, S) uint8 already
    else:
        batch = np.stack(list(images)) if not isinstance(images, np.ndarray) else images
        if batch.dtype != np.uint8 or batch.ndim != 4 or batch.shape[-1] != 3:
            raise StudioError(f"Fitting a prior needs uint8 pictures shaped (N, H, W, 3), got {batch.dtype} "
                              f"{batch.shape}.")
        x = rgb_to_channels(torch.from_numpy(np.ascontiguousarray(batch)).permute(0, 3, 1, 2), channels)
    if tuple(x.shape[1:]) != (channels, size, size):
        raise StudioError(f"The pictures must be {size}x{size} to fit this model's prior.")
    return x


def fit_prior(folder: str | Path, images: Dataset | np.ndarray | Sequence[np.ndarray],
              settings: MixtureSettings = DEFAULT_PRIOR) -> dict[str, Any]:
    """Refit a VAE model folder's mixture prior on its training pictures and rewrite the folder in place
    (weights, config.json, card, samples.png; other metadata kept except the old quality figures,
    half-precision weights stay half).

    images: a Dataset, or uint8 (N, S, S, 3) pictures at the model's size. Returns the fit's record
    (also stored under "prior" in config.json)."""
    model = load_model(folder)
    if model.kind != "vae":
        raise StudioError("Only VAE models have a prior to fit; GANs draw from their own training noise.")
    x = _as_uint8(images, model.config.channels, model.config.image_size)
    if len(x) == 0:
        raise StudioError("Fitting a prior needs at least one picture.")
    labels = images.labels if isinstance(images, Dataset) else None
    fitted, info = with_fitted_prior(model.network, x, settings, labels)
    # "quality" measured the old draws; the build script measures the new ones again.
    stale = ("format_version", "kind", "config", "weights_dtype", "quality")
    keep = {k: v for k, v in model.meta.items() if k not in stale}
    save_model(folder, fitted, fitted.cfg, {**keep, "prior": info}, prior_grid(fitted),
               half_precision=model.meta.get("weights_dtype") == "float16")
    return info


__all__ = ["DEFAULT_PRIOR", "encode_means", "with_fitted_prior", "prior_grid", "fit_prior"]
