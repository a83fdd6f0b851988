"""Known-answer tests: edits checked against Pillow's definitions, exact colours and geometry."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageEnhance

import postprocess as pp
from tests.image_helpers import synthetic


IMAGE = synthetic()


def solid(rgb: tuple[int, int, int], h: int = 8, w: int = 8) -> np.ndarray:
    return np.full((h, w, 3), rgb, np.uint8)


def max_diff(a: np.ndarray, b: np.ndarray) -> int:
    return int(np.abs(a.astype(int) - b.astype(int)).max())


@pytest.mark.parametrize("rgb, luma", [((255, 0, 0), 76), ((0, 255, 0), 150), ((0, 0, 255), 29),
                                       ((255, 255, 255), 255), ((0, 0, 0), 0), ((10, 200, 90), 130)])
def test_grayscale_of_pure_colour_is_rec601_luma(rgb: tuple[int, int, int], luma: int) -> None:
    out = pp.grayscale(solid(rgb))
    assert max_diff(out, solid((luma, luma, luma))) <= 1


@pytest.mark.parametrize("name, enhancer, factor", [
    ("brightness", ImageEnhance.Brightness, 1.6), ("brightness", ImageEnhance.Brightness, 0.4),
    ("contrast", ImageEnhance.Contrast, 1.7), ("contrast", ImageEnhance.Contrast, 0.3),
    ("saturation", ImageEnhance.Color, 2.0), ("saturation", ImageEnhance.Color, 0.0),
])
def test_tone_edits_match_pillow_definitions(name: str, enhancer: type, factor: float) -> None:
    expected = np.asarray(enhancer(Image.fromarray(IMAGE)).enhance(factor))
    assert max_diff(pp.apply_edit(IMAGE, name, {"amount": factor}), expected) <= 1


def test_contrast_zero_is_flat_mean_grey() -> None:
    out = pp.contrast(IMAGE, 0.0)
    assert len(np.unique(out)) == 1


def test_exposure_one_stop_doubles_linear_light() -> None:
    mid = solid((100, 100, 100))
    out = pp.exposure(mid, stops=1.0)
    linear_in = ((100 / 255 + 0.055) / 1.055) ** 2.4
    linear_out = ((out[0, 0, 0] / 255 + 0.055) / 1.055) ** 2.4
    assert abs(linear_out / linear_in - 2.0) < 0.05
    assert pp.exposure(solid((255, 255, 255)), stops=2.0)[0, 0, 0] == 255  # clips like a sensor


def test_gamma_and_levels_fix_black_and_white() -> None:
    ends = np.array([[[0, 0, 0], [255, 255, 255]]], np.uint8)
    assert np.array_equal(pp.gamma(ends, 2.2), ends)
    out = pp.levels(np.array([[[10, 50, 200]]], np.uint8), black=50, white=200)
    assert out.tolist() == [[[0, 0, 255]]]


def test_white_balance_direction() -> None:
    grey = solid((128, 128, 128))
    warm = pp.white_balance(grey, warmth=0.8)[0, 0]
    assert warm[0] > 128 > warm[2]
    green = pp.white_balance(grey, tint=-0.8)[0, 0]
    assert green[1] > green[0] and green[1] > green[2]


def test_sepia_and_duotone_endpoints() -> None:
    sep = pp.sepia(solid((200, 200, 200)))[0, 0]
    assert sep[0] > sep[1] > sep[2]  # brown: red > green > blue
    ramp = np.array([[[0, 0, 0], [255, 255, 255]]], np.uint8)
    out = pp.duotone(ramp, shadows="#102030", highlights="#f0e0d0")
    assert out.tolist() == [[[16, 32, 48], [240, 224, 208]]]


def test_posterize_uses_exactly_the_levels() -> None:
    ramp = np.arange(256, dtype=np.uint8).reshape(1, 256, 1).repeat(3, axis=2)
    assert sorted(np.unique(pp.posterize(ramp, levels=4)).tolist()) == [0, 85, 170, 255]


def test_auto_contrast_stretches_to_full_range() -> None:
    dull = (IMAGE // 2 + 60).astype(np.uint8)
    out = pp.auto_contrast(dull, clip=0.0)
    assert out.min() == 0 and out.max() == 255


def test_sharpen_and_denoise_move_detail_the_right_way() -> None:
    noisy = synthetic(64, 64, seed=4)
    rough = lambda im: float(np.abs(np.diff(im.astype(int), axis=1)).mean())  # noqa: E731
    assert rough(pp.sharpen(noisy, amount=1.0)) > rough(noisy)
    assert rough(pp.denoise(noisy, strength=1.0)) < rough(noisy)
    assert rough(pp.denoise(noisy, strength=1.0, method="best")) < rough(noisy)


def test_vignette_darkens_corners_not_centre() -> None:
    out = pp.vignette(solid((200, 200, 200), 65, 65), strength=1.0)
    assert out[32, 32, 0] == 200 and out[0, 0, 0] < 60


def test_film_grain_is_seeded() -> None:
    grey = solid((128, 128, 128), 32, 32)
    a, b = pp.film_grain(grey, seed=1), pp.film_grain(grey, seed=1)
    assert np.array_equal(a, b) and not np.array_equal(a, pp.film_grain(grey, seed=2))
    assert abs(float(a.mean()) - 128) < 3  # zero-mean grain keeps the tone


def test_pixel_art_blocks_and_colour_count() -> None:
    out = pp.pixel_art(IMAGE, pixel_size=8, colours=5)
    assert len(np.unique(out.reshape(-1, 3), axis=0)) <= 5
    blocks = out.reshape(8, 8, 8, 8, 3)  # (by, y, bx, x, c)
    assert (blocks == blocks[:, :1, :, :1]).all()  # every 8 x 8 block is one colour


def test_halftone_is_ink_on_paper() -> None:
    out = pp.halftone(synthetic(64, 64), cell=8)
    assert (out[..., 0] == out[..., 1]).all()  # black ink only
    near_ink_or_paper = ((out < 40) | (out > 215)).mean()
    assert near_ink_or_paper > 0.7  # mostly ink or paper, anti-aliased dot edges in between
    white = pp.halftone(solid((255, 255, 255), 32, 32))
    assert white.min() >= 250


def test_recolour_uses_only_palette_colours() -> None:
    brand = ["#0b3d91", "#fc3d21", "#ffffff"]
    for dither in (False, True):
        out = pp.recolour(IMAGE, palette=brand, dither=dither)
        found = {"#%02x%02x%02x" % tuple(c) for c in np.unique(out.reshape(-1, 3), axis=0)}
        assert found <= set(brand)
    red = pp.recolour(solid((250, 60, 40)), palette=brand)
    assert red[0, 0].tolist() == [0xFC, 0x3D, 0x21]


@pytest.mark.parametrize("fmt, ratio", [("1:1", 1.0), ("4:5", 0.8), ("3:2", 1.5), ("16:9", 16 / 9), ("9:16", 9 / 16)])
@pytest.mark.parametrize("method", ["centre", "content"])
def test_crop_to_format_ratio(fmt: str, ratio: float, method: str) -> None:
    image = synthetic(120, 200)
    out = pp.crop_to_format(image, format=fmt, method=method)
    h, w = out.shape[:2]
    assert abs(w / h - ratio) < 0.02 and (h == 120 or w == 200)
    padded = pp.pad_to_format(image, format=fmt, colour="#ff00ff")
    ph, pw = padded.shape[:2]
    assert abs(pw / ph - ratio) < 0.02 and ph >= 120 and pw >= 200


def test_centre_crop_is_the_middle_and_content_crop_finds_the_subject() -> None:
    image = np.full((100, 300, 3), 128, np.uint8)
    image[40:60, 240:260] = (255, 0, 0)  # a red square near the right edge
    centre = pp.crop_to_format(image, format="1:1")
    assert np.array_equal(centre, image[:, 100:200])
    content = pp.crop_to_format(image, format="1:1", method="content")
    assert (content == (255, 0, 0)).all(axis=2).sum() == 400  # the whole square is kept
    flat = np.full((100, 300, 3), 90, np.uint8)
    assert np.array_equal(pp.crop_to_format(flat, format="1:1", method="content"), flat[:, 100:200])


def test_pad_colour_and_placement() -> None:
    image = solid((1, 2, 3), 10, 20)
    out = pp.pad_to_format(image, format="1:1", colour="#aabbcc")
    assert out.shape == (20, 20, 3)
    assert out[0, 0].tolist() == [0xAA, 0xBB, 0xCC] and np.array_equal(out[5:15], image)


def test_upscale_and_resize_sizes() -> None:
    small = synthetic(32, 48)
    for factor in (2, 3, 4):
        assert pp.upscale(small, factor=factor).shape == (32 * factor, 48 * factor, 3)
    assert pp.resize(small, long_side=96).shape == (64, 96, 3)
    assert pp.resize(small, long_side=24).shape == (16, 24, 3)


def test_upscale_sharpening_never_overshoots_local_range() -> None:
    edge = np.zeros((16, 16, 3), np.uint8)
    edge[:, 8:] = 200
    out = pp.upscale(edge, factor=4, sharpen=1.0)
    plain = pp.upscale(edge, factor=4, sharpen=0.0)
    assert out.max() <= plain.max() and out.min() >= plain.min()  # no halo beyond Lanczos' own range
    steep = lambda im: int(np.abs(np.diff(im[0, :, 0].astype(int))).max())  # noqa: E731
    assert steep(out) >= steep(plain)
