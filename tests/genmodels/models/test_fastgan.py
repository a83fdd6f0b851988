"""The FastGAN-style networks, the RpGAN loss with R1 + R2, the recipes and the resolution schedule."""
import dataclasses
import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from genmodels.data.dataset import load_dataset
from genmodels.explore.directions import compute_directions
from genmodels.models.fastgan import FastDiscriminator, FastGenerator, quarter_crop, reconstruction_loss
from genmodels.models.gan import GANConfig, build_discriminator, d_loss, g_loss
from genmodels.training.recipes import DEFAULT_RECIPE, GAN_RECIPES, get_recipe, schedule_fade
from genmodels.generation.sampling import generate
from genmodels.training.steps import gradient_penalty
from genmodels.storage.store import build_network, load_model, save_model
from genmodels.training.loop import train
from genmodels.cli.train import build_parser
from genmodels.training.config import TrainConfig
from tests.train_helpers import write_discs

SHAPES = [(32, 3), (64, 3), (32, 1), (64, 1)]


def fast_cfg(size=32, channels=3, **kw):
    return GANConfig(image_size=size, channels=channels, arch="fastgan", d_norm="spectral", **kw)


@pytest.fixture(scope="module")
def pictures(tmp_path_factory):
    return write_discs(tmp_path_factory.mktemp("discs"))


@pytest.mark.parametrize("size,channels", SHAPES)
def test_generator_and_discriminator_shapes(size, channels):
    cfg = fast_cfg(size, channels)
    G, D = build_network(cfg).eval(), build_discriminator(cfg)
    z = torch.randn(3, cfg.z_dim)
    with torch.no_grad():
        x = G(z)
        half = G(z, half_only=True)
    assert isinstance(G, FastGenerator) and isinstance(D, FastDiscriminator)
    assert x.shape == (3, channels, size, size) and half.shape == (3, channels, size // 2, size // 2)
    assert x.abs().max() <= 1 and half.abs().max() <= 1
    logits, feats = D(x, with_features=True)
    assert logits.shape == (3,) and D(half).shape == (3,)  # the half-size entry of the schedule
    assert feats[8].shape[-1] == 8 and feats[16].shape[-1] == 16


def test_fade_blends_the_half_size_head_into_the_full_one():
    G = build_network(fast_cfg(32)).eval()
    z = torch.randn(2, G.cfg.z_dim)
    with torch.no_grad():
        half = G(z, half_only=True)
        full = G(z)
        G.fade.fill_(0.0)
        at_zero = G(z)
        G.fade.fill_(0.25)
        quarter = G(z)
    upsampled = F.interpolate(half, scale_factor=2, mode="nearest")
    assert torch.allclose(at_zero, upsampled, atol=1e-6)
    assert torch.allclose(quarter, 0.75 * upsampled + 0.25 * full, atol=1e-5)


def test_same_seed_same_weights_and_images_do_not_depend_on_the_batch():
    cfg = fast_cfg(32)
    a, b = build_network(cfg, init_seed=5), build_network(cfg, init_seed=5)
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))
    assert not torch.equal(build_network(cfg, init_seed=6).to_rgb.weight, a.to_rgb.weight)
    from genmodels.storage.store import LoadedModel

    model = LoadedModel(kind="gan", config=cfg, network=a.eval())
    together = generate(model, [3, 4, 5])
    assert np.array_equal(generate(model, [4])[0], together[1])


def test_reconstruction_loss_reaches_the_decoders_only_through_real_features():
    cfg = fast_cfg(64)
    D = build_discriminator(cfg)
    real = torch.rand(2, 3, 64, 64) * 2 - 1
    _, feats = D(real, with_features=True)
    loss = reconstruction_loss(D, feats, real, quarter=3)
    loss.backward()
    assert torch.isfinite(loss) and loss > 0
    assert D.decode_whole.net[1].weight.grad is not None and D.decode_part.net[1].weight.grad is not None
    assert quarter_crop(real, 3).shape == (2, 3, 32, 32)
    assert torch.equal(quarter_crop(real, 3), real[..., 32:, 32:])


