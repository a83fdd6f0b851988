"""The two-stage VAE (models/detail.py, models/vae.py): shapes, sizes, the loss at the base size, one
detail step, and folders of either kind loading."""
from __future__ import annotations

import dataclasses

import pytest
import torch

from genmodels.models.detail import DetailCritic, DetailUpsampler, upsample
from genmodels.models.presets import get_preset
from genmodels.models.vae import VAE, VAEConfig, vae_loss
from genmodels.storage.store import build_network, config_from_dict, load_model, save_model
from genmodels.training.steps import detail_step, vae_reconstruction

TINY = VAEConfig(image_size=64, z_dim=8, width=8, base_size=32, detail_width=16)


@pytest.mark.parametrize("base,size", [(32, 64), (16, 64), (16, 32)])
def test_upsampler_draws_full_size_pictures_in_range(base, size):
    up = DetailUpsampler(base, size, 3, 16)
    out = up(torch.rand(2, 3, base, base) * 4 - 2)  # inputs outside [-1, 1] too
    assert out.shape == (2, 3, size, size)
    assert out.min() >= -1 and out.max() <= 1


def test_upsampler_with_a_silent_residual_is_the_bilinear_upsampling():
    up = DetailUpsampler(32, 64, 3, 16)
    torch.nn.init.zeros_(up.net[-1].weight)
    torch.nn.init.zeros_(up.net[-1].bias)
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    assert torch.allclose(up(x), upsample(x, 64).clamp(-1, 1))


def test_critic_judges_patches_of_a_picture_beside_its_base():
    logits = DetailCritic(3, width=8)(torch.zeros(2, 3, 64, 64), torch.zeros(2, 3, 32, 32))
    assert logits.shape == (2, 64)  # 8 x 8 patches


def test_two_stage_vae_reads_and_draws_full_size_and_learns_at_the_base_size():
    torch.manual_seed(0)
    vae = VAE(TINY).eval()
    x = torch.rand(3, 3, 64, 64) * 2 - 1
    mu, logvar = vae.encode(x)
    assert mu.shape == logvar.shape == (3, 8)
    assert torch.equal(mu, vae.encode(torch.nn.functional.adaptive_avg_pool2d(x, 32))[0])
    assert vae.decode_base(mu).shape == (3, 3, 32, 32)
    assert vae(mu).shape == (3, 3, 64, 64)
    # The loss is the one-stage loss of the same weights on the picture at 32 px.
    one_stage = VAE(dataclasses.replace(TINY, image_size=32, base_size=0)).eval()
    one_stage.load_state_dict({k: v for k, v in vae.state_dict().items() if not k.startswith("detail.")})
    eps = torch.randn(3, 8, generator=torch.Generator().manual_seed(1))
    a, b = vae_loss(vae, x, eps), vae_loss(one_stage, torch.nn.functional.adaptive_avg_pool2d(x, 32), eps)
    assert torch.allclose(a["loss"], b["loss"])


def test_base_size_and_detail_width_are_checked():
    for bad in ({"base_size": 64}, {"base_size": 24}, {"base_size": 32, "image_size": 32},
                {"base_size": 32, "detail_width": 12}, {"base_size": 32, "detail_width": True}):
        with pytest.raises(ValueError):
            VAEConfig(**{"image_size": 64, **bad})
    assert VAEConfig(image_size=32, base_size=16).code_size == 16
    assert VAEConfig(image_size=64).code_size == 64


def test_64_px_presets_are_two_stage_and_32_px_ones_are_not():
    assert get_preset("vae-64").base_size == get_preset("vae-64-gray").base_size == 32
    assert get_preset("vae-32").base_size == 0


def test_one_detail_step_trains_only_the_detail_network_and_its_critic():
    torch.manual_seed(0)
    vae, critic = VAE(TINY).eval(), DetailCritic(3, width=8)
    opt_up = torch.optim.Adam(vae.detail.parameters(), lr=1e-3)
    opt_critic = torch.optim.Adam(critic.parameters(), lr=1e-3)
    before = {k: v.clone() for k, v in vae.state_dict().items()}
    critic_before = [p.clone() for p in critic.parameters()]
    real = torch.rand(4, 3, 64, 64) * 2 - 1
    losses = detail_step(vae_reconstruction(vae), vae.detail, critic, critic, opt_up, opt_critic, real,
                         torch.Generator().manual_seed(0), "fp32", torch.device("cpu"))
    assert set(losses) == {"detail_d", "detail_g", "detail_l1"} and all(torch.isfinite(v) for v in losses.values())
    after = vae.state_dict()
    moved = {k for k in after if not torch.equal(after[k], before[k])}
    assert moved and all(k.startswith("detail.") for k in moved)
    assert any(not torch.equal(p, q) for p, q in zip(critic.parameters(), critic_before))
    assert all(p.requires_grad for p in critic.parameters())


def test_detail_step_is_a_function_of_its_generator():
    def run() -> torch.Tensor:
        torch.manual_seed(0)
        vae, critic = VAE(TINY).eval(), DetailCritic(3, width=8)
        opts = (torch.optim.Adam(vae.detail.parameters()), torch.optim.Adam(critic.parameters()))
        real = torch.linspace(-1, 1, 4 * 3 * 64 * 64).view(4, 3, 64, 64)
        detail_step(vae_reconstruction(vae), vae.detail, critic, critic, *opts, real,
                    torch.Generator().manual_seed(5), "fp32", torch.device("cpu"))
        return vae.detail.net[-1].weight.detach().clone()

    assert torch.equal(run(), run())


@pytest.mark.parametrize("half", [False, True])
def test_two_stage_folder_round_trips(tmp_path, half):
    net = build_network(TINY, 3).eval()
    save_model(tmp_path / "m", net, TINY, {"preset": "vae-64"}, half_precision=half)
    loaded = load_model(tmp_path / "m")
    assert loaded.config == TINY and loaded.network.detail is not None
    z = torch.randn(2, 8, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.allclose(loaded.network(z), net(z), atol=0 if not half else 2e-2)


def test_a_config_from_before_two_stages_loads_as_one_stage():
    old = {"image_size": 64, "channels": 3, "z_dim": 128, "width": 32, "beta": 1.0, "reconstruction": "mse"}
    cfg = config_from_dict("vae", old)
    assert cfg.base_size == 0 and VAE(cfg).detail is None
    assert set(VAE(cfg).state_dict()) == set(VAE(dataclasses.replace(cfg, detail_width=64)).state_dict())


def test_a_two_stage_folder_card_says_so(tmp_path):
    save_model(tmp_path / "m", build_network(TINY).eval(), TINY, {"preset": "vae-64"})
    card = (tmp_path / "m" / "README.md").read_text()
    assert "two-stage convolutional VAE (32 px layout" in card
