"""A texture model's own first patch side for crisp detail: the candidate whose textures come closer to the
training pictures, chosen after training and kept in its config."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

import genmodels
from genmodels.data.texture_crops import load_texture_dataset
from genmodels.generation import texture_crisp
from genmodels.generation.texture import draw_texture
from genmodels.models.texture import TextureConfig
from genmodels.storage.store import build_network
from genmodels.training import crisp_patch
from genmodels.training.config import TrainConfig
from genmodels.training.loop import train

CFG = TextureConfig(crop_size=128, detail_width=8, g_width=4, g_max=16, d_width=8)


def _crops(side: int) -> torch.Tensor:
    """A bank of noisy crops: what crisp detail has to copy."""
    return torch.randint(0, 256, (8, 3, side, side), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))


@pytest.fixture
def few_draws(monkeypatch):
    monkeypatch.setattr(crisp_patch, "SEEDS", range(1000, 1004))
    monkeypatch.setattr(crisp_patch, "CROPS", 32)


@pytest.mark.parametrize("far", [32, 64])
def test_the_candidate_whose_textures_come_closer_to_the_pictures_is_kept(monkeypatch, few_draws, far):
    """Crisp detail stood in for: the far candidate draws flat grey, the other the pictures' own noise."""
    crops = _crops(128)

    def stand_in(texture, swatches, first_patch):
        if first_patch == far:
            return np.full_like(texture, 128)
        return np.random.default_rng(first_patch).integers(0, 256, texture.shape, dtype=np.uint8)

    monkeypatch.setattr(crisp_patch, "crisp", stand_in)
    net = build_network(CFG).eval()
    assert crisp_patch.own_crisp_patch(net, CFG, crops) == {32: 64, 64: 32}[far]
    assert crisp_patch.with_own_crisp_patch(net, CFG, crops, crisp_patch.MIN_STEPS).crisp_patch == {32: 64, 64: 32}[far]
    assert crisp_patch.with_own_crisp_patch(net, CFG, crops, crisp_patch.MIN_STEPS - 1) is CFG  # a short run's as it is


def test_swatches_too_small_for_64_px_pieces_keep_32_without_drawing(monkeypatch):
    monkeypatch.setattr(crisp_patch, "draw_texture", lambda *a, **k: pytest.fail("nothing needs drawing"))
    assert crisp_patch.own_crisp_patch(build_network(TextureConfig()).eval(), TextureConfig(), _crops(64)) == 32


def test_the_real_choice_is_one_of_the_candidates_and_the_same_every_time(few_draws):
    net = build_network(CFG).eval()
    first = crisp_patch.own_crisp_patch(net, CFG, _crops(128))
    assert first in (32, 64) and crisp_patch.own_crisp_patch(net, CFG, _crops(128)) == first


def test_a_config_takes_32_or_64_and_older_folders_draw_with_32():
    assert TextureConfig().crisp_patch == 32  # a config.json without the key
    assert TextureConfig(crisp_patch=64).crisp_patch == 64
    for bad in (48, True, "64"):
        with pytest.raises(ValueError, match="crisp_patch"):
            TextureConfig(crisp_patch=bad)


@pytest.mark.parametrize("steps, kept", [(2, 32), (3, 64)])
def test_a_large_model_is_saved_with_its_choice_after_a_long_enough_run_and_draws_with_it(monkeypatch, tmp_path,
                                                                                         steps, kept):
    monkeypatch.setattr(crisp_patch, "MIN_STEPS", 3)
    monkeypatch.setattr(crisp_patch, "own_crisp_patch", lambda net, cfg, crops: 64)  # the choice itself is above
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (160, 192, 3), dtype=np.uint8)).save(tmp_path / "p.png")
    data = load_texture_dataset(tmp_path / "p.png", 128, crops=8)
    cfg = TrainConfig(preset="texture-large", minutes=None, max_steps=steps, batch_size=2, precision="fp32")
    list(train(cfg, data, tmp_path / "out"))
    m = genmodels.load_model(tmp_path / "out")
    assert m.config.crisp_patch == kept
    layout = draw_texture(m.network, m.config, 0, 256, layout=True)
    assert np.array_equal(genmodels.draw_texture(m, 0, 256), texture_crisp.crisp(layout, m.swatches, kept))
