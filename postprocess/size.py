"""Size and format: upscale, resize, crop to a design format (centre or content-aware), pad.

These edits change the image's shape by design. No edit here produces more than MAX_SIDE (4096) px
per side or MAX_PIXELS (16.8 Mpx); asking for more raises EditError before any work is done.
"""
from __future__ import annotations

import cv2
import numpy as np

from ._common import check_output_size, hex_to_rgb, shrink
from ._params import choice, color, integer, number
from ._spec import edit

# Design formats as width:height.
FORMATS: dict[str, tuple[int, int]] = {"1:1": (1, 1), "4:5": (4, 5), "3:2": (3, 2), "16:9": (16, 9),
                                       "9:16": (9, 16)}
_FORMAT_CHOICES = ("original",) + tuple(FORMATS)


def _fit_box(height: int, width: int, fmt: str, inside: bool) -> tuple[int, int]:
    """(h, w) with the format's aspect ratio: the largest inside the image, or the smallest around it."""
    rw, rh = FORMATS[fmt]
    if (width * rh > height * rw) == inside:  # image wider than the format (for inside=True)
        return height, max(1, round(height * rw / rh))
    return max(1, round(width * rh / rw)), width


def _upscaled(height: int, width: int, params: dict) -> tuple[int, int]:
    return height * params["factor"], width * params["factor"]


def _resized(height: int, width: int, params: dict) -> tuple[int, int]:
    long_side = params["long_side"]
    if long_side == 0 or long_side == max(height, width):
        return height, width
    scale = long_side / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


def _cropped(height: int, width: int, params: dict) -> tuple[int, int]:
    return (height, width) if params["format"] == "original" else _fit_box(height, width, params["format"], inside=True)


def _padded(height: int, width: int, params: dict) -> tuple[int, int]:
    if params["format"] == "original":
        return height, width
    nh, nw = _fit_box(height, width, params["format"], inside=False)
    return max(nh, height), max(nw, width)


@edit(name="upscale", label="Upscale", group="Size", cost=40,
      description="Enlarge small pictures 2x to 4x with clean, sharp edges.",
      params=[integer("factor", "Factor", 1, 4, 2, neutral=1, description="1 = unchanged, 2 = twice the size"),
              number("sharpen", "Edge sharpening", 0.0, 1.0, 0.01, 0.5,
                     description="0 = plain Lanczos, 1 = crisp edges")],
      changes_size=True, output_size=_upscaled)
def upscale(image: np.ndarray, factor: int = 2, sharpen: float = 0.5) -> np.ndarray:
    """Lanczos (a = 4) enlargement by `factor` (1..4; 1 = unchanged) plus edge-aware sharpening (0..1).

    The sharpening is an unsharp mask at the scale of one source pixel, clamped to the local minimum
    and maximum of the Lanczos result (3 x 3): edges get steeper but never overshoot, so there are
    no halos, and flat areas (where the local range is tiny) are left alone. Generated images are
    32-64 px, so this is where most of the perceived quality comes from.
    """
    if factor == 1:
        return image.copy()
    h, w = _upscaled(*image.shape[:2], {"factor": factor})
    check_output_size(h, w, f"Upscaling x{factor}")
    up = cv2.resize(image, (w, h), interpolation=cv2.INTER_LANCZOS4)
    if sharpen == 0.0:
        return up
    # The clamp below forbids overshoot, so the gain can be high: it only steepens edges.
    amount = 2.5 * sharpen
    # The blurred copy is blurred at the source size (0.6 source px) and enlarged linearly: the same
    # signal as a Gaussian at the output size, at a fraction of the cost (~45 ms less at 4096 px).
    blurred = cv2.resize(cv2.GaussianBlur(image, (0, 0), 0.6), (w, h), interpolation=cv2.INTER_LINEAR)
    sharp = cv2.addWeighted(up, 1.0 + amount, blurred, -amount, 0.0)
    kernel = np.ones((3, 3), np.uint8)
    return cv2.min(cv2.max(sharp, cv2.erode(up, kernel)), cv2.dilate(up, kernel))


@edit(name="resize", label="Resize", group="Size", cost=15,
      description="Set the long side in pixels, keeping the proportions.",
      params=[integer("long_side", "Long side (px)", 0, 4096, 0, neutral=0,
                      description="0 = unchanged; e.g. 1080 or 2048")],
      changes_size=True, output_size=_resized)
def resize(image: np.ndarray, long_side: int = 0) -> np.ndarray:
    """Scale so the longer side is `long_side` px (0 = unchanged, 1..4096); area averaging when
    shrinking (no moire), Lanczos when enlarging."""
    h, w = image.shape[:2]
    nh, nw = _resized(h, w, {"long_side": long_side})
    if (nh, nw) == (h, w):
        return image.copy()
    check_output_size(nh, nw, f"Resizing to {long_side} px")
    interpolation = cv2.INTER_AREA if long_side < max(h, w) else cv2.INTER_LANCZOS4
    return cv2.resize(image, (nw, nh), interpolation=interpolation)


