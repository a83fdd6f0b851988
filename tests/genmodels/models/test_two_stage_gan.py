"""The two-stage GAN (models/gan.py TwoStageGenerator): a DCGAN at 32 px and the detail network to 64 px;
its config checks, keys, sizes, the bilinear start, and folders of either kind loading."""
from __future__ import annotations

import dataclasses

import pytest
import torch

from genmodels.models.detail import upsample
from genmodels.models.gan import Discriminator, GANConfig, Generator, TwoStageGenerator, build_generator
from genmodels.storage.store import config_from_dict, load_model, save_model

TINY = GANConfig(image_size=64, z_dim=8, g_width=8, d_width=8, base_size=32, detail_width=16)


def test_two_stage_generator_draws_full_size_from_a_base_size_dcgan():
    torch.manual_seed(0)
    G = build_generator(TINY).eval()
    assert isinstance(G, TwoStageGenerator) and isinstance(G.base, Generator)
    z = torch.randn(3, 8)
    base = G.base(z)
    assert base.shape == (3, 3, 32, 32)
    out = G(z)
    assert out.shape == (3, 3, 64, 64) and out.min() >= -1 and out.max() <= 1
    # Before its stage trains, the detail network is plain bilinear upsampling.
    assert torch.allclose(out, upsample(base, 64).clamp(-1, 1))
    assert {k.split(".")[0] for k in G.state_dict()} == {"base", "detail"}


def test_the_discriminator_of_a_two_stage_gan_judges_the_base_size():
    D = Discriminator(dataclasses.replace(TINY, d_norm="spectral"))
    assert D(torch.zeros(2, 3, 32, 32)).shape == (2,)


def test_two_stage_settings_are_checked():
    for bad in ({"base_size": 16}, {"base_size": 64}, {"base_size": 32, "image_size": 32},
                {"base_size": 32, "arch": "fastgan"}, {"detail_width": 24}, {"detail_width": True}):
        with pytest.raises(ValueError):
            GANConfig(**{"image_size": 64, **bad})
    assert GANConfig(image_size=64, base_size=32).code_size == 32
    assert GANConfig(image_size=64).code_size == 64 and GANConfig(image_size=64).n_stages == 4


def test_a_config_without_base_size_is_one_stage():
    old = {"image_size": 64, "channels": 3, "z_dim": 100, "g_width": 64, "d_width": 64, "d_norm": "spectral"}
    cfg = config_from_dict("gan", old)
    assert cfg.base_size == 0 and isinstance(build_generator(cfg), Generator)


def test_two_stage_folder_round_trip_draws_the_same_pictures(tmp_path):
    torch.manual_seed(0)
    G = build_generator(TINY).eval()
    with torch.no_grad():
        for p in G.detail.parameters():  # a trained detail network is not the bilinear start
            p.add_(torch.randn_like(p) * 0.05)
    save_model(tmp_path / "m", G, TINY, {"name": "m"})
    loaded = load_model(tmp_path / "m")
    assert loaded.config == TINY
    z = torch.randn(2, 8)
    with torch.no_grad():
        assert torch.equal(loaded.network(z), G(z))


def test_a_two_stage_gan_folder_card_says_so(tmp_path):
    save_model(tmp_path / "m", build_generator(TINY).eval(), TINY, {"preset": "dcgan-64"})
    card = (tmp_path / "m" / "README.md").read_text()
    assert "two-stage DCGAN generator (32 px GAN" in card
    save_model(tmp_path / "one", Generator(GANConfig()).eval(), GANConfig(), {"preset": "dcgan-32"})
    assert "A 32x32 RGB DCGAN generator" in (tmp_path / "one" / "README.md").read_text()


def test_explore_finds_directions_in_the_first_stage(tmp_path):
    from genmodels.explore.directions import compute_directions

    save_model(tmp_path / "m", build_generator(TINY).eval(), TINY, {"name": "m"})
    found = compute_directions(load_model(tmp_path / "m"), k=3, n_samples=256, seed=0)
    assert found.directions.shape == (3, TINY.z_dim) and torch.isfinite(found.directions).all()
    assert found.layer.startswith("base.net.0-2")
