"""Pure sampling functions: seeds -> latents -> images, variations, interpolation, VAE encode/blend.

Every random draw comes from a torch.Generator seeded per image, so image k of seed s is the same
alone or inside any batch, and the global RNG is never touched. seed_latents gives the N(0, I) rows;
model_latents is what a model draws for a seed: those rows, or, for a VAE with a fitted mixture
prior, the exact mixture draw each row maps to (mixture.py). Everything after that step (decode,
blends, paths) works on the model's own latents either way. Networks run in eval mode, where
BatchNorm uses its running statistics, so one image never depends on its neighbours in a batch.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import torch
from torchvision.utils import make_grid

from ..imaging.tensors import to_images, to_tensor
from ..models.mixture import MixturePrior
from ..storage.store import LoadedModel

MAX_BATCH = 64  # images per forward pass; keeps memory flat for long blends


def seed_latents(seeds: Iterable[int], z_dim: int, variety: float = 1.0) -> torch.Tensor:
    """One latent per seed: (N, z_dim). variety scales the spread (the temperature / truncation knob):
    1.0 = as trained, 0 = the model's average image, 0.5 = safer and more typical, 1.5 = wilder."""
    rows = [torch.randn(z_dim, generator=torch.Generator().manual_seed(int(s))) for s in seeds]
    if not rows:
        raise ValueError("at least one seed is needed")
    return torch.stack(rows) * float(variety)


def prior_of(model: LoadedModel) -> MixturePrior | None:
    """The fitted mixture a VAE draws from, or None (GANs, and VAEs that draw from N(0, I))."""
    prior = getattr(model.network, "prior", None) if model.kind == "vae" else None
    return prior if isinstance(prior, MixturePrior) else None


Labels = int | Sequence[int | None] | None


def takes_class_strength(model: LoadedModel) -> bool:
    """Whether a model's draws take a class strength: a labelled GAN (class weights) or a VAE with a
    labelled prior (a class offset)."""
    prior = prior_of(model)
    return bool(model.class_tail) or (prior is not None and prior.component_class is not None)


def seed_class(seed: int, n_classes: int) -> int:
    """The class a labelled GAN draws for a seed when none is asked for: uniform, from its own stream
    (so it does not move the seed's noise)."""
    gen = torch.Generator().manual_seed((int(seed) * 2_654_435_761 + 97) % (2**63 - 1))
    return int(torch.randint(n_classes, (1,), generator=gen))


def row_labels(model: LoadedModel, seeds: Sequence[int], label: Labels) -> list[int | None]:
    """One class index (or None = any) per seed: label may be one index for all, or one per seed.
    A labelled GAN always gets a class (seed_class when none is given)."""
    n, k = len(seeds), len(model.classes)
    labels = [label] * n if label is None or isinstance(label, int) else list(label)
    if len(labels) != n:
        raise ValueError(f"give one label per seed: {len(labels)} labels for {n} seeds")
    if any(lab is not None and (isinstance(lab, bool) or not 0 <= int(lab) < k) for lab in labels):
        raise ValueError(f"labels must be class indices 0..{k - 1}" if k else "this model has no classes")
    if model.class_tail:
        labels = [seed_class(s, k) if lab is None else int(lab) for s, lab in zip(seeds, labels)]
    return labels


def class_weights(n_classes: int, labels: Sequence[int], strength: float = 1.0,
                  own_strengths: Sequence[float] = ()) -> torch.Tensor:
    """A labelled GAN's class weights (N, K) for labels. strength 1 = one-hot, as trained; above 1 the
    weights are pushed past the one-hot, away from the even mix of all classes (1/K each): what sets the
    class apart from the others grows, so the picture is more clearly its class and the seeds of a
    class differ less (a guidance scale for the class the generator was handed at its input).
    own_strengths: the model's own strength per class (GANConfig.class_strengths): each class draws at
    the larger of strength and its own, so 1 draws each class at the strength chosen for it after
    training and higher strengths are what they were before classes had their own."""
    one_hot = torch.eye(n_classes)[list(labels)]
    even = torch.full_like(one_hot, 1.0 / n_classes)
    own = torch.tensor(own_strengths, dtype=one_hot.dtype)[list(labels)] if own_strengths else torch.ones(len(one_hot))
    return even + own.clamp_min(float(strength))[:, None] * (one_hot - even)


