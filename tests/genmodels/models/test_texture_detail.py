"""Two-scale texture models (models/texture_detail.py): the circular detail network keeps textures periodic
at any size, its margin is where a crop's far edge reaches, and training runs the generator on averaged-down
crops before the detail network learns from real pairs."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from PIL import Image

import genmodels
from genmodels.data.texture_crops import load_texture_dataset
from genmodels.models.detail import DetailUpsampler, wrapped_upsample
from genmodels.models.presets import get_preset
from genmodels.models.texture import TextureConfig, TextureGenerator
from genmodels.models.texture_detail import TwoScaleTexture
from genmodels.storage.store import build_network
from genmodels.training.config import TrainConfig
from genmodels.training.loop import train


def _random_upsampler(seed: int = 0) -> DetailUpsampler:
    """A circular upsampler whose residual is not silent (it starts as plain upsampling)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        up = DetailUpsampler(32, 64, 3, 16, start_as_upsampling=True, circular=True)
        with torch.no_grad():
            for p in up.parameters():
                p.normal_(0.0, 0.1)
    return up.eval()


def test_the_wrapped_upsampling_of_a_periodic_picture_is_periodic():
    x = torch.rand(1, 3, 5, 7)
    big = wrapped_upsample(x.repeat(1, 1, 2, 2), 2)
    assert big.shape == (1, 3, 20, 28)
    assert torch.allclose(big, wrapped_upsample(x, 2).repeat(1, 1, 2, 2), atol=1e-6)


@pytest.mark.parametrize("h,w", [(16, 16), (12, 40)])
def test_a_circular_upsampler_doubles_any_size_and_tiles(h, w):
    up = _random_upsampler()
    x = torch.rand(1, 3, h, w) * 2 - 1
    with torch.no_grad():
        one, tiled = up(x), up(x.repeat(1, 1, 2, 2))
    assert one.shape == (1, 3, 2 * h, 2 * w) and one.min() >= -1 and one.max() <= 1
    assert torch.allclose(tiled, one.repeat(1, 1, 2, 2), atol=1e-5)


def test_inside_its_margin_a_window_is_drawn_as_the_whole_picture_draws_it():
    # Training feeds the detail network crops that are not periodic: only the inside, `margin` base px from
    # each edge, is drawn without the crop's far edge, and that is exactly what training compares.
    up = _random_upsampler()
    m = up.margin
    whole = torch.rand(1, 3, 48, 48) * 2 - 1
    window = whole[..., 8:40, 8:40]
    with torch.no_grad():
        a, b = up(whole)[..., 16:80, 16:80], up(window)
    inside = (..., slice(2 * m, -2 * m), slice(2 * m, -2 * m))
    assert torch.allclose(a[inside], b[inside], atol=1e-5)
    assert not torch.allclose(a, b, atol=1e-3)  # near the edge the wrap-around shows


def test_the_large_preset_learns_at_half_scale_and_draws_in_256_px_steps():
    cfg = get_preset("texture-large")
    assert cfg.image_size == 128 and cfg.base_size == 64 and cfg.stride == 32 and cfg.period == cfg.size_step == 256
    assert cfg.base_config().crop_size == 64 and cfg.base_config().stride == 16
    assert get_preset("texture").detail_width == 0  # the fine preset stays one scale
    with pytest.raises(ValueError):
        TextureConfig(crop_size=48, detail_width=16)  # 24 px at half scale is not whole 16 px cells
    with pytest.raises(ValueError, match="TwoScaleTexture"):
        TextureGenerator(cfg)


def test_the_two_scale_network_draws_at_twice_its_generators_scale():
    cfg = get_preset("texture-large")
    net = build_network(cfg)
    assert isinstance(net, TwoScaleTexture) and net.base.cfg == cfg.base_config()
    noise = torch.randn(1, cfg.z_dim, 3, 5)
    with torch.no_grad():
        assert net.base(noise).shape == (1, 3, 48, 80) and net(noise).shape == (1, 3, 96, 160)
    # a one-scale config still builds the one-scale generator (folders from before two scales)
    assert type(build_network(dataclasses.replace(cfg, crop_size=64, detail_width=0))).__name__ == "TextureGenerator"


def test_the_layout_is_the_generators_texture_enlarged_and_still_tiles():
    cfg = get_preset("texture-large")
    torch.manual_seed(0)
    net = build_network(cfg).eval()
    noise = torch.randn(1, cfg.z_dim, 2, 3)
    with torch.no_grad():
        layout = net.layout(noise)
        assert layout.shape == net(noise).shape == (1, 3, 64, 96)
        assert torch.equal(layout, wrapped_upsample(net.base(noise), 2).clamp(-1, 1))
        # the grid tiled 2 x 2 draws the layout tiled 2 x 2: it is periodic as the full texture is
        assert torch.allclose(net.layout(noise.repeat(1, 1, 2, 2)), layout.repeat(1, 1, 2, 2), atol=1e-5)


