"""Artistic style filters: pencil sketch, cartoon, painterly, watercolour, neon, pixel art, halftone.

Every filter has `strength`: 0 = the original (an exact copy), 1 = the full effect. Expensive
smoothing (bilateral, Kuwahara, OpenCV's stylization and edge-preserving filters) runs on a reduced
working copy (512-1024 px) and is enlarged again: these effects remove fine detail anyway, and it is
what keeps them within 150 ms (painterly and watercolour: 600 ms) at 2048 px. Scale-dependent
settings are relative to the image size, so a small preview and the full-size export look alike.
"""
from __future__ import annotations

import cv2
import numpy as np

from ._common import blend, gray, hex_to_rgb, resize_to, shrink
from ._params import choice, color, flag, integer, number, strength
from ._spec import edit
from .palette import quantize


def _scale(image: np.ndarray, reference_side: float = 768.0) -> float:
    """Image size relative to a 768 px reference, for size-independent radii."""
    return max(image.shape[:2]) / reference_side


@edit(name="pencil_sketch", label="Pencil sketch", group="Style", cost=10,
      description="Turn the picture into a pencil drawing, in grey or coloured pencil.",
      params=[strength(), flag("colour", "Coloured pencil", False),
              number("darkness", "Line darkness", 0.0, 1.0, 0.01, 0.5)])
def pencil_sketch(image: np.ndarray, strength: float = 1.0, colour: bool = False,
                  darkness: float = 0.5) -> np.ndarray:
    """Colour-dodge sketch: luma divided by the blurred inverse luma, which keeps edges as pencil
    strokes and turns flat areas white. strength 0 = original; darkness 0..1 deepens the strokes.

    Written by hand rather than with cv2.pencilSketch: that takes ~1.2 s at 2048 px, renders dark
    regions as solid blobs and leaves streaks along the image border.
    """
    if strength == 0.0:
        return image.copy()
    luma = gray(image)
    sigma = max(1.0, 4.0 * _scale(image))
    blurred_inverse = cv2.GaussianBlur(255 - luma, (0, 0), sigma)
    sketch = cv2.divide(luma, 255 - blurred_inverse, scale=256)  # colour dodge, saturating
    exponent = 1.0 + 3.0 * darkness
    table = np.clip(255.0 * (np.arange(256) / 255.0) ** exponent + 0.5, 0, 255).astype(np.uint8)
    sketch = cv2.LUT(sketch, table)
    if colour:
        # Pencil colour: the picture's colours lightened towards paper white, darkened by the strokes.
        pastel = cv2.addWeighted(image, 0.7, np.full_like(image, 255), 0.3, 0.0)
        effect = cv2.multiply(pastel, cv2.cvtColor(sketch, cv2.COLOR_GRAY2RGB), scale=1.0 / 255.0)
    else:
        effect = cv2.cvtColor(sketch, cv2.COLOR_GRAY2RGB)
    return blend(image, effect, strength)


@edit(name="cartoon", label="Cartoon", group="Style", cost=60,
      description="Flat colour areas with dark outlines, like a comic or cel animation.",
      params=[strength(), number("outlines", "Outlines", 0.0, 1.0, 0.01, 0.6, description="0 = none"),
              integer("colours", "Colours", 4, 32, 12)])
def cartoon(image: np.ndarray, strength: float = 1.0, outlines: float = 0.6, colours: int = 12) -> np.ndarray:
    """Cel shading: three bilateral passes (Tomasi & Manduchi 1998) and a `colours`-colour k-means
    palette on a <= 512 px copy, plus adaptive-threshold outlines on a <= 1024 px copy;
    strength 0 = original; outlines 0..1; colours 4..32.

    Bilateral passes rather than cv2.pyrMeanShiftFiltering: a similar flat look at a quarter of the cost.
    """
    if strength == 0.0:
        return image.copy()
    h, w = image.shape[:2]
    flat = shrink(image, 512)
    for _ in range(3):
        flat = cv2.bilateralFilter(flat, 7, 40.0, 5.0)
    paint = resize_to(quantize(flat, colours), h, w)
    if outlines > 0.0:
        mid = shrink(image, 1024)
        block = 2 * max(1, round(4 * max(mid.shape[:2]) / 512)) + 1  # odd window, ~9 px at 512
        edges = cv2.adaptiveThreshold(cv2.medianBlur(gray(mid), 5), 255, cv2.ADAPTIVE_THRESH_MEAN_C,
                                      cv2.THRESH_BINARY, block, 9)
        ink = resize_to(edges, h, w)  # 0 on lines, 255 elsewhere; enlarging anti-aliases the lines
        keep = cv2.addWeighted(ink, outlines, np.full_like(ink, 255), 1.0 - outlines, 0.0)
        paint = cv2.multiply(paint, cv2.cvtColor(keep, cv2.COLOR_GRAY2RGB), scale=1.0 / 255.0)
    return blend(image, paint, strength)


