"""Fitting an image of any size into the model's square: centre crop or pad on white."""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageOps

FITS = ("crop", "pad")


def fit_square(image: np.ndarray, size: int, fit: str = "crop") -> np.ndarray:
    """uint8 (H, W, 3) -> uint8 (size, size, 3).

    fit: "crop" keeps the centre square (nothing squashed); "pad" keeps the whole picture on white.
    Big photos are first shrunk with a box filter (Image.reduce) to about 2x the target, then
    Lanczos does the last step: as sharp as Lanczos all the way, without its cost at 4000 px.
    """
    if fit not in FITS:
        raise ValueError(f"fit must be one of {FITS}, got {fit!r}")
    pil = Image.fromarray(image)
    factor = min(pil.size) // (2 * size)
    if factor >= 2:
        pil = pil.reduce(factor)
    if fit == "crop":
        out = ImageOps.fit(pil, (size, size), Image.LANCZOS)
    else:
        out = ImageOps.pad(pil, (size, size), Image.LANCZOS, color=(255, 255, 255))
    return np.asarray(out.convert("RGB"))
