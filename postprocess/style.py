"""Photographic style filters: grayscale, sepia, faded film, posterize, duotone, emboss, vignette,
film grain and soft focus.

Every filter has `strength`: 0 = the original (an exact copy), 1 = the full effect. Colour-matrix
filters fold the strength into the matrix (one cv2.transform pass); the rest blend at the end.
"""
from __future__ import annotations

import cv2
import numpy as np

from ._common import LEVELS, apply_lut, blend, gray, gray3, hex_to_rgb, shrink
from ._params import choice, color, flag, integer, number, strength
from ._spec import edit

# Rec. 601 luma weights (the same as cv2's RGB2GRAY and Pillow's "L").
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)
# The widely used sepia matrix (Microsoft's "sepia tone" recommendation; rows give R, G, B out).
_SEPIA = np.array([[0.393, 0.769, 0.189],
                   [0.349, 0.686, 0.168],
                   [0.272, 0.534, 0.131]], dtype=np.float32)


def _matrix(image: np.ndarray, matrix: np.ndarray, strength: float) -> np.ndarray:
    """Apply (1 - s) * I + s * M to every RGB pixel in one saturating uint8 pass."""
    mixed = (1.0 - strength) * np.eye(3, dtype=np.float32) + strength * matrix
    return cv2.transform(image, mixed.astype(np.float32))


@edit(name="grayscale", label="Black & white", group="Style", cost=1,
      description="Remove colour, keeping perceived brightness (Rec. 601 luma).",
      params=[strength()])
def grayscale(image: np.ndarray, strength: float = 1.0) -> np.ndarray:
    """Rec. 601 luma in all three channels; strength 0 = original, 0..1."""
    if strength == 0.0:
        return image.copy()
    return blend(image, gray3(image), strength)


@edit(name="sepia", label="Sepia", group="Style", cost=1,
      description="Warm brown old-photo toning.",
      params=[strength()])
def sepia(image: np.ndarray, strength: float = 1.0) -> np.ndarray:
    """Classic sepia colour matrix; strength 0 = original, 0..1."""
    if strength == 0.0:
        return image.copy()
    return _matrix(image, _SEPIA, strength)


@edit(name="vintage", label="Faded film", group="Style", cost=3,
      description="Lifted blacks, soft highlights, muted colours and a warm cast, like old prints.",
      params=[strength(0.8)])
def vintage(image: np.ndarray, strength: float = 0.8) -> np.ndarray:
    """Faded-print look; strength 0 = original, 0..1.

    At full strength: saturation 65 %, blacks lifted to ~(38, 34, 46) with a cool shadow cast,
    whites pulled down to ~(247, 238, 214) with a warm highlight cast (split toning).
    """
    if strength == 0.0:
        return image.copy()
    s = strength
    desaturate = np.eye(3, dtype=np.float32) * 0.65 + 0.35 * np.tile(_LUMA, (3, 1))
    muted = _matrix(image, desaturate, s)
    x = LEVELS / 255.0
    curve = x + 0.08 * np.sin(np.pi * x) * (x - 0.5)  # a gentle S-curve before the fade
    floor = np.array([38.0, 34.0, 46.0])  # fade target for black: slightly blue
    ceiling = np.array([247.0, 238.0, 214.0])  # fade target for white: warm paper
    faded = floor + curve[:, None] * (ceiling - floor)  # (256, 3)
    return apply_lut(muted, (1.0 - s) * LEVELS[:, None] + s * faded)


@edit(name="posterize", label="Posterize", group="Style", cost=1,
      description="Reduce each colour channel to a few flat levels, like a screen print.",
      params=[strength(), integer("levels", "Levels", 2, 32, 4, description="levels per channel")])
def posterize(image: np.ndarray, strength: float = 1.0, levels: int = 4) -> np.ndarray:
    """Quantise each channel to `levels` (2..32) evenly spaced values; strength 0 = original."""
    if strength == 0.0:
        return image.copy()
    step = 255.0 / (levels - 1)
    quantised = np.round(LEVELS / step) * step
    return apply_lut(image, (1.0 - strength) * LEVELS + strength * quantised)


@edit(name="duotone", label="Duotone", group="Style", cost=2,
      description="Map dark-to-light onto a gradient between two chosen colours.",
      params=[strength(), color("shadows", "Shadow colour", "#1d2b53"),
              color("highlights", "Highlight colour", "#ffcc66")])
def duotone(image: np.ndarray, strength: float = 1.0, shadows: str = "#1d2b53",
            highlights: str = "#ffcc66") -> np.ndarray:
    """Luma mapped linearly from `shadows` (black) to `highlights` (white); strength 0 = original."""
    if strength == 0.0:
        return image.copy()
    dark = np.array(hex_to_rgb(shadows), dtype=np.float64)
    light = np.array(hex_to_rgb(highlights), dtype=np.float64)
    table = dark + (LEVELS / 255.0)[:, None] * (light - dark)  # (256, 3)
    return blend(image, apply_lut(gray3(image), table), strength)


@edit(name="emboss", label="Emboss", group="Style", cost=1,
      description="Grey relief, as if the picture were pressed into metal or paper.",
      params=[strength(), number("depth", "Depth", 0.2, 4.0, 0.1, 1.0, description="relief height")])
