"""Shared fixtures: tiny models saved as model folders, so tests stay fast and never need weights/."""
from __future__ import annotations

import pytest
import torch

from genmodels.models.gan import GANConfig, Generator
from genmodels.storage.store import save_model
from genmodels.models.vae import VAE, VAEConfig

TINY_GAN = GANConfig(image_size=32, channels=3, z_dim=16, g_width=8, d_width=8)
TINY_VAE = VAEConfig(image_size=32, channels=3, z_dim=8, width=8)


def _fresh(cls, cfg, seed: int):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return cls(cfg).eval()


@pytest.fixture
def gan_folder(tmp_path):
    return save_model(tmp_path / "tiny-gan", _fresh(Generator, TINY_GAN, 0), TINY_GAN, {"name": "tiny gan"})


@pytest.fixture
def vae_folder(tmp_path):
    return save_model(tmp_path / "tiny-vae", _fresh(VAE, TINY_VAE, 0), TINY_VAE, {"name": "tiny vae"})


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    """The studio running in-process on a free port with tiny built-ins; yields its URL."""
    from tests.app_harness import serving, tiny_weights

    with serving(tiny_weights(tmp_path_factory.mktemp("weights"))) as url:
        yield url


@pytest.fixture
def client(studio):
    """A gradio_client session (one visitor) on the `studio` fixture's app."""
    from gradio_client import Client

    return Client(studio, verbose=False)
