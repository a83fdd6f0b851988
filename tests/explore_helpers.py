"""A tiny GAN with contrast: the conftest models are freshly initialised (weights ~ N(0, 0.02)), so they
draw near-flat grey, which makes "the image changed" and "the picture was found" tests too easy."""
from __future__ import annotations

from pathlib import Path

import torch

from genmodels.models.gan import Generator
from genmodels.storage.store import save_model
from genmodels.models.vae import VAE
from tests.conftest import TINY_GAN, TINY_VAE


def lively_generator(seed: int = 0) -> Generator:
    """TINY_GAN with its transposed-conv weights rescaled to unit gain: seeds give distinct, contrasty images."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        g = Generator(TINY_GAN).eval()
    with torch.no_grad():
        for mod in g.modules():
            if isinstance(mod, torch.nn.ConvTranspose2d):
                mod.weight.mul_(4.0 / 0.02 / (mod.weight.shape[0] * 16) ** 0.5)  # std 0.02 -> 4 / sqrt(fan_in)
    return g


def lively_gan_folder(folder: Path, name: str = "Tiny GAN") -> Path:
    return save_model(folder, lively_generator(), TINY_GAN, {"name": name, "preset": "custom"})


def explore_weights(folder: Path) -> Path:
    """Built-ins for the Explore app tests: the lively tiny GAN and the conftest tiny VAE."""
    lively_gan_folder(folder / "tiny-gan")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        save_model(folder / "tiny-vae", VAE(TINY_VAE).eval(), TINY_VAE, {"name": "Tiny VAE", "preset": "custom"})
    return folder