def emboss(image: np.ndarray, strength: float = 1.0, depth: float = 1.0) -> np.ndarray:
    """Directional derivative of luma (light from the top left) around mid-grey; strength 0 = original."""
    if strength == 0.0:
        return image.copy()
    kernel = np.array([[-2, -1, 0], [-1, 0, 1], [0, 1, 2]], dtype=np.float32) * (depth / 2.0)
    relief = cv2.filter2D(gray(image), cv2.CV_8U, kernel, delta=128, borderType=cv2.BORDER_REFLECT)
    return blend(image, cv2.cvtColor(relief, cv2.COLOR_GRAY2RGB), strength)


@edit(name="vignette", label="Vignette", group="Style", cost=6,
      description="Darken the corners to draw the eye to the centre.",
      params=[strength(0.5),
              number("radius", "Radius", 0.2, 1.5, 0.01, 0.75,
                     description="where darkening starts, as a fraction of the half-diagonal"),
              number("softness", "Softness", 0.05, 1.0, 0.01, 0.5, description="width of the fall-off")])
def vignette(image: np.ndarray, strength: float = 0.5, radius: float = 0.75,
             softness: float = 0.5) -> np.ndarray:
    """Multiply by a radial mask: 1 inside `radius`, falling smoothly to 1 - strength at the corners.

    The mask is smooth, so it is built at <= 256 px and enlarged; only one multiply runs at full size.
    """
    if strength == 0.0:
        return image.copy()
    h, w = image.shape[:2]
    mh, mw = min(h, 256), min(w, 256)
    ys = (np.arange(mh, dtype=np.float32) + 0.5) / mh * 2.0 - 1.0
    xs = (np.arange(mw, dtype=np.float32) + 0.5) / mw * 2.0 - 1.0
    # Distance in units of the half-diagonal, so the corners are at 1 whatever the aspect ratio.
    d = np.sqrt((xs[None, :] * w) ** 2 + (ys[:, None] * h) ** 2) / np.hypot(w, h)
    t = np.clip((d - radius * (1.0 - softness)) / max(radius * softness, 1e-3), 0.0, 1.0)
    mask = 1.0 - strength * (t * t * (3.0 - 2.0 * t))  # smoothstep fall-off
    mask = cv2.resize(mask.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    return cv2.multiply(image, cv2.merge([mask, mask, mask]), dtype=cv2.CV_8U)


@edit(name="film_grain", label="Film grain", group="Style", cost=50,
      description="Add photographic grain, strongest in the midtones.",
      params=[strength(0.3),
              number("size", "Grain size (px)", 1.0, 4.0, 0.1, 1.0),
              flag("colour", "Colour grain", False, description="off = grey grain, like black-and-white film"),
              integer("seed", "Seed", 0, 2**31 - 1, 0, description="same seed, same grain")])
def film_grain(image: np.ndarray, strength: float = 0.3, size: float = 1.0, colour: bool = False,
               seed: int = 0) -> np.ndarray:
    """Gaussian grain of up to ~28 levels std at strength 1, weighted 4y(1-y) towards the midtones
    (film grain is least visible in deep shadows and bright highlights). Deterministic per seed."""
    if strength == 0.0:
        return image.copy()
    h, w = image.shape[:2]
    gh, gw = max(1, round(h / size)), max(1, round(w / size))
    rng = np.random.default_rng(seed)  # a local generator: the global RNG is never touched
    noise = rng.standard_normal((gh, gw, 3) if colour else (gh, gw), dtype=np.float32)
    if (gh, gw) != (h, w):
        noise = cv2.resize(noise, (w, h), interpolation=cv2.INTER_LINEAR)
    y = LEVELS / 255.0
    weight = apply_lut(gray(image), 255.0 * 4.0 * y * (1.0 - y)).astype(np.float32)
    grain = noise * (weight * np.float32(28.0 * strength / 255.0))[..., None] if colour else \
        cv2.cvtColor(noise * weight * np.float32(28.0 * strength / 255.0), cv2.COLOR_GRAY2RGB)
    return cv2.add(image, grain, dtype=cv2.CV_8U)


@edit(name="soft_focus", label="Soft focus / blur", group="Style", cost=10,
      description="Blur the picture, or give it a dreamy glow.",
      params=[strength(0.5),
              number("radius", "Radius (px)", 1.0, 64.0, 0.5, 8.0, description="blur size in pixels"),
              choice("mode", "Mode", ("blur", "glow"), "blur",
                     description="blur: plain softening; glow: soft light bloom (Orton effect)")])
def soft_focus(image: np.ndarray, strength: float = 0.5, radius: float = 8.0, mode: str = "blur") -> np.ndarray:
    """Gaussian blur (sigma = radius) mixed in by strength, or a screen-blended glow; strength 0 = original.

    Large radii are blurred at reduced size and enlarged: a Gaussian of sigma 32 at 2048 px costs
    ~200 ms directly and ~10 ms this way, with no visible difference on a smooth result.
    """
    if strength == 0.0:
        return image.copy()
    h, w = image.shape[:2]
    factor = max(1.0, radius / 3.0)  # keep sigma >= 3 px at the working size
    small = shrink(image, max(1, int(max(h, w) / factor)))
    sigma = radius * small.shape[1] / w
    blurred = cv2.resize(cv2.GaussianBlur(small, (0, 0), sigma), (w, h), interpolation=cv2.INTER_LINEAR)
    if mode == "glow":
        # Screen blend: 1 - (1 - a)(1 - b), lightens where the blurred copy is bright.
        blurred = 255 - cv2.multiply(255 - image, 255 - blurred, scale=1.0 / 255.0)
    return blend(image, blurred, strength)


EDITS = (grayscale, sepia, vintage, posterize, duotone, emboss, vignette, film_grain, soft_focus)
