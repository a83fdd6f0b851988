"""Colour from a reference image: Reinhard colour transfer and histogram matching.

Both take a `reference` image (uint8 H x W x 3 RGB, any size). References are arrays, so inside an
EditStack they are carried by name and supplied to `EditStack.apply` (see stack.py).
"""
from __future__ import annotations

import cv2
import numpy as np

from ._common import LEVELS, apply_lut, gray, to_unit
from ._params import choice, reference, strength
from ._spec import edit

# Reinhard, Ashikhmin, Gooch & Shirley 2001, "Color Transfer between Images", IEEE CG&A 21(5):
# match the mean and standard deviation of each channel of a decorrelated colour space. The paper
# uses l-alpha-beta (log LMS); we use CIELAB, as most practical implementations do: its log-free
# lightness does not blow up the spread of near-black pixels, which in l-alpha-beta made gains
# explode and left coloured fringes (seen on test photos). Transfer to itself is the identity.
_STATS_SAMPLES = 65536  # pixels used for the mean / std (a strided sample of larger images)
_MAX_GAIN = 5.0  # cap on std_ref / std_src: a near-flat source channel would otherwise turn noise into glare


def _to_lab(image: np.ndarray) -> np.ndarray:
    """uint8 RGB -> float32 CIELAB (L 0..100, a and b about -127..127)."""
    return cv2.cvtColor(to_unit(image), cv2.COLOR_RGB2Lab)


def _lab_stats(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of each CIELAB channel, from a strided pixel sample."""
    h, w = image.shape[:2]
    stride = max(1, int(np.ceil(np.sqrt(h * w / _STATS_SAMPLES))))
    mean, std = cv2.meanStdDev(_to_lab(np.ascontiguousarray(image[::stride, ::stride])))
    return mean.ravel(), std.ravel()


@edit(name="colour_transfer", label="Colour transfer", group="Colour", cost=25,
      description="Give the picture the colour mood of a reference image (Reinhard et al. 2001).",
      params=[reference("reference", "Reference image", "the image whose colours to borrow"),
              strength()])
def colour_transfer(image: np.ndarray, reference: np.ndarray, strength: float = 1.0) -> np.ndarray:
    """Match the mean and spread of each CIELAB channel to the reference; strength 0 = original.

    out = (in - mean_src) * gain + mean_target per channel, gain = std_target / std_src capped at 5.
    Strength interpolates the target statistics, so 0.5 is half-way in mood. About 70 ms at 2048 px.
    """
    if strength == 0.0:
        return image.copy()
    mu_s, sd_s = _lab_stats(image)
    mu_r, sd_r = _lab_stats(reference)
    mu_t = mu_s + strength * (mu_r - mu_s)
    sd_t = sd_s + strength * (sd_r - sd_s)
    # A flat channel (std ~ 0) has nothing to stretch: shift it only, rather than divide by ~0.
    gain = np.where(sd_s > 1e-3, np.minimum(sd_t / np.maximum(sd_s, 1e-3), _MAX_GAIN), 1.0)
    affine = np.hstack([np.diag(gain), (mu_t - gain * mu_s)[:, None]]).astype(np.float32)  # (3, 4)
    rgb = cv2.cvtColor(cv2.transform(_to_lab(image), affine), cv2.COLOR_Lab2RGB)
    return cv2.multiply(rgb, (255.0, 255.0, 255.0, 0.0), dtype=cv2.CV_8U)  # round and saturate


def _match_table(source: np.ndarray, target: np.ndarray, channel: int) -> np.ndarray:
    """Monotone 256-entry table mapping one channel's histogram onto another's (histogram
    specification, Gonzalez & Woods, Digital Image Processing, 3.3.2)."""
    src = cv2.calcHist([source], [channel], None, [256], [0, 256]).ravel().astype(np.float64)
    ref = cv2.calcHist([target], [channel], None, [256], [0, 256]).ravel().astype(np.float64)
    src_cdf = np.cumsum(src) / src.sum()
    present = ref > 0
    ref_cdf = (np.cumsum(ref) / ref.sum())[present]
    # Each level goes to the reference level at the same quantile; for a level the reference also
    # has at the same quantile this is exact, so matching an image to itself changes nothing.
    return np.interp(src_cdf, ref_cdf, LEVELS[present])


@edit(name="histogram_match", label="Match histogram", group="Colour", cost=8,
      description="Make the tones (and colours) follow those of a reference image.",
      params=[reference("reference", "Reference image", "the image whose tonal distribution to copy"),
              strength(),
              choice("match", "Match", ("colour", "tones"), "colour",
                     description="colour: each RGB channel (can shift hues); tones: brightness only, hues kept")])
def histogram_match(image: np.ndarray, reference: np.ndarray, strength: float = 1.0,
                    match: str = "colour") -> np.ndarray:
    """Histogram specification to the reference; strength 0 = original, 0..1.

    colour: each RGB channel separately (as scikit-image's match_histograms). tones: the Rec. 601
    luma histogram only; each pixel's three channels move by the same amount, so hues are kept.
    """
    if strength == 0.0:
        return image.copy()
    if match == "tones":
        luma, ref_luma = gray(image), gray(reference)
        delta = strength * (_match_table(luma, ref_luma, 0) - LEVELS)  # (256,) level shift per luma
        shift = cv2.LUT(luma, delta.astype(np.float32))  # (H, W) float32
        return cv2.add(image, cv2.merge([shift, shift, shift]), dtype=cv2.CV_8U)
    table = np.stack([_match_table(image, reference, c) for c in range(3)], axis=1)  # (256, 3)
    return apply_lut(image, (1.0 - strength) * LEVELS[:, None] + strength * table)


EDITS = (colour_transfer, histogram_match)
