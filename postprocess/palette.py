"""Palettes: extract the k main colours of an image, recolour an image to a palette, draw swatches.

Colour clustering uses a small deterministic k-means in CIELAB written here rather than cv2.kmeans:
cv2.kmeans draws its initial centres (and repairs empty clusters) from OpenCV's process-wide RNG,
so the same image could give a different palette depending on what ran before. Ours starts from
the most common colour and adds farthest points (a greedy k-means++, Arthur & Vassilvitskii 2007),
then runs Lloyd iterations weighted by pixel counts on the image's distinct colours.
"""
from __future__ import annotations

import functools

import cv2
import numpy as np

from ._common import EditError, blend, check_image, hex_to_rgb, lab_to_rgb, rgb_to_hex, rgb_to_lab
from ._params import flag, strength
from ._params import palette as palette_param  # `palette` is recolour's argument name
from ._spec import edit

_MAX_SAMPLES = 65536  # pixels looked at when clustering; a strided sample of larger images


def _distinct_colours(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct RGB colours (N x 3 uint8) of a strided pixel sample, with their counts (N,)."""
    h, w = image.shape[:2]
    stride = max(1, int(np.ceil(np.sqrt(h * w / _MAX_SAMPLES))))
    # A strided sample, not an area-average: averaging would invent blended colours at edges.
    pixels = image[::stride, ::stride].reshape(-1, 3).astype(np.uint32)
    packed = (pixels[:, 0] << 16) | (pixels[:, 1] << 8) | pixels[:, 2]
    values, counts = np.unique(packed, return_counts=True)
    colours = np.stack([values >> 16, (values >> 8) & 255, values & 255], axis=1).astype(np.uint8)
    return colours, counts


def _binned(colours: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge colours into 5-bit-per-channel bins (count-weighted mean colour per bin).

    Photos have tens of thousands of distinct colours; clustering <= 32768 bin means instead moves
    the result by less than a level and makes each k-means iteration several times cheaper.
    """
    c = colours.astype(np.int64)
    key = ((c[:, 0] >> 3) << 10) | ((c[:, 1] >> 3) << 5) | (c[:, 2] >> 3)
    bins, inverse = np.unique(key, return_inverse=True)
    weight = np.bincount(inverse, counts, minlength=len(bins))
    means = np.stack([np.bincount(inverse, counts * c[:, ch], minlength=len(bins)) for ch in range(3)], 1)
    return np.clip(np.rint(means / weight[:, None]), 0, 255).astype(np.uint8), weight


def nearest_centre(points: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Index of the nearest centre for each point (N x 3 and K x 3 arrays, squared Euclidean).

    argmin_k |c_k|^2 - 2 p . c_k, written as three outer products rather than a matrix product:
    BLAS on a tall N x 3 matrix was ~10x slower here, fighting OpenCV for the same few cores.
    """
    p = points.astype(np.float32, copy=False)
    c = centres.astype(np.float32)
    score = (c * c).sum(1)[None, :] - 2.0 * np.multiply.outer(p[:, 0], c[:, 0])
    score -= 2.0 * np.multiply.outer(p[:, 1], c[:, 1])
    score -= 2.0 * np.multiply.outer(p[:, 2], c[:, 2])
    return np.argmin(score, axis=1)


def kmeans_colours(image: np.ndarray, k: int, iterations: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """Cluster an image's colours: (centres N x 3 uint8 RGB, shares N summing to 1), N <= k, by share.

    Deterministic for a given image. If the image has at most k distinct colours they are returned
    exactly (so a two-colour image gives back its two colours).
    """
    colours, weights = _distinct_colours(image)
    weights = weights.astype(np.float64)
    if len(colours) <= k:
        centres_rgb, shares = colours, weights
    else:
        if len(colours) > 4096:
            colours, weights = _binned(colours, weights)
        lab = rgb_to_lab(colours)  # float32 (N, 3)
        centres = [lab[np.argmax(weights)].astype(np.float64)]
        nearest_d = ((lab - centres[0]) ** 2).sum(1)
        for _ in range(1, k):
            centres.append(lab[np.argmax(weights * nearest_d)])
            nearest_d = np.minimum(nearest_d, ((lab - centres[-1]) ** 2).sum(1))
        centres = np.array(centres)
        for _ in range(iterations):
            labels = nearest_centre(lab, centres)
            mass = np.bincount(labels, weights, minlength=k)
            sums = np.stack([np.bincount(labels, weights * lab[:, c], minlength=k) for c in range(3)], 1)
            moved = np.where(mass[:, None] > 0, sums / np.maximum(mass, 1e-12)[:, None], centres)
            if np.abs(moved - centres).max() < 0.05:  # CIELAB units: far below a visible step
                break
            centres = moved  # an empty cluster keeps its centre: deterministic, no random restart
        labels = nearest_centre(lab, centres)
        shares = np.bincount(labels, weights, minlength=k)
        keep = shares > 0
        centres_rgb, shares = lab_to_rgb(centres[keep]), shares[keep]
    order = np.argsort(-shares, kind="stable")
    return centres_rgb[order], shares[order] / shares.sum()


def _cell_index(image: np.ndarray, bits: int) -> np.ndarray:
    """Index of each pixel's cell on a grid with `bits` bits per channel: (H, W) int32."""
    cells = (image >> (8 - bits)).astype(np.int32)
    return (cells[..., 0] << (2 * bits)) | (cells[..., 1] << bits) | cells[..., 2]


def _nearest_table(centres: np.ndarray, bits: int) -> np.ndarray:
    """For every grid cell (cell-centre colour), the index of the nearest centre in CIELAB."""
    size = 1 << bits
    grid = ((np.arange(size, dtype=np.uint16) << (8 - bits)) + (1 << (7 - bits))).astype(np.uint8)
    cells = np.stack(np.meshgrid(grid, grid, grid, indexing="ij"), axis=-1).reshape(-1, 3)
    return nearest_centre(rgb_to_lab(cells), rgb_to_lab(centres))


def quantize(image: np.ndarray, k: int) -> np.ndarray:
    """The image in its own k main colours (k-means in CIELAB).

    Large images are mapped through a 5-bit-per-channel table of nearest colours (32768 cells,
    built per call): several times cheaper than a distance per pixel, and off by at most 4 levels
    from it at a colour boundary. Images up to 32768 pixels are mapped pixel by pixel.
    """
    centres, _ = kmeans_colours(image, k)
    if image.shape[0] * image.shape[1] <= 32768:  # small image: fewer pixels than table cells
        lab = cv2.cvtColor(image.astype(np.float32) * np.float32(1 / 255), cv2.COLOR_RGB2Lab)
        return centres[nearest_centre(lab.reshape(-1, 3), rgb_to_lab(centres))].reshape(image.shape)
    table = centres[_nearest_table(centres, 5)]  # (32768, 3) uint8
    return table[_cell_index(image, 5)]


def extract_palette(image: np.ndarray, k: int = 5) -> list[dict]:
    """The k (1..32) main colours of an image, most common first.

    Returns [{"hex": "#aabbcc", "rgb": [r, g, b], "share": 0.42}, ...]; shares sum to 1. Fewer than
    k entries come back when the image has fewer distinct colours. Not an image edit: an analysis.
    """
    check_image(image)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= 32:
        raise EditError(f"Extract palette: the number of colours must be a whole number from 1 to 32 (got {k!r}).")
    centres, shares = kmeans_colours(image, int(k))
    return [{"hex": rgb_to_hex(c), "rgb": [int(v) for v in c], "share": round(float(s), 4)}
            for c, s in zip(centres, shares)]


def palette_swatch(colours: list[str], height: int = 96, swatch_width: int = 96,
                   labels: bool = True) -> np.ndarray:
    """A strip of colour swatches (uint8 H x W x 3) for the UI, each labelled with its hex code.

    colours: hex strings (1..32); height 16..1024 px; swatch_width 16..1024 px per colour.
    """
    if not isinstance(colours, (list, tuple)) or not 1 <= len(colours) <= 32:
        raise EditError("Palette swatch: give a list of 1 to 32 hex colours.")
    if not (16 <= height <= 1024 and 16 <= swatch_width <= 1024):
        raise EditError("Palette swatch: height and swatch width must be between 16 and 1024 px.")
    strip = np.zeros((height, swatch_width * len(colours), 3), dtype=np.uint8)
    for i, hex_code in enumerate(colours):
        rgb = hex_to_rgb(hex_code)
        x0 = i * swatch_width
        strip[:, x0:x0 + swatch_width] = rgb
        if labels and swatch_width >= 48:
            # Black or white text, whichever contrasts more with the swatch (Rec. 601 luma).
            ink = (0, 0, 0) if 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2] > 140 else (255, 255, 255)
            scale = swatch_width / 160.0
            cv2.putText(strip, rgb_to_hex(rgb), (x0 + max(2, swatch_width // 12), height - max(4, height // 10)),
                        cv2.FONT_HERSHEY_SIMPLEX, scale, ink, max(1, round(scale * 1.5)), cv2.LINE_AA)
    return strip


@functools.lru_cache(maxsize=16)
def _palette_table(colours: tuple[str, ...]) -> np.ndarray:
    """Nearest palette colour (in CIELAB) for every 6-bit-per-channel RGB cell: (64**3, 3) uint8.

    Built once per palette (~20 ms, 786 KB) and cached, so recolouring a 2048 px image is a table
    lookup instead of a per-pixel distance computation. Read-only.
    """
    rgb = np.array([hex_to_rgb(c) for c in colours], dtype=np.uint8)
    table = rgb[_nearest_table(rgb, 6)]
    table.flags.writeable = False
    return table


def _bayer(size: int) -> np.ndarray:
    """Ordered-dither thresholds (Bayer 1973), size x size, centred on zero, range -0.5..0.5."""
    m = np.array([[0, 2], [3, 1]])
    while m.shape[0] < size:
        m = np.block([[4 * m, 4 * m + 2], [4 * m + 3, 4 * m + 1]])
    return ((m + 0.5) / m.size - 0.5).astype(np.float32)


_BAYER8 = _bayer(8)
_BAYER8.flags.writeable = False


def map_to_palette(image: np.ndarray, colours: list[str], dither: bool = False) -> np.ndarray:
    """Replace every pixel with its nearest colour from `colours` (CIELAB distance)."""
    table = _palette_table(tuple(colours))
    source = image
    if dither:
        h, w = image.shape[:2]
        # Spread the threshold over about one palette step so gradients become patterns, not bands.
        spread = 255.0 / max(2, round(len(colours) ** (1 / 3)))
        noise = np.tile(_BAYER8, (h // 8 + 1, w // 8 + 1))[:h, :w] * np.float32(spread)
        source = cv2.add(image, cv2.merge([noise, noise, noise]), dtype=cv2.CV_8U)
    return table[_cell_index(source, 6)]


@edit(name="recolour", label="Recolour to palette", group="Colour", cost=110,
      description="Repaint the picture using only the colours of a palette, e.g. a brand palette.",
      params=[palette_param("palette", "Palette", ("#1d2b53", "#7e2553", "#ff004d", "#ffa300", "#fff1e8"),
                      lo=1, hi=32, description="hex colours, e.g. [\"#1d2b53\", \"#ffcc66\"]"),
              strength(),
              flag("dither", "Dither", False, description="ordered dithering: smoother gradients")])
def recolour(image: np.ndarray, palette: tuple[str, ...] = ("#1d2b53", "#7e2553", "#ff004d", "#ffa300", "#fff1e8"),
             strength: float = 1.0, dither: bool = False) -> np.ndarray:
    """Map every pixel to the nearest palette colour (CIELAB distance, looked up on a 6-bit RGB grid);
    palette: 1..32 hex colours; strength 0 = original, 1 = palette colours only."""
    if strength == 0.0:
        return image.copy()
    return blend(image, map_to_palette(image, list(palette), dither), strength)


EDITS = (recolour,)