def kuwahara(image: np.ndarray, radius: int) -> np.ndarray:
    """Kuwahara filter (Kuwahara et al. 1976), radius >= 1 px: each pixel takes the mean colour of
    whichever of its four (radius + 1)^2 corner windows has the lowest luma variance. Edges stay
    sharp while texture melts into flat strokes: the classic oil-paint look (cv2.xphoto.oilPainting
    exists only in opencv-contrib). Box filters make it O(1) per pixel whatever the radius."""
    k = radius + 1
    colour = image.astype(np.float32)
    luma = gray(image).astype(np.float32)
    luma_sq = luma * luma
    means, variances = [], []
    for anchor in ((k - 1, k - 1), (0, k - 1), (k - 1, 0), (0, 0)):  # the four corner windows
        m = cv2.boxFilter(luma, -1, (k, k), anchor=anchor, borderType=cv2.BORDER_REFLECT)
        m_sq = cv2.boxFilter(luma_sq, -1, (k, k), anchor=anchor, borderType=cv2.BORDER_REFLECT)
        means.append(cv2.boxFilter(colour, -1, (k, k), anchor=anchor, borderType=cv2.BORDER_REFLECT))
        variances.append(m_sq - m * m)
    pick = np.argmin(np.stack(variances), axis=0)  # (H, W), 0..3
    out = np.take_along_axis(np.stack(means), pick[None, ..., None], axis=0)[0]  # (H, W, 3)
    return cv2.add(out, (0.0, 0.0, 0.0, 0.0), dtype=cv2.CV_8U)  # round and saturate


@edit(name="painterly", label="Oil paint / painterly", group="Style", cost=550,
      description="Paint-stroke look: oil paint, or inked stylization with bold edges.",
      params=[strength(), number("brush", "Brush size", 0.0, 1.0, 0.01, 0.5, description="0 = fine, 1 = broad"),
              choice("look", "Look", ("oil", "ink"), "oil",
                     description="oil: Kuwahara paint strokes; ink: OpenCV stylization with dark edges")])
def painterly(image: np.ndarray, strength: float = 1.0, brush: float = 0.5, look: str = "oil") -> np.ndarray:
    """Painted look on a reduced copy, enlarged; strength 0 = original; brush 0..1.

    oil: Kuwahara filter on a <= 1024 px copy, radius 2..8 px per 720 px of image. ink:
    cv2.stylization (Gastal & Oliveira 2011 domain-transform smoothing plus edge darkening) on a
    <= 720 px copy (it costs ~4x more per pixel), sigma_s 20..120 per 720 px.
    """
    if strength == 0.0:
        return image.copy()
    h, w = image.shape[:2]
    small = shrink(image, 1024 if look == "oil" else 720)
    unit = max(small.shape[:2]) / 720
    if look == "oil":
        painted = kuwahara(small, max(1, round((2 + 6 * brush) * unit)))
    else:
        sigma_s = float(np.clip((20.0 + 100.0 * brush) * unit, 1.0, 200.0))
        painted = cv2.stylization(small, sigma_s=sigma_s, sigma_r=0.45)
    return blend(image, resize_to(painted, h, w), strength)


@edit(name="watercolour", label="Watercolour", group="Style", cost=150,
      description="Translucent washes of colour with darker edges on textured paper.",
      params=[strength(), number("wetness", "Wetness", 0.0, 1.0, 0.01, 0.5, description="how far colours bleed")])
