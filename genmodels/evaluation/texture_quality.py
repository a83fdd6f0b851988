"""How close a texture model's textures are to its source pictures.

SWD (swd.py) between 64 x 64 crops of generated textures and crops of the source pictures, beside the
floor: the same SWD between two independent sets of source crops. Textures are drawn at 256 px, larger
than any crop, so a crop also sees how the texture continues beyond one training window. (How well
they tile is postprocess.seam_score's job; bench/texture.py reports both.)
"""
from __future__ import annotations

import numpy as np
import torch

from ..generation.texture import draw_texture
from ..storage.store import LoadedModel
from .swd import swd

CROP = 64


def random_crops(images: list[np.ndarray], n: int, seed: int, size: int = CROP) -> np.ndarray:
    """n random size x size crops, uint8 (n, size, size, 3), spread evenly over the images."""
    gen = torch.Generator().manual_seed(seed)
    out = []
    for k in range(n):
        img = images[k % len(images)]
        y = int(torch.randint(img.shape[0] - size + 1, (1,), generator=gen))
        x = int(torch.randint(img.shape[1] - size + 1, (1,), generator=gen))
        out.append(img[y:y + size, x:x + size])
    return np.stack(out)


def texture_report(model: LoadedModel, real: np.ndarray, other_real: np.ndarray, textures: int = 16,
                   size: int = 256, seed: int = 0) -> dict:
    """{"swd": {"levels", "mean"}, "floor": {...}, "ratio": swd / floor, "textures": the drawn textures}
    for a texture model. real, other_real: two independent sets of CROP px crops of its pictures (uint8
    (n, CROP, CROP, 3), at the scale the model learnt them); the floor is SWD between them. Textures are
    seeds seed .. seed + textures - 1 at size px, cut into as many random crops as real has."""
    drawn = [draw_texture(model.network, model.config, seed + s, size) for s in range(textures)]
    floor = swd(real, other_real, seed=seed)
    fake = swd(real, random_crops(drawn, len(real), seed + 3), seed=seed)
    return {"swd": fake, "floor": floor, "ratio": fake["mean"] / floor["mean"], "textures": drawn}
