"""Colour tools: palette extraction, swatches, colour transfer (Reinhard) and histogram matching."""
from __future__ import annotations

import numpy as np
import pytest

import postprocess as pp


def gradient(h: int = 64, w: int = 64, seed: int = 0, tint: tuple[float, float, float] = (1, 1, 1)) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.stack([x / w, y / h, (x + y) / (w + h)], -1) * 200 + 20 + rng.normal(0, 8, (h, w, 3))
    return np.clip(base * np.array(tint, np.float32), 0, 255).astype(np.uint8)


def two_colour(h: int = 64, w: int = 64) -> np.ndarray:
    image = np.zeros((h, w, 3), np.uint8)
    image[:] = (0x11, 0x22, 0x33)
    image[:, : w // 4] = (0xee, 0xdd, 0xcc)  # a quarter of the pixels
    return image


def test_palette_of_two_colour_image_is_exact() -> None:
    for k in (2, 5):
        palette = pp.extract_palette(two_colour(), k)
        assert [c["hex"] for c in palette] == ["#112233", "#eeddcc"]
        assert [c["rgb"] for c in palette] == [[0x11, 0x22, 0x33], [0xEE, 0xDD, 0xCC]]
        assert [c["share"] for c in palette] == [0.75, 0.25]


def test_palette_finds_main_colours_of_a_noisy_image() -> None:
    rng = np.random.default_rng(0)
    image = np.zeros((64, 64, 3), np.float32)
    image[:, :32] = (200, 30, 30)
    image[:, 32:] = (30, 30, 200)
    image = np.clip(image + rng.normal(0, 5, image.shape), 0, 255).astype(np.uint8)
    palette = pp.extract_palette(image, 2)
    centres = sorted(tuple(c["rgb"]) for c in palette)
    assert np.abs(np.array(centres) - np.array([(30, 30, 200), (200, 30, 30)])).max() <= 3
    assert abs(sum(c["share"] for c in palette) - 1.0) < 1e-3


def test_palette_is_deterministic_and_k_bounded() -> None:
    image = gradient(96, 96)
    first = pp.extract_palette(image, 8)
    assert first == pp.extract_palette(image, 8) and len(first) == 8
    assert all(c["hex"].startswith("#") and len(c["hex"]) == 7 for c in first)
    shares = [c["share"] for c in first]
    assert shares == sorted(shares, reverse=True)
    for bad in (0, 33, 2.5, True, "5"):
        with pytest.raises(pp.EditError):
            pp.extract_palette(image, bad)


def test_palette_swatch() -> None:
    strip = pp.palette_swatch(["#112233", "#eeddcc", "#ff0000"], height=64, swatch_width=80)
    assert strip.shape == (64, 240, 3) and strip.dtype == np.uint8
    assert strip[2, 2].tolist() == [0x11, 0x22, 0x33] and strip[2, 162].tolist() == [255, 0, 0]
    with pytest.raises(pp.EditError):
        pp.palette_swatch([])
    with pytest.raises(pp.EditError):
        pp.palette_swatch(["not a colour"])


def test_colour_transfer_to_itself_is_identity() -> None:
    for image in (gradient(), two_colour(), gradient(17, 29, seed=4)):
        out = pp.colour_transfer(image, image)
        assert int(np.abs(out.astype(int) - image.astype(int)).max()) <= 1


def test_colour_transfer_takes_on_reference_mood() -> None:
    source = gradient(seed=1)
    warm = gradient(seed=2, tint=(1.2, 0.9, 0.5))
    out = pp.colour_transfer(source, warm)
    src_bias = source[..., 0].mean() - source[..., 2].mean()
    out_bias = out[..., 0].mean() - out[..., 2].mean()
    ref_bias = warm[..., 0].mean() - warm[..., 2].mean()
    assert out_bias > src_bias + 0.5 * (ref_bias - src_bias)
    half = pp.colour_transfer(source, warm, strength=0.5)
    half_bias = half[..., 0].mean() - half[..., 2].mean()
    assert src_bias < half_bias < out_bias


def test_colour_transfer_handles_black_and_flat_images() -> None:
    black = np.zeros((16, 16, 3), np.uint8)
    assert np.array_equal(pp.colour_transfer(black, black), black)
    out = pp.colour_transfer(np.full((16, 16, 3), 100, np.uint8), gradient(16, 16))
    assert out.dtype == np.uint8 and len(np.unique(out.reshape(-1, 3), axis=0)) == 1  # still flat


def test_histogram_match_to_itself_is_identity() -> None:
    image = gradient()
    for match in ("colour", "tones"):
        assert np.array_equal(pp.histogram_match(image, image, match=match), image)


def test_histogram_match_tones_keeps_hue_differences() -> None:
    source = gradient(seed=1)
    dark = (gradient(seed=3) * 0.4).astype(np.uint8)
    out = pp.histogram_match(source, dark, match="tones")
    assert out.mean() < source.mean() - 20
    # All three channels of a pixel move by the same amount (unless clipped at 0).
    moved = out.astype(int) - source.astype(int)
    unclipped = (out > 0).all(axis=2)
    assert (moved[unclipped].max(axis=1) - moved[unclipped].min(axis=1) <= 1).all()


def test_histogram_match_follows_reference_distribution() -> None:
    source = gradient(seed=1)
    dark = (gradient(seed=3) * 0.4).astype(np.uint8)
    out = pp.histogram_match(source, dark)
    for c in range(3):
        assert abs(float(np.median(out[..., c])) - float(np.median(dark[..., c]))) <= 3
    # Per-channel matching is monotone: order of levels within a channel is kept.
    order = np.argsort(source[..., 0].ravel(), kind="stable")
    assert (np.diff(out[..., 0].ravel()[order].astype(int)) >= 0).all()


def test_reference_may_be_any_size() -> None:
    big_ref = gradient(300, 17, seed=5)
    assert pp.colour_transfer(gradient(), big_ref).shape == (64, 64, 3)
    assert pp.histogram_match(gradient(), np.zeros((1, 1, 3), np.uint8)).shape == (64, 64, 3)
