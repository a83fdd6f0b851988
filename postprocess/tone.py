"""Tone edits: brightness, contrast, saturation, gamma, exposure, white balance, sharpening,
auto-contrast, levels, local contrast (CLAHE) and denoising.

Point operations are 256-entry lookup tables applied with cv2.LUT (about 4 ms at 2048 x 2048), so
their cost does not depend on the formula. Each returns a new uint8 H x W x 3 RGB array.
"""
from __future__ import annotations

from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageOps

from ._common import (LEVELS, EditError, apply_lut, blend, gray, gray3, linear_to_srgb,
                      srgb_to_linear)
from ._params import choice, integer, number, strength
from ._spec import edit


@edit(name="brightness", label="Brightness", group="Tone", cost=2,
      description="Make the whole picture lighter or darker.",
      params=[number("amount", "Brightness", 0.0, 3.0, 0.01, 1.0, neutral=1.0,
                     description="1 = unchanged, 0 = black, 2 = twice as bright")])
def brightness(image: np.ndarray, amount: float = 1.0) -> np.ndarray:
    """Scale all levels by `amount` (1.0 = unchanged, 0..3).

    Same definition as Pillow's ImageEnhance.Brightness (a blend with black), done as a LUT.
    """
    return apply_lut(image, LEVELS * amount)


@edit(name="contrast", label="Contrast", group="Tone", cost=2,
      description="Stretch or flatten the difference between light and dark.",
      params=[number("amount", "Contrast", 0.0, 3.0, 0.01, 1.0, neutral=1.0,
                     description="1 = unchanged, 0 = flat grey, 2 = strong")])
def contrast(image: np.ndarray, amount: float = 1.0) -> np.ndarray:
    """Scale levels around the image's mean grey (1.0 = unchanged, 0..3).

    Same definition as Pillow's ImageEnhance.Contrast: the pivot is the rounded mean of the
    Rec. 601 luma, so mid-grey stays put and 0 gives a flat image of that grey.
    """
    pivot = int(cv2.mean(gray(image))[0] + 0.5)
    return apply_lut(image, pivot + (LEVELS - pivot) * amount)


@edit(name="saturation", label="Saturation", group="Tone", cost=2,
      description="Make colours more vivid or more muted.",
      params=[number("amount", "Saturation", 0.0, 3.0, 0.01, 1.0, neutral=1.0,
                     description="1 = unchanged, 0 = black and white, 2 = vivid")])
def saturation(image: np.ndarray, amount: float = 1.0) -> np.ndarray:
    """Blend with the image's own luma (1.0 = unchanged, 0 = grey, 0..3); ImageEnhance.Color's definition."""
    if amount == 1.0:
        return image.copy()
    return cv2.addWeighted(image, amount, gray3(image), 1.0 - amount, 0.0)


@edit(name="gamma", label="Gamma", group="Tone", cost=2,
      description="Lift or deepen the midtones while keeping black and white.",
      params=[number("gamma", "Gamma", 0.2, 5.0, 0.01, 1.0, neutral=1.0,
                     description="1 = unchanged, above 1 lightens midtones, below 1 darkens them")])
def gamma(image: np.ndarray, gamma: float = 1.0) -> np.ndarray:
    """out = 255 * (in / 255) ** (1 / gamma); gamma 1.0 = unchanged, 0.2..5 (> 1 lightens)."""
    return apply_lut(image, 255.0 * (LEVELS / 255.0) ** (1.0 / gamma))


@edit(name="exposure", label="Exposure", group="Tone", cost=2,
      description="Brighten or darken like a camera's exposure, in stops.",
      params=[number("stops", "Exposure (stops)", -3.0, 3.0, 0.05, 0.0, neutral=0.0,
                     description="0 = unchanged, +1 doubles the light, -1 halves it")])
