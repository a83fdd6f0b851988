"""The latents a training run feeds its generator: noise for a GAN (followed by class weights for a
labelled one), noise grids for a texture model, and the fixed latents its preview grids are drawn from;
and the random stream each step draws them (and its augmentations) from."""
from __future__ import annotations

from collections.abc import Sequence

import torch

from ..generation.sampling import class_weights, seed_latents
from ..models.gan import GANConfig
from ..models.presets import ModelConfig
from ..models.texture import TextureConfig, texture_noise


def training_latents(cfg: ModelConfig, n: int, gen: torch.Generator, y: torch.Tensor | None = None) -> torch.Tensor:
    """A GAN's latents (n, z_dim), or a texture model's noise grids (n, z_dim, cells, cells) for a crop.
    A labelled GAN's latents end with class weights: y (n, K) when given (the real batch's), else random
    classes. Every draw comes from gen."""
    if isinstance(cfg, TextureConfig):
        cells = cfg.crop_size // cfg.stride
        return texture_noise(cfg, gen, n, cells, cells)
    z = torch.randn(n, cfg.z_dim, generator=gen)
    if isinstance(cfg, GANConfig) and cfg.classes:
        y = y.cpu() if y is not None else torch.eye(cfg.n_classes)[torch.randint(cfg.n_classes, (n,), generator=gen)]
        z = torch.cat([z, y], dim=1)
    return z


def preview_latents(cfg: ModelConfig, seeds: Sequence[int]) -> torch.Tensor:
    """The latents (N, latent_dim) a preview grid draws: one per seed; a labelled GAN's go through its
    classes in turn (seed s draws class s mod K), each at its own strength once training has chosen it."""
    z = seed_latents(seeds, cfg.z_dim)
    if isinstance(cfg, GANConfig) and cfg.classes:
        labels = [s % cfg.n_classes for s in seeds]
        z = torch.cat([z, class_weights(cfg.n_classes, labels, 1.0, cfg.class_strengths)], dim=1)
    return z


def step_generator(seed: int, step: int, salt: int = 0, rank: int = 0) -> torch.Generator:
    """The generator for one step: a pure function of (seed, step), so resume repeats a run exactly.
    Each process of a multi-process run draws its own latents, noise and augmentations (rank 0's are
    the single-process ones); one shared stream would give every rank the same fakes."""
    mixed = seed * 1_000_003 + step * 7_919 + salt + rank * 2_147_483_659
    return torch.Generator().manual_seed(mixed % (2**63 - 1))
