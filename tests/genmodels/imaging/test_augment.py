"""genmodels.augment: augment_batch and DiffAugment on float (B, C, H, W) batches in [-1, 1]."""
from __future__ import annotations

import pytest
import torch

from genmodels.imaging.augment import AugmentConfig, augment_batch, diff_augment


def batch(b: int = 6, c: int = 3, s: int = 16, seed: int = 0) -> torch.Tensor:
    return torch.rand(b, c, s, s, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# -- augment_batch ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("c", [1, 3])
def test_augment_batch_shape_range_and_determinism(c):
    x = batch(c=c)
    before = x.clone()
    rng_state = torch.get_rng_state()
    a, b = augment_batch(x, gen(1)), augment_batch(x, gen(1))
    assert a.shape == x.shape and a.dtype == x.dtype
    assert a.min() >= -1 and a.max() <= 1
    assert torch.equal(a, b)
    assert not torch.equal(a, augment_batch(x, gen(2)))
    assert torch.equal(x, before)  # input untouched
    assert torch.equal(torch.get_rng_state(), rng_state)  # global RNG untouched


def test_strong_settings_stay_in_range():
    x = batch()
    y = augment_batch(x, gen(0), max_rotate_deg=45, max_scale=0.5, max_translate=0.25, color_jitter=0.5)
    assert y.min() >= -1 and y.max() <= 1 and torch.isfinite(y).all()


def test_all_off_is_identity_and_flip_only_mirrors():
    x = batch()
    off = augment_batch(x, gen(0), flip=False, max_rotate_deg=0, max_scale=0, max_translate=0, color_jitter=0)
    assert torch.equal(off, x)
    flipped = augment_batch(x, gen(0), flip=True, max_rotate_deg=0, max_scale=0, max_translate=0, color_jitter=0)
    mirrored = [torch.equal(flipped[i], x[i].flip(-1)) for i in range(len(x))]
    assert all(m or torch.equal(flipped[i], x[i]) for i, m in enumerate(mirrored))
    assert 0 < sum(mirrored) < len(x)


def test_tiny_geometry_is_almost_identity():
    """The affine path maps pixel centres onto themselves when nothing is drawn (reflection padding)."""
    x = batch(b=4, s=8)
    y = augment_batch(x, gen(0), flip=False, max_rotate_deg=1e-6, max_scale=0, max_translate=0, color_jitter=0)
    assert torch.allclose(y, x, atol=1e-4)
    y = augment_batch(x, gen(0), flip=True, max_rotate_deg=1e-6, max_scale=0, max_translate=0, color_jitter=0)
    assert all(torch.allclose(y[i], x[i], atol=1e-4) or torch.allclose(y[i], x[i].flip(-1), atol=1e-4)
               for i in range(len(x)))


def test_config_apply_matches_function_and_validates():
    cfg = AugmentConfig(flip=True, max_rotate_deg=5, max_scale=0.05, max_translate=0.1, color_jitter=0.2)
    x = batch()
    expected = augment_batch(x, gen(7), flip=True, max_rotate_deg=5, max_scale=0.05, max_translate=0.1,
                             color_jitter=0.2)
    assert torch.equal(cfg.apply(x, gen(7)), expected)
    for bad in (dict(max_rotate_deg=90), dict(max_scale=-0.1), dict(color_jitter=float("nan"))):
        with pytest.raises(ValueError):
            AugmentConfig(**bad)
    with pytest.raises(ValueError):
        augment_batch(torch.zeros(2, 4, 8, 8), gen(0))


# -- DiffAugment -----------------------------------------------------------------------------------------------

POLICY = "color,translation,cutout"


@pytest.mark.parametrize("c", [1, 3])
def test_diff_augment_shapes_and_determinism(c):
    x = batch(c=c)
    rng_state = torch.get_rng_state()
    a, b = diff_augment(x, POLICY, gen(5)), diff_augment(x, POLICY, gen(5))
    assert a.shape == x.shape and torch.equal(a, b)
    assert not torch.equal(a, diff_augment(x, POLICY, gen(6)))
    assert diff_augment(x, POLICY).shape == x.shape  # generator=None: a fresh one, not the global RNG
    assert torch.equal(torch.get_rng_state(), rng_state)
    assert diff_augment(x.double(), POLICY, gen(0)).dtype == torch.float64


@pytest.mark.slow
@pytest.mark.parametrize("policy", ["color", "translation", "cutout", POLICY])
def test_diff_augment_is_differentiable(policy):
    x = batch(c=3).requires_grad_()
    diff_augment(x, policy, gen(0)).square().sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    tiny = (torch.rand(2, 3, 8, 8, dtype=torch.float64, generator=gen(1)) * 2 - 1).requires_grad_()
    assert torch.autograd.gradcheck(lambda t: diff_augment(t, policy, gen(3)), (tiny,))


def test_color_on_grayscale_skips_saturation():
    x = batch(c=1)
    g = gen(9)
    r_brightness, r_saturation, r_contrast = (torch.rand(len(x), 1, 1, 1, generator=g) for _ in range(3))
    y = x + (r_brightness - 0.5)
    mean = y.mean(dim=(1, 2, 3), keepdim=True)
    expected = (y - mean) * (r_contrast + 0.5) + mean
    assert torch.allclose(diff_augment(x, "color", gen(9)), expected, atol=1e-6)


def test_translation_shifts_whole_pixels_with_zero_fill():
    x = batch(b=8, s=16) + 2  # all values > 0, so the zero fill is visible
    y = diff_augment(x, "translation", gen(0))
    pad = torch.nn.functional.pad(x, [2, 2, 2, 2])  # 1/8 of 16 = up to 2 pixels each way
    for i in range(len(x)):
        shifts = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)
                  if torch.equal(y[i], pad[i, :, 2 + dy:18 + dy, 2 + dx:18 + dx])]
        assert len(shifts) == 1