def exposure(image: np.ndarray, stops: float = 0.0) -> np.ndarray:
    """Multiply linear light by 2 ** stops (0 = unchanged, -3..3); highlights clip like a sensor.

    Working in linear light (not on sRGB codes) is what makes one stop look like one stop.
    """
    return apply_lut(image, 255.0 * linear_to_srgb(srgb_to_linear(LEVELS / 255.0) * 2.0 ** stops))


@edit(name="white_balance", label="Warmth & tint", group="Tone", cost=3,
      description="Shift the colour temperature (cool blue to warm amber) and tint (green to magenta).",
      params=[number("warmth", "Warmth", -1.0, 1.0, 0.01, 0.0, neutral=0.0,
                     description="0 = unchanged, + warmer (amber), - cooler (blue)"),
              number("tint", "Tint", -1.0, 1.0, 0.01, 0.0, neutral=0.0,
                     description="0 = unchanged, + magenta, - green")])
def white_balance(image: np.ndarray, warmth: float = 0.0, tint: float = 0.0) -> np.ndarray:
    """Per-channel gains in linear light (warmth, tint: 0 = unchanged, -1..1).

    Warmth trades red against blue, tint trades green against red+blue, as camera raw tools do; at
    +-1 the gains are 2**(+-0.5), about a 3000 K shift for daylight.
    """
    r_gain = 2.0 ** (0.5 * warmth + 0.25 * tint)
    g_gain = 2.0 ** (-0.5 * tint)
    b_gain = 2.0 ** (-0.5 * warmth + 0.25 * tint)
    linear = srgb_to_linear(LEVELS / 255.0)
    table = np.stack([linear * r_gain, linear * g_gain, linear * b_gain], axis=1)  # (256, 3)
    return apply_lut(image, 255.0 * linear_to_srgb(table))


@edit(name="sharpen", label="Sharpen", group="Tone", cost=30,
      description="Crisp up edges and fine detail (unsharp mask).",
      params=[number("amount", "Amount", 0.0, 3.0, 0.01, 0.5, neutral=0.0,
                     description="0 = unchanged, 1 = strong"),
              number("radius", "Radius (px)", 0.5, 10.0, 0.1, 1.5,
                     description="size of the detail to sharpen, in pixels")])
def sharpen(image: np.ndarray, amount: float = 0.5, radius: float = 1.5) -> np.ndarray:
    """Unsharp mask: out = in + amount * (in - gaussian_blur(in, radius)); amount 0 = unchanged, 0..3."""
    if amount == 0.0:
        return image.copy()
    blurred = cv2.GaussianBlur(image, (0, 0), radius)
    return cv2.addWeighted(image, 1.0 + amount, blurred, -amount, 0.0)


@edit(name="auto_contrast", label="Auto contrast", group="Tone", cost=10,
      description="Stretch the tones so the darkest part is black and the lightest is white.",
      params=[strength(1.0),
              number("clip", "Clip (%)", 0.0, 10.0, 0.1, 0.5,
                     description="percent of darkest and lightest pixels allowed to clip")])
def auto_contrast(image: np.ndarray, strength: float = 1.0, clip: float = 0.5) -> np.ndarray:
    """Pillow's ImageOps.autocontrast with preserve_tone (one luma-based curve for all channels,
    so hues do not shift); strength 0 = unchanged, 0..1; clip 0..10 % of pixels at each end."""
    if strength == 0.0:
        return image.copy()
    stretched = np.asarray(ImageOps.autocontrast(Image.fromarray(image), cutoff=clip, preserve_tone=True))
    return blend(image, stretched, strength)


def _black_below_white(params: dict) -> None:
    if params["black"] >= params["white"]:
        raise EditError(f"Levels: the black point ({params['black']}) must be below the white point "
                        f"({params['white']}).")


