"""Tiling: `seamless` makes any picture repeat without visible seams; `seam_score` measures them.

A picture tiles seamlessly when its last column runs on into its first one (and its last row into
its first row) as smoothly as any two neighbouring columns (rows) inside it. No library ships this
edit, so the cut-and-cross-fade below is hand-written (numpy and OpenCV).
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


def _ramp(n: int, width: float, cap: float) -> np.ndarray:
    """Cross-fade weights (n,) float32: 0 at both borders, rising smoothly to 1 over `width` * n px,
    and over at most `cap` px, so the weight is 1 where the offset copy has its own seam."""
    distance = np.minimum(np.arange(n), np.arange(n)[::-1]).astype(np.float32)  # to the nearest border
    zone = max(1.0, min(width * n, cap))
    t = np.clip(distance / np.float32(zone), 0.0, 1.0)
    return (t * t * (3.0 - 2.0 * t)).astype(np.float32)  # smoothstep: no kink where the fade starts


def _steps(pixels: np.ndarray, axis: int) -> np.ndarray:
    """Mean absolute difference between neighbouring columns (axis 1) or rows (axis 0): (n - 1,)."""
    return np.abs(np.diff(pixels, axis=axis)).mean(axis=(0, 2) if axis == 1 else (1, 2))


def _cut(pixels: np.ndarray, axis: int) -> int:
    """Where the picture is cut open to become the new wrap-around edge: the pair (cut - 1, cut) of
    columns (rows) in the middle fifth whose step is closest to the picture's mean step, so the new
    seam is as different as any two neighbours, neither a hard edge nor an unusually flat spot.
    Ties go to the middle; small sides simply take the middle."""
    n = pixels.shape[axis]
    lo, hi = int(np.ceil(0.4 * n)), int(0.6 * n)
    if n < 10 or hi <= lo:
        return n // 2
    steps = _steps(pixels, axis)
    candidates = np.arange(lo, hi + 1)
    cost = np.abs(steps[candidates - 1] - steps.mean())
    return int(candidates[np.lexsort((np.abs(candidates - n // 2), cost))[0]])


def _low_pass(pixels: np.ndarray) -> np.ndarray:
    """A blur about 2 % of the short side wide: the part of the picture that is cross-faded plainly."""
    k = max(3, int(0.05 * min(pixels.shape[:2])) | 1)  # odd kernel
    return cv2.stackBlur(pixels, (k, k))


def _cross_fade(pixels: np.ndarray, axis: int, width: float) -> None:
    """In place: the picture cross-faded along `axis` with a copy of itself offset so that its cut
    (_cut) lands on the border; weight w = _ramp on that axis, 1 in the middle, 0 at the borders.

    At the borders only the offset copy shows, and its last and first pixels there were neighbours
    at the cut, so the wrap-around is continuous. Coarse shapes (the low pass) fade linearly; fine
    detail fades with the weights divided by sqrt(w^2 + (1 - w)^2), which keeps its contrast (two
    unrelated details averaged half and half would lose 30 % of it and leave a washed-out band; the
    histogram-preserving blend of Heitz and Neyret 2018, on the detail only, where it cannot brighten
    a sky). Only the two border zones (w < 1) are computed: the middle stays as it is.
    """
    n = pixels.shape[axis]
    if n < 2:
        return  # a one-pixel side: the offset copy is the picture itself
    shift = n - _cut(pixels, axis)  # offset-copy pixel x is picture pixel (x - shift) mod n
    ramp = _ramp(n, width, min(shift, n - shift) - 1.0)
    z = int(np.count_nonzero(ramp[: (n + 1) // 2] < 1.0))  # zone length: ends before the copy's own seam
    low = _low_pass(pixels)
    zones = [(0, z, n - shift), (n - z, n, n - z - shift)]  # each zone's offset source is one slice
    mixed = []
    for start, stop, source in zones:  # compute both zones before writing either (sources overlap)
        here, other = _take(pixels, axis, start, stop), _take(pixels, axis, source, source + (stop - start))
        low_here, low_other = _take(low, axis, start, stop), _take(low, axis, source, source + (stop - start))
        w = ramp[start:stop].reshape((-1, 1, 1) if axis == 0 else (1, -1, 1))
        keep = 1.0 / np.sqrt(w * w + (1.0 - w) ** 2)
        coarse = low_other + w * (low_here - low_other)
        mixed.append(coarse + keep * (w * (here - low_here) + (1.0 - w) * (other - low_other)))
    for (start, stop, _), values in zip(zones, mixed):
        _take(pixels, axis, start, stop)[...] = values


def _take(pixels: np.ndarray, axis: int, start: int, stop: int) -> np.ndarray:
    """A view of rows (axis 0) or columns (axis 1) start..stop-1."""
    return pixels[start:stop] if axis == 0 else pixels[:, start:stop]


@edit(name="seamless", label="Seamless tile", group="Style", cost=130,
      description="Make the picture repeat without visible seams, for patterns, backgrounds and textures.",
      params=[strength(),
              number("width", "Blend width", 0.05, 0.5, 0.01, 0.25,
                     description="how far in from each edge the picture is blended, as a fraction of its side")])
def seamless(image: np.ndarray, strength: float = 1.0, width: float = 0.25) -> np.ndarray:
    """Cut open and cross-fade, so the picture tiles with no seam; strength 0 = original, 0..1.

    First across: the picture is blended with a copy of itself shifted by about half its width, so
    that a cut in its middle fifth (where two neighbouring columns differ as much as neighbours do on
    average) becomes the left/right edge; the weight of the original is a smoothstep that is 1 in the
    middle and falls to 0 over `width` (0.05..0.5) of the width at the left and right borders. Then
    the same downwards on that result (shifting rows keeps the left/right wrap continuous). Fine
    detail keeps its contrast through the blend (_cross_fade). Wider blends hide larger structures
    but show more of a faint double image near the edges. Strength below 1 mixes the original back
    in, and with it part of the seams. Works in float32; any size, odd and tiny ones included (a 1 px
    side is left as is).
    """
    if strength == 0.0:
        return image.copy()
    pixels = image.astype(np.float32)  # a new array: the input is never written
    _cross_fade(pixels, 1, width)
    _cross_fade(pixels, 0, width)
    tiled = cv2.convertScaleAbs(pixels)  # round and saturate to uint8 in one SIMD pass
    return blend(image, tiled, strength)


EDITS = (seamless,)
