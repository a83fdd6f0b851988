"""Main directions of variation of a generator (GANSpace, Härkönen et al. 2020), for GANs and VAEs.

GANSpace finds interpretable controls without labels: sample many latents, run them through the
early layers, do PCA on that intermediate layer's activations, then transfer the principal axes back
to the latent space by linear regression, so that a step along direction k in z moves the layer's
k-th principal coordinate (and hence the image) the most.

  samples  z ~ N(0, I), or for a VAE with a fitted mixture prior, draws from that mixture (the same
           seeded rows mapped through it), so the axes describe the pictures it actually draws.
           A labelled GAN's samples get random classes; its activations are centred per class and
           its directions leave the class weights alone, so a slider works within a class.
  layer    the output of the generator's first block (ConvTranspose z -> 4x4, BatchNorm, ReLU for a
           DCGAN; from_z, BatchNorm, LeakyReLU for a VAE's decoder): y = G1(z), (N, C*4*4).
           It is the first non-linear feature map, where the coarse layout of every image is decided,
           it costs microseconds per sample, and PCA in z itself would find nothing (the prior
           N(0, I) has the same variance in every direction). A VAE's decoder is its generator, so
           the same recipe applies: no training data is needed (the model folder has none), and the
           decoder's features, not the encoder's, are what a slider moves.
  PCA      y - mean = X V^T, top-k right singular vectors V (D, k) by randomized SVD (Halko et al.
           2011) with a seeded Gaussian test matrix; x = (y - mean) V (N, k), sigma_k = std(x_k).
  to z     GANSpace sec. 3: regress z on x, U = argmin ||x U - z||^2 (k, z_dim). A slider value t
           moves z by t * sigma_k * U_k: one unit = one standard deviation of that component (in
           the linear approximation), so -2..+2 covers about 95% of what the model draws.
  sign     an eigenvector's sign is arbitrary; we make the largest |entry| of each z direction
           positive so the same model always gives the same sliders.

Stored as `directions.safetensors` beside the weights: tensors "directions" (k, z_dim) (already
scaled by sigma), "sigma" (k,), "explained" (k,) (fraction of the layer's variance); metadata names
the method, layer, sample count, seed, format version and the sha256 of the weights it was computed
from (a retrained model gets fresh directions).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..generation.sampling import prior_of
from ..storage.safe_tensors_io import (
    SafetensorsFileError,
    read_tensors,
    write_tensors_atomic,
)
from ..storage.store import DIRECTIONS_FILE, WEIGHTS_FILE, LoadedModel

DIRECTIONS_FORMAT = "latent-studio-directions"
DIRECTIONS_VERSION = 1
METHOD = "ganspace-pca-regression"
DEFAULT_K = 8
MAX_K = 32
DEFAULT_SAMPLES = 4096
DEFAULT_SEED = 0


@dataclass(frozen=True)
class Directions:
    """k directions for one model. directions (k, z_dim): row k is one standard deviation of
    principal component k, in latent units; sigma (k,): that std in the layer's units; explained (k,):
    the fraction of the layer's variance each component carries (0..1)."""

    directions: torch.Tensor
    sigma: torch.Tensor
    explained: torch.Tensor
    layer: str
    n_samples: int
    seed: int
    weights_sha256: str = ""

    @property
    def k(self) -> int:
        return self.directions.shape[0]

    def metadata(self) -> dict[str, str]:
        return {"format": DIRECTIONS_FORMAT, "format_version": str(DIRECTIONS_VERSION), "method": METHOD,
                "layer": self.layer, "n_samples": str(self.n_samples), "seed": str(self.seed),
                "weights_sha256": self.weights_sha256}


def first_block(model: LoadedModel) -> tuple[str, torch.nn.Module]:
    """(layer name, the module mapping z (N, z_dim, 1, 1) -> the first block's activations)."""
    net = model.network
    if model.kind == "gan" and getattr(model.config, "arch", "dcgan") == "fastgan":
        return "init (first ConvTranspose block, after GLU)", net.init
    if model.kind == "gan" and getattr(model.config, "base_size", 0):  # a two-stage GAN: its first stage's block
        return "base.net.0-2 (first ConvTranspose block, after ReLU)", net.base.first_block()
    if model.kind == "gan":
        return "net.0-2 (first ConvTranspose block, after ReLU)", net.first_block()
    block = torch.nn.Sequential(net.from_z, net.decoder[:2])  # shares the VAE's modules; copies nothing
    return "from_z + decoder.0-1 (first decoder block, after LeakyReLU)", block