def test_rpgan_loss_rewards_the_right_side():
    real, fake = torch.full((4,), 3.0), torch.full((4,), -3.0)
    assert d_loss(real, fake, "rpgan") < d_loss(fake, real, "rpgan")
    assert g_loss(fake, "rpgan", real) > g_loss(real, "rpgan", fake)
    with pytest.raises(ValueError):
        g_loss(fake, "rpgan")


def test_gradient_penalty_is_r1_plus_r2():
    # D(x) = <w, x>: the gradient is w for every image, so R1 = R2 = gamma/2 |w|^2.
    w = torch.randn(1, 3, 4, 4)

    def D(x):
        return (x * w).sum(dim=(1, 2, 3))

    real, fake = torch.randn(5, 3, 4, 4), torch.randn(5, 3, 4, 4)
    penalty = gradient_penalty(D, real, fake, gamma=0.5)
    assert torch.allclose(penalty, 0.5 * w.square().sum(), rtol=1e-5)


def test_schedule_goes_half_then_fades_then_full():
    spec = get_recipe("fastgan")
    assert schedule_fade(spec, 0.0) == 0.0 and schedule_fade(spec, spec.half_until - 1e-6) == 0.0
    middle = (spec.half_until + spec.fade_until) / 2
    assert schedule_fade(spec, middle) == pytest.approx(0.5)
    assert schedule_fade(spec, spec.fade_until) == 1.0 and schedule_fade(spec, 1.0) == 1.0
    assert schedule_fade(get_recipe("fastgan-full-size"), 0.0) == 1.0


def test_the_recommended_recipe_is_the_winner_at_each_size():
    # two-stage at both sizes: at 64 px lite at 32 px plus the detail network, at 32 px lite itself
    assert DEFAULT_RECIPE == "two-stage" and TrainConfig().recipe == "two-stage"  # the default preset is 64 px
    assert TrainConfig(preset="dcgan-64-gray").recipe == "two-stage"
    assert TrainConfig(preset="dcgan-32").recipe == "two-stage"
    assert dataclasses.replace(GAN_RECIPES["two-stage"], base_size=0, detail_from=0.6, summary="") == \
        dataclasses.replace(GAN_RECIPES["lite"], summary="")
    assert TrainConfig(preset="dcgan-32", recipe="fastgan").recipe == "fastgan"  # an explicit choice stays
    assert build_parser().parse_args(["--data", "d", "--out", "o"]).recipe is None  # resolved by TrainConfig
    assert GAN_RECIPES["classic"].loss == "bce" and GAN_RECIPES["classic"].d_norm == "batch"
    with pytest.raises(Exception):
        TrainConfig(recipe="no-such-recipe")


@pytest.mark.slow
@pytest.mark.parametrize("recipe", ["fastgan", "fastgan-r3", "fastgan-full-size", "fastgan-no-reconstruction"])
def test_a_few_steps_of_each_fastgan_recipe(pictures, tmp_path, recipe):
    data = load_dataset(pictures, 32, 3)
    cfg = TrainConfig(preset="dcgan-32", recipe=recipe, minutes=None, max_steps=6, batch_size=8, preview_every=5)
    events = list(train(cfg, data, tmp_path / "m"))
    assert events[-1].kind == "finished" and events[-1].preview.dtype == np.uint8
    assert all(np.isfinite(v) for e in events if e.kind == "progress" for v in e.losses.values())
    model = load_model(tmp_path / "m")
    assert isinstance(model.network, FastGenerator) and model.config.arch == "fastgan"
    assert model.meta["training"]["recipe"] == recipe and float(model.network.fade) == 1.0
    assert generate(model, [0])[0].shape == (32, 32, 3)


