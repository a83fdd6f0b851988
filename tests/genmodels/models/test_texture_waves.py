"""The texture models' periodic inputs: reading a picture's repeats, and the waves' sin and cos."""
from __future__ import annotations

import math

import torch
from torchvision.transforms.functional import gaussian_blur

from genmodels.models.texture_waves import dominant_waves, wave_features


def _crops(picture: torch.Tensor, n: int = 64, size: int = 64) -> torch.Tensor:
    """n random size x size crops (uint8 (n, 3, size, size)) of a (H, W) picture in 0..1."""
    gen = torch.Generator().manual_seed(0)
    ys = torch.randint(picture.shape[0] - size + 1, (n,), generator=gen)
    xs = torch.randint(picture.shape[1] - size + 1, (n,), generator=gen)
    crops = torch.stack([picture[y:y + size, x:x + size] for y, x in zip(ys.tolist(), xs.tolist())])
    return (crops * 255).round().to(torch.uint8)[:, None].expand(-1, 3, -1, -1)


def test_diagonal_stripes_are_found_as_whole_cycles_per_crop():
    y, x = torch.meshgrid(torch.arange(256.0), torch.arange(256.0), indexing="ij")
    # 6 cycles along x and 3 along y per 64 px, a weaker 10 cycles along y, a faint 4 along x; a little noise
    stripes = (0.5 + 0.3 * torch.sin(2 * math.pi * (6 * x - 3 * y) / 64) + 0.2 * torch.sin(2 * math.pi * 10 * y / 64)
               + 0.05 * torch.sin(2 * math.pi * 4 * x / 64))
    picture = (stripes + 0.02 * torch.randn(256, 256, generator=torch.Generator().manual_seed(1))).clamp(0, 1)
    waves = dominant_waves(_crops(picture), 3)
    assert waves.shape == (3, 2)
    assert waves[0].tolist() == [-6.0, 3.0]  # the mirror with n > 0 of (6, -3): the same wave
    assert waves[1].tolist() == [0.0, 10.0]
    assert waves[2].tolist() == [0.0, 0.0]  # the faint one holds too little of the power to count


def test_a_repeat_between_whole_cycles_is_placed_to_a_quarter_cycle_and_slow_drifts_are_left_out():
    y, x = torch.meshgrid(torch.arange(512.0), torch.arange(512.0), indexing="ij")
    # a twill of 3.25 cycles per 64 px along each axis, under a stronger drift of 1.5 cycles per 64 px
    twill = 0.5 + 0.2 * torch.sin(2 * math.pi * 3.25 * (x + y) / 64) + 0.3 * torch.sin(2 * math.pi * 1.5 * y / 64)
    waves = dominant_waves(_crops(twill.clamp(0, 1), n=128), 2, periods=4)
    assert waves.tolist() == [[13.0, 13.0], [0.0, 0.0]]  # 13 cycles per 256 px; the drift is no wave
    assert dominant_waves(_crops(twill.clamp(0, 1), n=128), 1).tolist() == [[3.0, 3.0]]  # whole cycles per crop


def test_a_picture_without_repeats_gets_no_waves():
    # smooth noise (blurred white noise): power spread over every direction, as in marble or cobbles
    noise = torch.rand(1, 1, 256, 256, generator=torch.Generator().manual_seed(2))
    smooth = gaussian_blur(noise, 15, 3.0)[0, 0]
    smooth = (smooth - smooth.min()) / (smooth.max() - smooth.min())
    assert not dominant_waves(_crops(smooth, n=256), 4).any()


def test_wave_features_are_periodic_and_follow_the_shift():
    waves = torch.tensor([[3.0, 2.0], [0.0, 1.0]])
    shifts = torch.tensor([[0.0, 0.0], [0.25, 0.5]])
    f = wave_features(waves, shifts, 16, 32, pitch=4.0, period=64.0)  # a 64 x 128 px canvas at 4 px a pixel
    assert f.shape == (2, 4, 16, 32)
    assert torch.allclose(f[..., :16], f[..., 16:], atol=1e-5)  # whole cycles per 64 px: it repeats
    assert torch.allclose(f[:, :2].square() + f[:, 2:].square(), torch.ones(2, 2, 16, 32), atol=1e-5)
    # a shift of s periods along x is the unshifted picture moved by s * 64 px (here 16 px = 4 grid pixels)
    only_x = wave_features(waves, torch.tensor([[0.25, 0.0]]), 16, 32, 4.0, 64.0)
    assert torch.allclose(only_x[..., :28], f[:1, :, :, 4:], atol=1e-4)


def test_a_grid_reads_only_the_waves_below_its_nyquist_frequency():
    # 17 cycles per 128 px: a grid 16 px apart has 8 pixels per period and would see it as 1 cycle (aliased)
    waves = torch.tensor([[0.0, 17.0], [3.0, 0.0], [0.0, 0.0]])
    shifts = torch.tensor([[0.1, 0.3]])
    coarse = wave_features(waves, shifts, 8, 8, pitch=16.0, period=128.0, nyquist=True)
    assert torch.equal(coarse[:, [0, 3]], torch.zeros(1, 2, 8, 8))  # the fast wave's sin and cos: gone
    assert torch.equal(coarse[:, [1, 4]], wave_features(waves, shifts, 8, 8, 16.0, 128.0)[:, [1, 4]])
    assert torch.equal(coarse[0, 5], torch.ones(8, 8))  # an unused (0, 0) wave stays the constant it was
    fine = wave_features(waves, shifts, 64, 64, pitch=2.0, period=128.0, nyquist=True)  # 64 pixels per period
    assert torch.equal(fine, wave_features(waves, shifts, 64, 64, 2.0, 128.0))
