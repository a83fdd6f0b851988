"""Seamless tiling: seam_score's definition and guards, and the seamless edit removing the seams."""
from __future__ import annotations

import numpy as np
import pytest

import postprocess as pp
from tests.image_helpers import synthetic

RNG = np.random.default_rng(11)
# Exactly periodic with its own size: tiling the tiled picture repeats the same 128 x 96 patch.
PERIODIC = np.tile(RNG.integers(0, 256, (128, 96, 3), dtype=np.uint8), (2, 3, 1))


def ramp_picture(h: int = 128, w: int = 160, seed: int = 0) -> np.ndarray:
    """A strong left-to-right ramp 0..255 with mild noise: a hard cut where it wraps around."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0.0, 255.0, w)[None, :, None]
    return np.clip(ramp + rng.normal(0.0, 4.0, (h, w, 3)), 0, 255).astype(np.uint8)


def reference_seamless(image: np.ndarray, width: float) -> np.ndarray:
    """The definition with whole-picture rolls, per axis: w * picture + (1 - w) * (picture rolled so its cut
    is at the border), the low pass faded plainly and the detail with the weights over sqrt(w^2 + (1 - w)^2).
    tiling.seamless computes the same zone by zone."""
    from postprocess.tiling import _cut, _low_pass

    out = image.astype(np.float32)
    for axis in (1, 0):
        n = out.shape[axis]
        shift = n - _cut(out, axis)
        distance = np.minimum(np.arange(n), np.arange(n)[::-1])
        t = np.clip(distance / max(1.0, min(width * n, min(shift, n - shift) - 1.0)), 0.0, 1.0)
        w = (t * t * (3 - 2 * t)).reshape((-1, 1, 1) if axis == 0 else (1, -1, 1))
        low = _low_pass(out)
        other, low_other = np.roll(out, shift, axis=axis), np.roll(low, shift, axis=axis)
        detail = (w * (out - low) + (1 - w) * (other - low_other)) / np.sqrt(w * w + (1 - w) ** 2)
        out = (low_other + w * (low - low_other) + detail).astype(np.float32)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def test_periodic_picture_scores_about_one() -> None:
    assert abs(pp.seam_score(PERIODIC) - 1.0) < 0.05
    for axis in (0, 1):
        assert abs(pp.seam_score(PERIODIC, axis=axis) - 1.0) < 0.1


def test_score_definition_on_a_small_example() -> None:
    # Columns 0, 10, 20, 30 (a ramp): inside steps are 10, the wrap-around step is 30.
    image = np.repeat(np.repeat(np.array([0, 10, 20, 30], np.uint8)[None, :, None], 3, axis=0), 3, axis=2)
    assert pp.seam_score(image, axis=1) == pytest.approx(3.0)
    assert pp.seam_score(image, axis=0) == 1.0  # rows are identical: flat and no seam
    assert pp.seam_score(image) == pytest.approx(2.0)  # the mean of the two directions


def test_flat_and_degenerate_pictures_give_finite_scores() -> None:
    flat = np.full((8, 8, 3), 77, np.uint8)
    assert pp.seam_score(flat) == 1.0
    assert pp.seam_score(np.zeros((1, 1, 3), np.uint8)) == 1.0
    step = flat.copy()
    step[:, -1] = 78  # one 1-level step inside, the same step back across the edge: the worst case
    assert pp.seam_score(step, axis=1) == pytest.approx(7.0)  # at most W - 1, never inf
    with pytest.raises(pp.EditError):
        pp.seam_score(np.zeros((4, 4), np.uint8))
    with pytest.raises(pp.EditError, match="axis"):
        pp.seam_score(flat, axis=2)


def test_seamless_removes_the_seams() -> None:
    image = ramp_picture()
    assert pp.seam_score(image) > 1.15 and pp.seam_score(image, axis=1) > 10
    out = pp.seamless(image)
    assert pp.seam_score(out, axis=1) <= 1.15
    assert pp.seam_score(out, axis=0) <= 1.15
    assert pp.apply_edit(image, "seamless", {}).tolist() == out.tolist()


@pytest.mark.parametrize("width", [0.05, 0.25, 0.5])
def test_seamless_follows_its_definition(width: float) -> None:
    for image in (ramp_picture(), synthetic(33, 47, seed=4), synthetic(6, 5, seed=1)):
        out = pp.seamless(image, width=width)
        assert int(np.abs(out.astype(int) - reference_seamless(image, width).astype(int)).max()) <= 1


def test_contract_shape_dtype_no_mutation_deterministic() -> None:
    image = ramp_picture(64, 96)
    before = image.copy()
    out = pp.seamless(image, width=0.3)
    assert out.shape == image.shape and out.dtype == np.uint8
    assert np.array_equal(image, before) and not np.shares_memory(out, image)
    assert np.array_equal(out, pp.seamless(image, width=0.3))
    assert np.array_equal(pp.seamless(image, strength=0.0), image)


def test_the_cut_avoids_a_hard_edge_in_the_middle() -> None:
    """A stripe pattern with one hard dark line exactly in the middle: cutting there would make the new
    seam a hard edge; the cut goes where neighbours differ as they usually do, and the seam scores ~1."""
    x = np.arange(160, dtype=np.float32)
    image = np.repeat((128 + 40 * np.sin(x / 3.0))[None, :, None], 3, 2).repeat(96, 0)
    image[:, 80] = 0
    image = np.clip(image + RNG.normal(0, 3, image.shape), 0, 255).astype(np.uint8)
    from postprocess.tiling import _cut

    assert _cut(image.astype(np.float32), 1) not in (80, 81)
    assert 0.7 <= pp.seam_score(pp.seamless(image), axis=1) <= 1.15


def test_fine_detail_keeps_its_contrast_near_the_edges() -> None:
    """Averaging two unrelated details would wash them out near the borders; the edit keeps their contrast."""
    image = RNG.normal(128, 30, (128, 128, 3)).clip(0, 255).astype(np.uint8)
    out = pp.seamless(image, width=0.5).astype(np.float32)
    border, middle = out[:, :16].std(), out[:, 56:72].std()
    assert border > 0.85 * middle


@pytest.mark.parametrize("shape", [(1, 1), (1, 7), (2, 3), (3, 2), (5, 9), (33, 17)])
def test_tiny_and_odd_sizes(shape: tuple[int, int]) -> None:
    image = synthetic(*shape, seed=3)
    out = pp.seamless(image)
    assert out.shape == image.shape and out.dtype == np.uint8
    assert np.isfinite(pp.seam_score(out))


@pytest.mark.parametrize("width", [0.0, 0.04, 0.51, 2.0, float("nan")])
def test_width_is_validated(width: float) -> None:
    with pytest.raises(pp.EditError):
        pp.apply_edit(ramp_picture(16, 16), "seamless", {"width": width})


def test_registered_and_listed() -> None:
    entry = next(e for e in pp.list_edits() if e["name"] == "seamless")
    assert entry["group"] == "Style" and not entry["changes_size"]
    width = next(p for p in entry["params"] if p["name"] == "width")
    assert (width["min"], width["max"], width["default"], width["label"]) == (0.05, 0.5, 0.25, "Blend width")
    assert "seamless" in pp.edit_names() and pp.seam_score in vars(pp).values()
