"""Laplacian-pyramid L1 (Lap1, Bojanowski et al. 2018, "Optimizing the Latent Space of Generative
Networks"): an image distance that weighs edges and fine detail as much as flat colour, so a model
trained or an inversion fitted with it comes out sharper than with squared error alone.

This pyramid (2x2 average down, bilinear up) is the cheap differentiable one for losses; SWD keeps its
own cv2-exact binomial pyramid (swd.py), since the metric must match Karras et al.'s definition.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def laplacian_pyramid(x: torch.Tensor, levels: int) -> list[torch.Tensor]:
    """(B, C, H, W) -> band-pass levels, finest first, then the low-pass residual (levels in all, fewer
    when the image runs out of pixels)."""
    bands = []
    for _ in range(levels - 1):
        if min(x.shape[-2:]) < 2:
            break
        low = F.avg_pool2d(x, 2)  # (B, C, H/2, W/2)
        bands.append(x - F.interpolate(low, scale_factor=2, mode="bilinear", align_corners=False))
        x = low
    return bands + [x]


def lap1(a: torch.Tensor, b: torch.Tensor, levels: int) -> torch.Tensor:
    """Per-image Lap1 (B,): the sum over levels of each level's mean absolute difference. Since level j
    has 4^j times fewer pixels, a coarse pixel weighs as much as the 4^j fine ones it covers."""
    return sum((pa - pb).abs().flatten(1).mean(1) for pa, pb in zip(laplacian_pyramid(a, levels),
                                                                    laplacian_pyramid(b, levels)))
