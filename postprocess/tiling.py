"""Tiling: `seamless` makes any picture repeat without visible seams; `seam_score` measures them.

A picture tiles seamlessly when its last column runs on into its first one (and its last row into
its first row) as smoothly as any two neighbouring columns (rows) inside it. No library ships this
edit, so the offset-and-cross-fade below is hand-written (numpy only).
"""
from __future__ import annotations

import cv2
import numpy as np

from ._common import EditError, blend, check_image
from ._params import number, strength
from ._spec import edit

# seam_score floors the inside difference at this many levels: a guard against dividing by zero
# (for uint8 pictures a zero inside difference implies a zero edge difference, see seam_score).
_FLAT_FLOOR = 1e-3


def _seam_ratio(image: np.ndarray, axis: int) -> float:
    """Wrap-around difference over inside difference along `axis` (1: left/right, 0: top/bottom)."""
    if image.shape[axis] < 2:
        return 1.0  # one column (row): the picture meets itself, there is no seam to see
    # int16 differences are exact; the means accumulate in float64, without a float64 image copy.
    pixels = image.astype(np.int16)
    inside = float(np.abs(np.diff(pixels, axis=axis)).mean(dtype=np.float64))
    edge = float(np.abs(pixels.take(-1, axis=axis) - pixels.take(0, axis=axis)).mean(dtype=np.float64))
    if inside == 0.0 and edge == 0.0:
        return 1.0
    return edge / max(inside, _FLAT_FLOOR)


def seam_score(image: np.ndarray, axis: int | None = None) -> float:
    """How visible the wrap-around seams are when the picture is tiled; 1.0 = invisible.

    For the left/right seam (axis=1): the mean absolute difference between the last and the first
    column, divided by the mean absolute difference between horizontal neighbours inside the
    picture; for the top/bottom seam (axis=0) the same with rows and vertical neighbours. All three
    channels count, in levels (0..255), with float64 means. axis=None (the default) returns the
    mean of the two ratios. About 1 means the seam is a step like any other in the picture; a hard
    cut across a smooth picture scores 10 or more.

    A picture one pixel wide (high) scores 1.0 in that direction. A flat picture (inside difference
    0) scores 1.0: its edge difference is 0 too, since a step across the edge is at most the sum of
    the steps along the row (column). So the score is finite, at most W - 1 (H - 1); as a guard the
    inside difference is floored at 0.001 levels anyway, so it can never be inf or NaN.
    Raises EditError if `image` is not a uint8 H x W x 3 RGB array, or for an axis other than
    0, 1 or None.
    """
    check_image(image)
    if axis is None:
        return (_seam_ratio(image, 1) + _seam_ratio(image, 0)) / 2.0
    if axis not in (0, 1):
        raise EditError(f"seam_score: axis must be 0 (top/bottom), 1 (left/right) or None (both), not {axis!r}.")
    return _seam_ratio(image, axis)


def _ramp(n: int, width: float) -> np.ndarray:
    """Cross-fade weights (n,) float32: 0 at both borders, rising smoothly to 1 over `width` * n px.

    The zone is capped at n // 2 - 1 px so the weight is exactly 1 on both sides of the middle,
    where the half-offset copy has its own seam (between its pixels n // 2 - 1 and n // 2).
    """
    distance = np.minimum(np.arange(n), np.arange(n)[::-1]).astype(np.float32)  # to the nearest border
    zone = max(1.0, min(width * n, n // 2 - 1.0))
    t = np.clip(distance / np.float32(zone), 0.0, 1.0)
    return (t * t * (3.0 - 2.0 * t)).astype(np.float32)  # smoothstep: no kink where the fade starts


def _cross_fade(pixels: np.ndarray, axis: int, width: float) -> None:
    """In place: w * pixels + (1 - w) * (pixels offset by half along `axis`), w = _ramp on that axis.

    At the borders only the offset copy shows, and its last and first pixels along `axis` were
    neighbours in the middle of the picture, so the wrap-around is continuous there. Only the two
    border zones (where w < 1) are computed: the middle stays as it is, which halves the work at the
    default width.
    """
    n = pixels.shape[axis]
    if n < 2:
        return  # a one-pixel side: the offset copy is the picture itself
    ramp = _ramp(n, width)
    z = int(np.count_nonzero(ramp[: (n + 1) // 2] < 1.0))  # zone length; z <= n // 2, so no overlap
    shift = n // 2
    # Offset-copy pixel x is picture pixel (x - shift) mod n: for each zone one contiguous slice.
    zones = [(0, z, n - shift), (n - z, n, n - z - shift)]
    mixed = []
    for start, stop, source in zones:  # compute both zones before writing either (sources overlap)
        here = _take(pixels, axis, start, stop)
        other = _take(pixels, axis, source, source + (stop - start))
        weights = ramp[start:stop].reshape((-1, 1, 1) if axis == 0 else (1, -1, 1))
        mixed.append(other + weights * (here - other))
    for (start, stop, _), values in zip(zones, mixed):
        _take(pixels, axis, start, stop)[...] = values


def _take(pixels: np.ndarray, axis: int, start: int, stop: int) -> np.ndarray:
    """A view of rows (axis 0) or columns (axis 1) start..stop-1."""
    return pixels[start:stop] if axis == 0 else pixels[:, start:stop]


@edit(name="seamless", label="Seamless tile", group="Style",
      description="Make the picture repeat without visible seams, for patterns, backgrounds and textures.",
      params=[strength(),
              number("width", "Blend width", 0.05, 0.5, 0.01, 0.25,
                     description="how far in from each edge the picture is blended, as a fraction of its side")])
def seamless(image: np.ndarray, strength: float = 1.0, width: float = 0.25) -> np.ndarray:
    """Offset by half and cross-fade, so the picture tiles with no seam; strength 0 = original, 0..1.

    First across: each row becomes w * row + (1 - w) * (the row shifted by half its length), with a
    smoothstep weight w that is 1 in the middle and falls to 0 over `width` (0.05..0.5) of the width
    at the left and right borders. Then the same downwards on that result (shifting rows keeps the
    left/right wrap continuous). The fade zone stops just short of the middle, where the offset copy
    has its own seam. Wider blends hide larger structures but show more of a faint double image near
    the edges. Strength below 1 mixes the original back in, and with it part of the seams. Works in
    float32; any size, odd and tiny ones included (a 1 px side is left as is).
    """
    if strength == 0.0:
        return image.copy()
    pixels = image.astype(np.float32)  # a new array: the input is never written
    _cross_fade(pixels, 1, width)
    _cross_fade(pixels, 0, width)
    tiled = cv2.convertScaleAbs(pixels)  # round and saturate to uint8 in one SIMD pass
    return blend(image, tiled, strength)


EDITS = (seamless,)