def _randomized_pca(y: torch.Tensor, k: int, generator: torch.Generator, n_iter: int = 4) -> torch.Tensor:
    """Top-k principal axes (D, k) of centred y (N, D) by randomized subspace iteration (Halko et al.
    2011, alg. 4.4). Explicit generator: deterministic, global RNG untouched."""
    p = min(k + 10, min(y.shape))  # oversampling makes the top k accurate after a few iterations
    omega = torch.randn(y.shape[1], p, generator=generator, dtype=y.dtype)
    q, _ = torch.linalg.qr(y @ omega)  # (N, p)
    for _ in range(n_iter):
        q, _ = torch.linalg.qr(y.T @ q)  # (D, p)
        q, _ = torch.linalg.qr(y @ q)  # (N, p)
    b = q.T @ y  # (p, D)
    _, _, vh = torch.linalg.svd(b, full_matrices=False)
    return vh[:k].T  # (D, k)


@torch.inference_mode()
def compute_directions(model: LoadedModel, k: int = DEFAULT_K, n_samples: int = DEFAULT_SAMPLES,
                       seed: int = DEFAULT_SEED) -> Directions:
    """GANSpace directions of a model: PCA of the first block's activations, regressed back to z.

    k: 1..32 directions; n_samples: latents to sample (>= 4 k); seed: every draw comes from it."""
    if not 1 <= k <= MAX_K:
        raise ValueError(f"k must be 1..{MAX_K}, got {k}")
    if n_samples < 4 * k:
        raise ValueError(f"n_samples must be at least 4 k = {4 * k}, got {n_samples}")
    generator = torch.Generator().manual_seed(int(seed))
    layer, block = first_block(model)
    model.network.eval()
    z = torch.randn(n_samples, model.z_dim, generator=generator)  # (N, z_dim) ~ N(0, I)
    prior = prior_of(model)
    device = model.device  # the network may sit on a GPU (api.use_device); the PCA runs on the CPU
    if prior is not None:  # a VAE's fitted mixture: PCA where its pictures are, not in N(0, I)'s holes
        z = prior.transform(z.to(device)).cpu()
    tail, latents = model.class_tail, z
    if tail:  # a labelled GAN: every class equally, one-hot weights after the noise
        labels = torch.randint(tail, (n_samples,), generator=generator)
        latents = torch.cat([z, torch.eye(tail)[labels]], dim=1)
    y = torch.cat([block(c.to(device).view(c.shape[0], -1, 1, 1)).flatten(1).cpu()
                   for c in latents.split(1024)])  # (N, D)
    # Centred; float32 keeps the big products fast (float64: 10x slower). A labelled GAN's activations
    # are centred per class, so the axes describe variation within a class, not the jump between classes.
    if tail:
        means = torch.zeros(tail, y.shape[1], dtype=torch.float64).index_add_(0, labels, y.double())
        y = y - (means / torch.bincount(labels, minlength=tail).clamp_min(1)[:, None]).float()[labels]
    else:
        y = (y - y.double().mean(0).float())
    v = _randomized_pca(y, min(k, model.z_dim, y.shape[1]), generator)  # (D, k)
    x = (y @ v).double()  # (N, k) principal coordinates, uncorrelated
    sigma = x.std(0)  # (k,)
    u = torch.linalg.lstsq(x, z.double()).solution  # (k, z_dim): z ~ x U (GANSpace's transfer to z)
    d = sigma[:, None] * u  # one std of component k, in z units
    flip = torch.sign(d.gather(1, d.abs().argmax(1, keepdim=True)))  # largest entry positive
    d = d * flip
    if tail:  # the class weights never move along a direction: it works within the class
        d = torch.cat([d, d.new_zeros(d.shape[0], tail)], dim=1)
    explained = sigma.square() / y.square().sum(dtype=torch.float64).div(n_samples - 1)
    return Directions(d.float().contiguous(), sigma.float(), explained.float(), layer, n_samples, int(seed))