@edit(name="levels", label="Levels", group="Tone", cost=2,
      description="Set the black point, white point and midtone balance by hand.", check=_black_below_white,
      params=[integer("black", "Black point", 0, 254, 0, neutral=0,
                      description="input level that becomes black"),
              integer("white", "White point", 1, 255, 255, neutral=255,
                      description="input level that becomes white"),
              number("midtones", "Midtones", 0.1, 10.0, 0.01, 1.0, neutral=1.0,
                     description="1 = unchanged, above 1 lighter midtones")])
def levels(image: np.ndarray, black: int = 0, white: int = 255, midtones: float = 1.0) -> np.ndarray:
    """Photoshop-style input levels: black 0..254, white 1..255 (black < white), midtones gamma 0.1..10."""
    unit = np.clip((LEVELS - black) / (white - black), 0.0, 1.0)
    return apply_lut(image, 255.0 * unit ** (1.0 / midtones))


@edit(name="local_contrast", label="Local contrast (CLAHE)", group="Tone", cost=40,
      description="Bring out detail in flat areas without blowing out the picture.",
      params=[strength(1.0),
              number("clip_limit", "Clip limit", 1.0, 8.0, 0.1, 2.0,
                     description="how hard each region may be stretched; 2 is gentle"),
              integer("tiles", "Tiles", 2, 16, 8, description="regions per side")])
def local_contrast(image: np.ndarray, strength: float = 1.0, clip_limit: float = 2.0,
                   tiles: int = 8) -> np.ndarray:
    """Contrast-limited adaptive histogram equalisation (Zuiderveld, Graphics Gems IV, 1994) on the
    CIELAB lightness only, so colours do not shift. strength 0 = unchanged, 0..1."""
    if strength == 0.0:
        return image.copy()
    lab = cv2.cvtColor(image, cv2.COLOR_RGB2Lab)
    tiles = max(1, min(tiles, image.shape[0] // 2, image.shape[1] // 2))  # tiny images: fewer tiles
    lightness = cv2.createCLAHE(clipLimit=clip_limit, tileGridSize=(tiles, tiles)).apply(lab[..., 0])
    lab[..., 0] = blend(lab[..., 0], lightness, strength)
    return cv2.cvtColor(lab, cv2.COLOR_Lab2RGB)


def _denoise_cost(params: dict[str, Any]) -> float:
    """Milliseconds per megapixel: non-local means is ~80x slower than the bilateral filter."""
    return 1200 if params["method"] == "best" else 15


@edit(name="denoise", label="Denoise", group="Tone", cost=_denoise_cost,
      description="Smooth away noise and speckles while keeping edges.",
      params=[strength(0.5),
              choice("method", "Method", ("fast", "best"), "fast",
                     description="fast: edge-preserving bilateral filter, any size; best: non-local means, "
                                 "finest result but slow above ~1 Mpx")])
def denoise(image: np.ndarray, strength: float = 0.5, method: str = "fast") -> np.ndarray:
    """Remove noise; strength 0 = unchanged, 0..1.

    fast: bilateral filter (Tomasi & Manduchi 1998), two passes above strength 0.5.
    best: OpenCV's non-local means (Buades et al. 2005), h = 3..18; ideal for small generated images.
    """
    if strength == 0.0:
        return image.copy()
    if method == "best":
        h = 3.0 + 15.0 * strength
        return cv2.fastNlMeansDenoisingColored(image, None, h, h, 7, 21)
    # d = 5 keeps the filter ~30 ms at 2048 px; a second pass is cheaper than a wider window (d = 9: ~300 ms).
    sigma_colour = 10.0 + 50.0 * strength
    out = cv2.bilateralFilter(image, 5, sigma_colour, 3.0)
    if strength > 0.5:
        out = cv2.bilateralFilter(out, 5, sigma_colour, 3.0)
    return blend(image, out, min(1.0, 2.0 * strength))


EDITS = (brightness, contrast, saturation, gamma, exposure, white_balance, sharpen, auto_contrast,
         levels, local_contrast, denoise)