def test_a_layout_is_drawn_without_the_detail_network_and_a_one_scale_texture_as_it_is():
    from genmodels.generation.texture import draw_texture, seed_noise
    from genmodels.imaging.tensors import to_images

    cfg = get_preset("texture-large")
    torch.manual_seed(0)
    net = build_network(cfg)
    torch.nn.init.normal_(net.detail.net[-1].weight, std=0.1)  # a trained detail network adds something
    layout = draw_texture(net, cfg, 3, 256, layout=True)
    with torch.no_grad():
        assert np.array_equal(layout, to_images(net.layout(seed_noise(cfg, 3, 8, 8)))[0])
    assert not np.array_equal(layout, draw_texture(net, cfg, 3, 256))
    fine = get_preset("texture")
    one_scale = build_network(fine)
    assert np.array_equal(draw_texture(one_scale, fine, 3, 256, layout=True), draw_texture(one_scale, fine, 3, 256))


def test_the_waves_are_read_at_the_generators_scale():
    # stripes 16 px apart in 128 px crops: 8 cycles per 64 px generator crop at half scale, 16 per period of two
    rows = (np.arange(128) // 8 % 2 * 200).astype(np.uint8)
    crops = torch.from_numpy(np.broadcast_to(rows[None, None, :, None], (64, 3, 128, 128)).copy())
    net = build_network(get_preset("texture-large"))
    net.fit_waves(crops)
    assert net.base.waves[0].tolist() == [0.0, 16.0]


@pytest.fixture
def bricks(tmp_path) -> str:
    """A strictly regular 160 x 256 picture: rows of bricks in a running bond."""
    img = np.full((160, 256, 3), 180, np.uint8)
    for row, y in enumerate(range(0, 160, 20)):
        img[y + 2:y + 18] = (170, 60, 40)
        for x in range((row % 2) * 24, 256, 48):
            img[y:y + 20, x:x + 3] = 180
    Image.fromarray(img).save(tmp_path / "bricks.png")
    return str(tmp_path / "bricks.png")


def test_training_runs_the_generator_then_the_detail_network(bricks, tmp_path):
    data = load_texture_dataset(bricks, get_preset("texture-large").crop_size, crops=16)
    assert data.images.shape[1:] == (3, 128, 128)
    cfg = TrainConfig(preset="texture-large", minutes=None, max_steps=10, batch_size=4, precision="fp32",
                      preview_every=10)
    events = list(train(cfg, data, tmp_path / "out"))
    losses = [set(e.losses) for e in events if e.kind == "progress"]
    assert {"d", "g"} <= losses[0] and {"detail_l1", "detail_d"} <= losses[-1]  # the Large recipe: 90 % / 10 %
    assert events[-1].kind == "finished"
    m = genmodels.load_model(tmp_path / "out")
    assert isinstance(m.network, TwoScaleTexture) and m.config.detail_width
    assert "in two scales" in (tmp_path / "out" / "README.md").read_text()
    tile = genmodels.draw_texture(tmp_path / "out", 0, 256)
    assert tile.shape == (256, 256, 3)
    # the same model folder format: a zip round trip draws the same tile, and a Hub-style load draws too
    (tmp_path / "imported").mkdir()
    back = genmodels.import_model_zip(genmodels.export_model_zip(tmp_path / "out", tmp_path / "wall.zip"),
                                      tmp_path / "imported")
    assert np.array_equal(genmodels.draw_texture(back, 0, 256), tile)
    assert genmodels.LatentStudioModel.from_pretrained(tmp_path / "out").draw_texture(0, 512).shape == (512, 512, 3)


@pytest.mark.slow
def test_a_resumed_two_scale_run_continues_exactly(bricks, tmp_path):
    # 12 steps, stopped after 6: the detail network takes over at the 11th (90 % of the run), after the resume
    from tests.train_helpers import assert_resume_is_exact

    cfg = TrainConfig(preset="texture-large", minutes=None, max_steps=12, batch_size=4, precision="fp32",
                      preview_every=4, seed=3)
    data = load_texture_dataset(bricks, get_preset("texture-large").crop_size, crops=16)
    assert_resume_is_exact(cfg, data, tmp_path, stop_after=6)