def weights_digest(folder: str | Path) -> str:
    """sha256 of a model folder's weights file: ties a directions file to the weights it describes."""
    h = hashlib.sha256()
    with open(Path(folder) / WEIGHTS_FILE, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def save_directions(folder: str | Path, found: Directions) -> Path:
    """Write directions.safetensors into a model folder (atomically)."""
    path = Path(folder) / DIRECTIONS_FILE
    write_tensors_atomic(path, {"directions": found.directions, "sigma": found.sigma, "explained": found.explained},
                         metadata=found.metadata())
    return path


class DirectionsFileError(SafetensorsFileError):
    """A directions file that cannot be used (wrong model, wrong shape, NaN, unknown version)."""


def load_directions(folder: str | Path, z_dim: int, weights_sha256: str | None = None) -> Directions:
    """Read and check directions.safetensors through the safe reader. Raises DirectionsFileError
    (a SafetensorsFileError) when it is malformed, non-finite, for another z size, or (when
    weights_sha256 is given) computed from other weights."""
    path = Path(folder) / DIRECTIONS_FILE
    tensors = read_tensors(path)
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:  # header already validated by read_tensors
        meta = f.metadata() or {}
    if meta.get("format") != DIRECTIONS_FORMAT or meta.get("format_version") != str(DIRECTIONS_VERSION):
        raise DirectionsFileError(f"{path.name} is not a directions file this version can read.")
    if set(tensors) != {"directions", "sigma", "explained"}:
        raise DirectionsFileError(f"{path.name} does not hold the expected tensors.")
    d, sigma, explained = tensors["directions"], tensors["sigma"], tensors["explained"]
    if d.ndim != 2 or not 1 <= d.shape[0] <= MAX_K or d.shape[1] != z_dim:
        raise DirectionsFileError(f"{path.name} has directions of shape {tuple(d.shape)}, not (k, {z_dim}).")
    if sigma.shape != (d.shape[0],) or explained.shape != (d.shape[0],):
        raise DirectionsFileError(f"{path.name} has mismatched tensor shapes.")
    if not all(t.is_floating_point() and torch.isfinite(t).all() for t in (d, sigma, explained)):
        raise DirectionsFileError(f"{path.name} contains NaN or infinite values.")
    if weights_sha256 is not None and meta.get("weights_sha256") != weights_sha256:
        raise DirectionsFileError(f"{path.name} was computed for different weights.")
    try:
        n_samples, seed = int(meta.get("n_samples", "0")), int(meta.get("seed", "0"))
    except ValueError:
        raise DirectionsFileError(f"{path.name} has invalid metadata.") from None
    return Directions(d.float(), sigma.float(), explained.float(), meta.get("layer", ""), n_samples, seed,
                      meta.get("weights_sha256", ""))


def move(z: torch.Tensor, found: Directions, offsets: torch.Tensor) -> torch.Tensor:
    """z (z_dim,) moved by offsets (k',) standard deviations along the first k' directions -> (z_dim,).
    Zero offsets return z unchanged (bit for bit)."""
    if not bool(offsets.any()):
        return z.clone()
    return z + offsets @ found.directions[: offsets.shape[0]]


def strip_latents(z: torch.Tensor, found: Directions, index: int, steps: int = 5, span: float = 2.0) -> torch.Tensor:
    """steps latents from -span to +span std along direction index (0-based): (steps, z_dim)."""
    t = torch.linspace(-span, span, steps)
    return z.unsqueeze(0) + t[:, None] * found.directions[index]


def as_numpy(found: Directions) -> dict[str, np.ndarray | str | int]:
    return {"directions": found.directions.numpy().copy(), "sigma": found.sigma.numpy().copy(),
            "explained": found.explained.numpy().copy(), "layer": found.layer, "n_samples": found.n_samples,
            "seed": found.seed}
