"""The lite recipe: small-data's training on DCGAN networks half as wide, batch 32 on a CPU."""
from __future__ import annotations

import numpy as np
import pytest

from genmodels.data.dataset import load_dataset
from genmodels.models.gan import Generator
from genmodels.training.recipes import GAN_RECIPES, auto_batch_size
from genmodels.generation.sampling import generate
from genmodels.storage.store import load_model
from genmodels.training.loop import train
from genmodels.training.config import TrainConfig
from tests.train_helpers import write_discs


@pytest.fixture(scope="module")
def pictures(tmp_path_factory):
    return write_discs(tmp_path_factory.mktemp("discs"), n=12)


def test_lite_is_small_data_at_half_width():
    lite, small = GAN_RECIPES["lite"], GAN_RECIPES["small-data"]
    assert (lite.loss, lite.d_norm, lite.diff_augment, lite.ema, lite.arch) == \
        (small.loss, small.d_norm, small.diff_augment, small.ema, "dcgan")
    assert lite.width == 32 and small.width is None
    assert auto_batch_size("lite", "gan", "cpu", 1000) == 32 and auto_batch_size("lite", "gan", "cuda", 1000) == 64


@pytest.mark.slow
def test_a_lite_model_trains_saves_and_loads_at_its_width(pictures, tmp_path):
    data = load_dataset(pictures, 32, 3)
    cfg = TrainConfig(preset="dcgan-32", recipe="lite", minutes=None, max_steps=6, batch_size=8, preview_every=5)
    events = list(train(cfg, data, tmp_path / "m"))
    assert events[-1].kind == "finished"
    model = load_model(tmp_path / "m")
    assert isinstance(model.network, Generator)
    assert (model.config.g_width, model.config.d_width) == (32, 32)
    assert model.network.net[0].out_channels == 32 * 4  # 32 px: widths 128, 64, 32 (the preset's 256, 128, 64)
    assert model.meta["training"]["recipe"] == "lite"
    a, b = generate(model, [3])[0], generate(load_model(tmp_path / "m"), [3])[0]
    assert a.shape == (32, 32, 3) and np.array_equal(a, b)


@pytest.mark.slow
@pytest.mark.parametrize("ablation,changed", [("lite-lr-decay", {"lr", "lr_end"}), ("lite-r3", {"loss", "r_gamma"})])
def test_each_lite_ablation_changes_one_thing_and_trains(pictures, tmp_path, ablation, changed):
    lite, variant = GAN_RECIPES["lite"], GAN_RECIPES[ablation]
    assert {f for f in lite.__dataclass_fields__ if getattr(lite, f) != getattr(variant, f)} == changed | {"summary"}
    data = load_dataset(pictures, 32, 3)
    cfg = TrainConfig(preset="dcgan-32", recipe=ablation, minutes=None, max_steps=4, batch_size=8,
                      preview_every=1000)
    events = list(train(cfg, data, tmp_path / "m"))
    assert events[-1].kind == "finished"
    assert all(np.isfinite(v) for e in events for v in e.losses.values())
    assert load_model(tmp_path / "m").meta["training"]["learning_rate"] == pytest.approx(variant.lr)