def watercolour(image: np.ndarray, strength: float = 1.0, wetness: float = 0.5) -> np.ndarray:
    """Flat washes (cv2.edgePreservingFilter, recursive domain transform) lightened towards paper,
    with pigment pooling at wash edges and paper granulation, the cues identified by Curtis et al.,
    "Computer-Generated Watercolor", SIGGRAPH 1997. Works on a <= 720 px copy; strength 0 = original."""
    if strength == 0.0:
        return image.copy()
    h, w = image.shape[:2]
    small = shrink(image, 720)
    sh, sw = small.shape[:2]
    unit = max(sh, sw) / 720
    wash = cv2.edgePreservingFilter(small, flags=cv2.RECURS_FILTER,
                                    sigma_s=float(np.clip((20 + 80 * wetness) * unit, 1.0, 200.0)), sigma_r=0.35)
    wash = cv2.GaussianBlur(wash, (0, 0), max(0.5, (0.5 + 2.0 * wetness) * unit))  # colours bleed
    # Edge darkening: pigment collects where the wash changes (gradient of the smoothed luma).
    luma = cv2.GaussianBlur(gray(wash).astype(np.float32), (0, 0), max(0.5, unit))
    grad = cv2.magnitude(cv2.Sobel(luma, cv2.CV_32F, 1, 0), cv2.Sobel(luma, cv2.CV_32F, 0, 1))
    pooling = np.clip(grad / (4.0 * float(grad.mean()) + 1e-3), 0.0, 1.0)
    # Paper: low-frequency blotches plus fine grain, from a fixed local seed (same paper every time).
    rng = np.random.default_rng(1997)
    blotch = cv2.resize(rng.standard_normal((max(1, sh // 24), max(1, sw // 24)), dtype=np.float32),
                        (sw, sh), interpolation=cv2.INTER_CUBIC)
    grain = cv2.GaussianBlur(rng.standard_normal((sh, sw), dtype=np.float32), (0, 0), 0.7)
    paper = 1.0 - 0.04 * blotch - 0.05 * grain
    shade = (paper * (1.0 - 0.35 * pooling))[..., None]
    light = 255.0 - 0.8 * (255.0 - wash.astype(np.float32))  # transparent pigment: lighter than paint
    painted = np.clip(light * shade + 0.5, 0, 255).astype(np.uint8)
    return blend(image, resize_to(painted, h, w), strength)


@edit(name="neon", label="Edge glow / neon", group="Style", cost=30,
      description="Glowing neon outlines on a dark background.",
      params=[strength(), number("glow", "Glow", 0.0, 1.0, 0.01, 0.5, description="size of the halo"),
              flag("image_colours", "Use picture colours", True, description="off = one tube colour"),
              color("colour", "Tube colour", "#00e5ff")])
def neon(image: np.ndarray, strength: float = 1.0, glow: float = 0.5, image_colours: bool = True,
         colour: str = "#00e5ff") -> np.ndarray:
    """Sobel edges drawn as bright tubes (in the picture's own hues at full brightness, or one
    colour) with a Gaussian halo over a darkened picture; works on a <= 768 px copy;
    strength 0 = original; glow 0..1."""
    if strength == 0.0:
        return image.copy()
    h, w = image.shape[:2]
    small = shrink(image, 768)
    sh, sw = small.shape[:2]
    unit = max(sh, sw) / 768
    luma = cv2.GaussianBlur(gray(small), (0, 0), max(0.7, unit))
    mag = cv2.magnitude(cv2.Sobel(luma, cv2.CV_32F, 1, 0), cv2.Sobel(luma, cv2.CV_32F, 0, 1))
    # Light only the strongest edges: 0 at the 80th percentile of gradient, full at the 99th.
    lo, hi = np.percentile(mag[::4, ::4], (80.0, 99.0))
    edges = np.clip((mag - lo) * np.float32(255.0 / max(hi - lo, 1e-3)), 0, 255).astype(np.uint8)
    if image_colours:
        # Each pixel's hue at full value and doubled saturation; grey pixels give white light.
        hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV)
        # convertScaleAbs, not cv2.multiply(x, 2.0): OpenCV 5 reads a 1 x 1 picture's plane as a scalar there
        hsv[..., 1] = cv2.convertScaleAbs(hsv[..., 1], alpha=2.0)
        hsv[..., 2] = 255
        tube_colour = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
    else:
        tube_colour = np.empty_like(small)
        tube_colour[:] = hex_to_rgb(colour)
    tubes = cv2.multiply(tube_colour, cv2.cvtColor(edges, cv2.COLOR_GRAY2RGB), scale=1.0 / 255.0)
    # The halo is smooth: blur a half-size copy and enlarge it.
    half = shrink(tubes, max(1, max(sh, sw) // 2))
    halo = cv2.GaussianBlur(half, (0, 0), max(0.5, (1.0 + 7.0 * glow) * unit))
    halo = resize_to(halo, sh, sw)
    lit = cv2.addWeighted(small, 0.15, tubes, 1.0, 0.0)
    lit = cv2.addWeighted(lit, 1.0, halo, 0.8 + 1.7 * glow, 0.0)
    return blend(image, resize_to(lit, h, w), strength)


@edit(name="pixel_art", label="Pixel art", group="Style", cost=25,
      description="Big square pixels in a small palette, like a retro game.",
      params=[strength(), integer("pixel_size", "Pixel size (px)", 2, 64, 8),
              integer("colours", "Colours", 2, 64, 16)])
def pixel_art(image: np.ndarray, strength: float = 1.0, pixel_size: int = 8, colours: int = 16) -> np.ndarray:
    """Area-average into pixel_size x pixel_size blocks (2..64 px), reduce to `colours` (2..64)
    k-means colours, enlarge with hard edges; strength 0 = original."""
    if strength == 0.0:
        return image.copy()
    h, w = image.shape[:2]
    gh, gw = -(-h // pixel_size), -(-w // pixel_size)  # ceil: the last block may be partial
    small = cv2.resize(image, (gw, gh), interpolation=cv2.INTER_AREA)
    small = quantize(small, colours)
    blocks = small.repeat(pixel_size, axis=0).repeat(pixel_size, axis=1)[:h, :w]
    return blend(image, np.ascontiguousarray(blocks), strength)


def _screen(h: int, w: int, cell: float, angle_deg: float) -> np.ndarray:
    """Round-dot halftone spot function in 0..1 (1 at dot centres), float32 (h, w), screen angle in degrees.

    s = 0.5 + 0.25 (cos 2 pi u + cos 2 pi v) for rotated cell coordinates (u, v); each cosine of
    a x + b y splits into products of 1-D cosines and sines, so the grid costs four outer products.
    """
    t = np.deg2rad(angle_deg)
    k = 2.0 * np.pi / cell
    y = np.arange(h, dtype=np.float64)
    x = np.arange(w, dtype=np.float64)

    def wave(ax: float, by: float) -> np.ndarray:  # cos(ax * x + by * y) = cos cos - sin sin
        cy, sy = np.cos(by * y).astype(np.float32), np.sin(by * y).astype(np.float32)
        cx, sx = np.cos(ax * x).astype(np.float32), np.sin(ax * x).astype(np.float32)
        return np.multiply.outer(cy, cx) - np.multiply.outer(sy, sx)

    return 0.5 + 0.25 * (wave(k * np.cos(t), k * np.sin(t)) + wave(-k * np.sin(t), k * np.cos(t)))


@edit(name="halftone", label="Halftone", group="Style", cost=45,
      description="Print-style dots: black ink, or cyan-magenta-yellow colour screens.",
      params=[strength(), integer("cell", "Dot spacing (px)", 3, 64, 8),
              flag("colour", "Colour (CMY)", False, description="off = black ink on white")])
def halftone(image: np.ndarray, strength: float = 1.0, cell: int = 8, colour: bool = False) -> np.ndarray:
    """Clustered-dot halftone (amplitude modulation): dot area grows with ink coverage. Black ink at
    the classic 45 degree screen, or C/M/Y screens at 15/75/0 degrees to avoid moire between inks.
    cell 3..64 px; strength 0 = original. Dot edges are anti-aliased over about one pixel."""
    if strength == 0.0:
        return image.copy()
    h, w = image.shape[:2]
    # Blur the tone at about a quarter cell so dots follow tone, not pixel noise (less moire).
    tone = cv2.GaussianBlur(image if colour else gray(image), (0, 0), max(0.5, cell / 4.0)).astype(np.float32)
    sharpness = np.float32(cell / 2.0)  # spot-function slope is ~0.3-1.1 / cell per px: ~1 px edges
    inks = [(tone[..., c], a) for c, a in zip(range(3), (15.0, 75.0, 0.0))] if colour else [(tone, 45.0)]
    planes = []
    for level, angle in inks:
        coverage = 1.0 - level * np.float32(1 / 255)  # ink needed: 0 on white, 1 on full colour
        # Threshold 1 - coverage, widened by the edge ramp so paper (0) prints no ink and full
        # coverage (1) prints solid ink, rather than half-grey dot centres at either end.
        threshold = (1.0 + 0.5 / sharpness) - coverage * (1.0 + 1.0 / sharpness)
        ink = np.clip((_screen(h, w, float(cell), angle) - threshold) * sharpness + 0.5, 0.0, 1.0)
        planes.append(np.clip(255.0 * (1.0 - ink) + 0.5, 0, 255).astype(np.uint8))
    effect = cv2.merge(planes) if colour else cv2.cvtColor(planes[0], cv2.COLOR_GRAY2RGB)
    return blend(image, effect, strength)


EDITS = (pencil_sketch, cartoon, painterly, watercolour, neon, pixel_art, halftone)