def model_latents(model: LoadedModel, seeds: Iterable[int], variety: float = 1.0, label: Labels = None,
                  class_strength: float = 1.0) -> torch.Tensor:
    """The latents (N, latent_dim) a model draws for seeds. variety 0..2: for N(0, I) models it scales
    the noise (0 = the average image); with a mixture prior it scales the deviation inside the
    seed's component (0 = that component's average image, 1 = as fitted).
    label (labelled models): a class index for every seed, or one per seed, None = any class. The
    same seed keeps its noise across classes, so it keeps what the model does not tie to the class.
    class_strength: a labelled GAN's class weights (class_weights; 1 = each class at the model's own
    strength for it), a labelled VAE's class offset (MixturePrior.transform); 1 for a row without a class
    or an unlabelled model."""
    seeds = [int(s) for s in seeds]
    labels = row_labels(model, seeds, label)
    prior = prior_of(model)
    if prior is None:
        z = seed_latents(seeds, model.z_dim, variety)
    else:
        z = prior.transform(seed_latents(seeds, model.z_dim).to(model.device), variety, labels, class_strength).cpu()
    if model.class_tail:  # a labelled GAN reads class weights after the noise
        z = torch.cat([z, class_weights(model.class_tail, labels, class_strength, model.class_strengths)], dim=1)
    return z


def latent_labels(model: LoadedModel, z: torch.Tensor) -> list[int | None]:
    """The class each latent (N, latent_dim) draws: the largest class weight of a labelled GAN, the class of
    the nearest prior component of a labelled VAE, None for unlabelled models."""
    if model.class_tail:
        return [int(i) for i in z[:, -model.class_tail:].argmax(1)]
    prior = prior_of(model)
    found = prior.label_of(z.to(prior.weights.device)) if prior is not None else None
    return [None] * len(z) if found is None else [int(i) for i in found]


@torch.inference_mode()
def decode(model: LoadedModel, z: torch.Tensor) -> list[np.ndarray]:
    """Latents (N, z_dim) -> N uint8 (H, W, 3) images."""
    model.network.eval()
    images: list[np.ndarray] = []
    for chunk in z.float().split(MAX_BATCH):
        images += to_images(model.network(chunk.to(model.device)))
    return images


def generate(model: LoadedModel, seeds: Iterable[int], variety: float = 1.0, label: Labels = None
             ) -> list[np.ndarray]:
    """One image per seed (label: see model_latents)."""
    return decode(model, model_latents(model, seeds, variety, label))


def variations(z: torch.Tensor, n: int, strength: float, seed: int, prior: MixturePrior | None = None,
               tail: int = 0) -> torch.Tensor:
    """n latents around z (z_dim,): strength 0 = identical, 1 = unrelated new draws.

    z' = cos(a) z + sin(a) e with a = strength * pi/2 and e ~ N(0, I): a rotation between z and fresh
    noise, which keeps z' distributed like a prior sample at every strength (a plain z + s*e would not).
    With a mixture prior (prior_of(model)) the same rotation runs in the whitened coordinates of z's
    component, so strength 1 gives fresh draws of the same kind of picture (MixturePrior.vary).
    tail: class weights at the end of z (a labelled GAN's), kept as they are: variations stay in the class.
    """
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"strength must be in [0, 1], got {strength}")
    if tail:
        varied = variations(z[:-tail], n, strength, seed, prior)
        return torch.cat([varied, z[-tail:].expand(n, -1)], dim=1)
    noise = seed_latents(range(seed, seed + n), z.shape[-1])  # (n, z_dim)
    if prior is not None:
        if strength == 0:
            return z.expand(n, -1).clone()
        device = prior.weights.device  # the prior's buffers live with the network (use_device)
        return prior.vary(z.to(device), noise.to(device), strength).to(z.device)
    angle = strength * math.pi / 2
    return math.cos(angle) * z.unsqueeze(0) + math.sin(angle) * noise


def lerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Linear interpolation; t (T,) -> (T, z_dim)."""
    t = t.view(-1, 1)
    return (1 - t) * a + t * b


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor, tail: int = 0) -> torch.Tensor:
    """Spherical interpolation (Shoemake 1985; White 2016 for GAN latents): follows the shell where
    Gaussian latents live, so middle frames are as sharp as the ends. Falls back to lerp when a ~ b.
    tail: class weights at the end of the latents (a labelled GAN's), blended linearly so they keep
    summing to 1 (label A -> label B)."""
    if tail:
        return torch.cat([slerp(a[:-tail], b[:-tail], t), lerp(a[-tail:], b[-tail:], t)], dim=1)
    t = t.view(-1, 1)
    cos = torch.dot(a / a.norm(), b / b.norm()).clamp(-1.0, 1.0)
    omega = torch.arccos(cos)
    if omega.abs() < 1e-4 or a.norm() < 1e-8 or b.norm() < 1e-8:
        return lerp(a, b, t.flatten())
    so = torch.sin(omega)
    return (torch.sin((1 - t) * omega) / so) * a + (torch.sin(t * omega) / so) * b


def interpolate(a: torch.Tensor, b: torch.Tensor, steps: int, mode: str = "smooth", tail: int = 0) -> torch.Tensor:
    """steps latents from a to b inclusive: (steps, z_dim). mode: "smooth" (spherical) or "linear".
    tail: class weights at the end (a labelled GAN's), always blended linearly."""
    if steps < 2:
        raise ValueError(f"steps must be at least 2, got {steps}")
    t = torch.linspace(0.0, 1.0, steps)
    if mode == "smooth":
        path = slerp(a, b, t, tail)
    elif mode == "linear":
        path = lerp(a, b, t)
    else:
        raise ValueError(f"mode must be 'smooth' or 'linear', got {mode!r}")
    path[0], path[-1] = a, b  # exact endpoints, whatever the float rounding in between
    return path


def ping_pong(frames: Sequence[np.ndarray]) -> list[np.ndarray]:
    """A -> B -> A loop without repeating the end frames: [0..n-1] + [n-2..1]."""
    frames = list(frames)
    return frames + frames[-2:0:-1]


def grid(images: Sequence[np.ndarray], columns: int | None = None, padding: int = 2) -> np.ndarray:
    """Tile uint8 (H, W, 3) images into one uint8 image (white gutters), columns ~ sqrt(N) by default."""
    if not images:
        raise ValueError("no images to tile")
    x = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2)  # (N, 3, H, W) uint8
    columns = columns or math.ceil(math.sqrt(len(images)))
    tiled = make_grid(x, nrow=columns, padding=padding, pad_value=255)
    return tiled.permute(1, 2, 0).numpy().copy()


def strip(images: Sequence[np.ndarray], padding: int = 2) -> np.ndarray:
    """One row of images, for blends."""
    return grid(images, columns=len(images), padding=padding)


def _require_vae(model: LoadedModel) -> None:
    if model.kind != "vae":
        raise ValueError("Encoding images needs a VAE model; GAN models can only blend seeds.")


@torch.inference_mode()
def encode(model: LoadedModel, images: Sequence[np.ndarray]) -> torch.Tensor:
    """uint8 (S, S, 3) images at the model's size -> latent means (N, z_dim). VAE only."""
    _require_vae(model)
    size = model.config.image_size
    for img in images:
        if img.shape[:2] != (size, size):
            raise ValueError(f"images must be {size}x{size} to encode; resize them first")
    model.network.eval()
    mu, _ = model.network.encode(to_tensor(list(images), model.config.channels).to(model.device))
    return mu.cpu()


def reconstruct(model: LoadedModel, images: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Encode then decode: how the VAE sees each image."""
    return decode(model, encode(model, images))


def blend_latents(model: LoadedModel, a: torch.Tensor, b: torch.Tensor, steps: int, mode: str = "smooth") -> list[np.ndarray]:
    return decode(model, interpolate(a, b, steps, mode, model.class_tail))


def blend_seeds(model: LoadedModel, seed_a: int, seed_b: int, steps: int, mode: str = "smooth",
                variety: float = 1.0, labels: tuple[int | None, int | None] = (None, None)) -> list[np.ndarray]:
    """A blend from seed_a to seed_b; labels: their classes (labelled models; seed_a == seed_b with two
    labels turns one class into another)."""
    z = model_latents(model, [seed_a, seed_b], variety, list(labels))
    return blend_latents(model, z[0], z[1], steps, mode)


def blend_images(model: LoadedModel, image_a: np.ndarray, image_b: np.ndarray, steps: int,
                 mode: str = "smooth") -> list[np.ndarray]:
    """VAE: encode both images, interpolate their latents, decode every step."""
    z = encode(model, [image_a, image_b])
    return blend_latents(model, z[0], z[1], steps, mode)


__all__ = [
    "seed_latents", "seed_class", "row_labels", "prior_of", "class_weights", "model_latents", "latent_labels", "decode", "generate", "variations", "lerp", "slerp",
    "interpolate", "ping_pong",
    "grid", "strip", "encode", "reconstruct", "blend_latents", "blend_seeds", "blend_images",
]
