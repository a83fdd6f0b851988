"""What a dataset looks like to the model, as one picture each: the pictures as the model sees them, with
augmentation, and a labelled set's pictures one row per class. uint8 (H, W, 3) grids on white."""
from __future__ import annotations

import math

import numpy as np
import torch
from torchvision.utils import make_grid

from ..imaging.augment import AugmentConfig, diff_augment
from ..imaging.tensors import to_uint8
from .dataset import Dataset


def _grid(images: torch.Tensor) -> np.ndarray:
    """uint8 (N, 1 or 3, H, W) -> uint8 (H', W', 3) grid on white, about square."""
    if images.shape[1] == 1:
        images = images.expand(-1, 3, -1, -1)  # grey shown as grey
    nrow = math.ceil(math.sqrt(images.shape[0]))
    grid = make_grid(images, nrow=nrow, padding=2, pad_value=255)  # (3, H', W')
    return grid.permute(1, 2, 0).contiguous().numpy()


def preview_grid(dataset: Dataset, n: int = 32) -> np.ndarray:
    """The first n images as the model sees them (size, crop, grey), as one uint8 (H, W, 3) grid."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    return _grid(dataset.images[:n])


def augmented_preview(dataset: Dataset, n: int = 16, seed: int = 0,
                      config: AugmentConfig = AugmentConfig(), policy: str = "") -> np.ndarray:
    """n augmented images (cycling through the dataset) as one uint8 (H, W, 3) grid; same seed, same grid.

    config: the augment_batch settings; policy: optional DiffAugment policy applied after it, to show
    what the discriminator sees ("color,translation,cutout").
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    generator = torch.Generator().manual_seed(seed)
    x = dataset.batch(torch.arange(n) % len(dataset))  # (n, C, S, S) in [-1, 1]
    x = config.apply(x, generator)
    if policy:
        x = diff_augment(x, policy, generator)
    return _grid(to_uint8(x))


def class_preview(images: torch.Tensor, labels: torch.Tensor, classes: tuple[str, ...], per_class: int = 8
                  ) -> np.ndarray:
    """One row per class: its first per_class pictures (uint8 (N, C, S, S)), blank cells where a class
    has fewer, as one uint8 (H, W, 3) grid on white. Row order = class order."""
    if not classes:
        raise ValueError("this dataset has no classes")
    size = images.shape[-1]
    rows = []
    for k in range(len(classes)):
        picks = images[labels == k][:per_class]
        if picks.shape[1] == 1:
            picks = picks.expand(-1, 3, -1, -1)
        blank = torch.full((per_class - len(picks), 3, size, size), 255, dtype=torch.uint8)
        rows.append(torch.cat([picks, blank]))
    grid = make_grid(torch.cat(rows), nrow=per_class, padding=2, pad_value=255)  # (3, H, W)
    return grid.permute(1, 2, 0).contiguous().numpy()