def test_model_folder_round_trip_keeps_the_fade(tmp_path):
    cfg = fast_cfg(32)
    net = build_network(cfg, init_seed=1).eval()
    net.fade.fill_(0.5)
    save_model(tmp_path / "m", net, cfg, {"name": "fast"})
    model = load_model(tmp_path / "m")
    assert float(model.network.fade) == 0.5
    z = torch.randn(2, cfg.z_dim)
    with torch.no_grad():
        assert torch.equal(model.network(z), net(z))


def test_old_gan_folders_without_arch_still_load(tmp_path):
    cfg = GANConfig(image_size=32)
    save_model(tmp_path / "old", build_network(cfg).eval(), cfg, {"name": "old"})
    content = json.loads((tmp_path / "old" / "config.json").read_text())
    del content["config"]["arch"]  # what every folder written before the fastgan recipe holds
    (tmp_path / "old" / "config.json").write_text(json.dumps(content))
    model = load_model(tmp_path / "old")
    assert model.config.arch == "dcgan" and model.config == dataclasses.replace(cfg)


def test_directions_of_a_fastgan_model(tmp_path):
    cfg = fast_cfg(32)
    save_model(tmp_path / "m", build_network(cfg, init_seed=0).eval(), cfg, {"name": "fast"})
    found = compute_directions(load_model(tmp_path / "m"), k=3, n_samples=256, seed=0)
    assert found.directions.shape == (3, cfg.z_dim) and torch.isfinite(found.directions).all()


def test_automatic_batch_size_follows_the_recipe_the_device_and_the_pictures():
    from genmodels.training.recipes import auto_batch_size

    assert auto_batch_size("fastgan", "gan", "cpu", 1000) == GAN_RECIPES["fastgan"].cpu_batch == 16
    assert auto_batch_size("fastgan", "gan", "cuda", 1000) == 64
    assert auto_batch_size("classic", "gan", "cpu", 1000) == 64  # the article's batch, unchanged
    assert auto_batch_size("fastgan", "gan", "cpu", 5) == 5
    assert auto_batch_size("fastgan", "vae", "cpu", 1000) == 64


def test_learning_rate_decays_over_the_run_for_fastgan_only():
    from genmodels.training.recipes import lr_factor

    spec = get_recipe("fastgan")
    assert lr_factor(spec, 0.0) == 1.0 and lr_factor(spec, 1.0) == pytest.approx(spec.lr_end)
    assert lr_factor(spec, 0.5) == pytest.approx((1 + spec.lr_end) / 2)
    assert lr_factor(get_recipe("classic"), 0.7) == 1.0


def test_a_two_stage_recipes_rate_reaches_its_end_when_the_gan_stage_ends():
    from genmodels.training.recipes import lr_factor

    spec = get_recipe("two-stage-lr-decay")
    assert lr_factor(spec, spec.detail_from) == pytest.approx(spec.lr_end)
    assert lr_factor(spec, spec.detail_from / 2) == pytest.approx((1 + spec.lr_end) / 2)
    assert lr_factor(spec, 1.0) == pytest.approx(spec.lr_end)
    assert lr_factor(get_recipe("two-stage"), 0.5) == 1.0  # the default keeps a constant rate


@pytest.mark.slow
def test_training_sets_the_decayed_rate_on_both_optimizers(pictures, tmp_path):
    from genmodels.training.loop import _Run

    cfg = TrainConfig(preset="dcgan-32", recipe="fastgan", minutes=None, max_steps=4, batch_size=4)
    run = _Run(cfg, load_dataset(pictures, 32, 3), tmp_path / "m", resume=False)
    run._one_step(progress=0.5)
    expected = cfg.learning_rate * (1 + get_recipe("fastgan").lr_end) / 2
    assert all(g["lr"] == pytest.approx(expected) for opt in (run.opt_g, run.opt_d) for g in opt.param_groups)
    assert run.batch == 4 and float(run.net.fade) == 1.0 and float(run.D.fade) == 1.0