def test_cutout_zeroes_one_half_size_square_clipped_at_borders():
    x = torch.ones(32, 1, 16, 16)
    y = diff_augment(x, "cutout", gen(0))
    for img in y[:, 0]:
        rows, cols = torch.nonzero(img == 0, as_tuple=True)
        assert len(rows) > 0
        h, w = rows.max() - rows.min() + 1, cols.max() - cols.min() + 1
        assert len(rows) == h * w and h <= 8 and w <= 8  # one rectangle, at most 8 x 8
    full = (y == 0).flatten(1).sum(1) == 64
    assert full.any()  # most squares lie fully inside


def test_diff_augment_policy_parsing():
    x = batch()
    assert torch.equal(diff_augment(x, "", gen(0)), x)
    assert torch.equal(diff_augment(x, " color , cutout ", gen(0)), diff_augment(x, "color,cutout", gen(0)))
    with pytest.raises(ValueError, match="unknown DiffAugment policy 'zoom'"):
        diff_augment(x, "color,zoom", gen(0))


def test_translation_and_cutout_match_the_papers_reference_code():
    """Same draws as DiffAugment_pytorch.py (mit-han-lab/data-efficient-gans), same pixels."""
    import torch.nn.functional as F

    x = batch(b=8, s=16)
    ij = dict(indexing="ij")
    g = gen(3)
    ty, tx = (torch.randint(-2, 3, (8,), generator=g) for _ in range(2))
    gb, gx, gy = torch.meshgrid(torch.arange(8), torch.arange(16), torch.arange(16), **ij)
    gx = torch.clamp(gx + ty.view(-1, 1, 1) + 1, 0, 17)
    gy = torch.clamp(gy + tx.view(-1, 1, 1) + 1, 0, 17)
    ref = F.pad(x, [1, 1, 1, 1]).permute(0, 2, 3, 1).contiguous()[gb, gx, gy].permute(0, 3, 1, 2)
    assert torch.equal(diff_augment(x, "translation", gen(3)), ref)

    g = gen(4)
    oy, ox = (torch.randint(0, 16 + 1, (8,), generator=g) for _ in range(2))  # cutout 8: 0..16 inclusive
    gb, gx, gy = torch.meshgrid(torch.arange(8), torch.arange(8), torch.arange(8), **ij)
    gx = torch.clamp(gx + oy.view(-1, 1, 1) - 4, min=0, max=15)
    gy = torch.clamp(gy + ox.view(-1, 1, 1) - 4, min=0, max=15)
    mask = torch.ones(8, 16, 16)
    mask[gb, gx, gy] = 0
    assert torch.equal(diff_augment(x, "cutout", gen(4)), x * mask.unsqueeze(1))