def saliency_map(image: np.ndarray, max_side: int = 256) -> np.ndarray:
    """Where the eye goes, at <= max_side px: float32 (h, w), larger = more interesting.

    Frequency-tuned saliency (Achanta et al., CVPR 2009: distance of the slightly blurred CIELAB
    colour from the image's mean colour) plus gradient energy (as in seam carving, Avidan & Shamir
    2007), times a mild centre prior so flat images crop to the centre.
    """
    small = shrink(image, max_side)
    lab = cv2.cvtColor(small.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)
    blurred = cv2.GaussianBlur(lab, (5, 5), 0)
    colour = np.sqrt(((blurred - lab.reshape(-1, 3).mean(0)) ** 2).sum(-1))
    lightness = blurred[..., 0]
    energy = np.abs(cv2.Sobel(lightness, cv2.CV_32F, 1, 0)) + np.abs(cv2.Sobel(lightness, cv2.CV_32F, 0, 1))
    score = colour / (colour.mean() + 1e-3) + energy / (energy.mean() + 1e-3)
    hh, ww = score.shape
    ys = np.linspace(-1.0, 1.0, hh, dtype=np.float32)[:, None]
    xs = np.linspace(-1.0, 1.0, ww, dtype=np.float32)[None, :]
    prior = np.exp(-(xs * xs + ys * ys) / 2.0)  # sigma = half the frame: a gentle pull to the centre
    return (score + 0.05) * prior


def _best_start(profile: np.ndarray, window: int) -> int:
    """Start of the `window`-long run with the largest total; ties go to the most central run."""
    sums = np.convolve(profile, np.ones(window), mode="valid")
    best = np.flatnonzero(sums >= sums.max() * (1 - 1e-9))
    return int(best[np.argmin(np.abs(best - (len(sums) - 1) / 2.0))])


@edit(name="crop_to_format", label="Crop to format", group="Size", cost=12,
      description="Crop to a design format (square, portrait, landscape, story) at the centre or around the subject.",
      params=[choice("format", "Format", _FORMAT_CHOICES, "original", neutral="original",
                     description="width:height; original = no crop"),
              choice("method", "Crop around", ("centre", "content"), "centre",
                     description="centre: keep the middle; content: keep the most detailed, distinctive part")],
      changes_size=True, output_size=_cropped)
def crop_to_format(image: np.ndarray, format: str = "original", method: str = "centre") -> np.ndarray:
    """The largest crop of the given aspect ratio ("original" = unchanged; "1:1", "4:5", "3:2",
    "16:9", "9:16"), centred or placed over the most salient part (see saliency_map)."""
    if format == "original":
        return image.copy()
    h, w = image.shape[:2]
    ch, cw = _cropped(h, w, {"format": format})
    top, left = (h - ch) // 2, (w - cw) // 2
    if method == "content" and (ch, cw) != (h, w):
        sal = saliency_map(image)
        sh, sw = sal.shape
        if ch < h:  # only one dimension is cut: search along it
            window = max(1, round(ch * sh / h))
            top = round(_best_start(sal.sum(1), window) * h / sh)
        else:
            window = max(1, round(cw * sw / w))
            left = round(_best_start(sal.sum(0), window) * w / sw)
        top, left = min(max(top, 0), h - ch), min(max(left, 0), w - cw)
    return image[top:top + ch, left:left + cw].copy()


@edit(name="pad_to_format", label="Pad to format", group="Size", cost=3,
      description="Fit the whole picture into a design format by adding a coloured border.",
      params=[choice("format", "Format", _FORMAT_CHOICES, "original", neutral="original",
                     description="width:height; original = no padding"),
              color("colour", "Background colour", "#ffffff")],
      changes_size=True, output_size=_padded)
def pad_to_format(image: np.ndarray, format: str = "original", colour: str = "#ffffff") -> np.ndarray:
    """Centre the image on the smallest canvas of the given aspect ratio ("original" = unchanged),
    filled with `colour`. Refused if the canvas would exceed the size limit."""
    if format == "original":
        return image.copy()
    h, w = image.shape[:2]
    nh, nw = _padded(h, w, {"format": format})
    check_output_size(nh, nw, f"Padding to {format}")
    top, left = (nh - h) // 2, (nw - w) // 2
    return cv2.copyMakeBorder(image, top, nh - h - top, left, nw - w - left, cv2.BORDER_CONSTANT,
                              value=hex_to_rgb(colour))



EDITS = (upscale, resize, crop_to_format, pad_to_format)
