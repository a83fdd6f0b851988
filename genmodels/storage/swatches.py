"""A texture model's swatches: crops of its training pictures kept beside the weights (swatches.safetensors),
so drawn textures can take crisp detail from them (generation/texture_crisp.py).

One uint8 tensor "swatches" (n, 3, s, s): the first crops of the training run's bank (already random and
seeded), at most MAX_SWATCHES and SWATCH_BYTES. They are pieces of the designer's pictures, so the model
card says so; deleting the file shares the model without them (it then draws without crisp detail).
"""
from __future__ import annotations

from pathlib import Path

import torch

from .safe_tensors_io import SafetensorsFileError, read_tensors, write_tensors_atomic

SWATCHES_FILE = "swatches.safetensors"

MAX_SWATCHES = 256
SWATCH_BYTES = 2 << 20  # 170 crops of 64 px, or 42 of 128 px
MIN_SIDE, MAX_SIDE = 16, 256  # px; crisp detail takes patches of 8 to 64 px, each from swatches twice its side


class SwatchesFileError(SafetensorsFileError):
    """A swatches file that cannot be used."""


def pick_swatches(crops: torch.Tensor) -> torch.Tensor:
    """The swatches to keep from a training bank of uint8 crops (n, 3, s, s): as many of the first as fit."""
    side = crops.shape[-1]
    count = max(1, min(MAX_SWATCHES, SWATCH_BYTES // (3 * side * side), len(crops)))
    return crops[:count].contiguous()


def save_swatches(folder: str | Path, crops: torch.Tensor) -> Path:
    """Write swatches.safetensors into a model folder (atomically) from a training bank of crops."""
    path = Path(folder) / SWATCHES_FILE
    write_tensors_atomic(path, {"swatches": pick_swatches(crops)})
    return path


def load_swatches(folder: str | Path) -> torch.Tensor | None:
    """The folder's swatches (uint8 (n, 3, s, s)), None if it has none. Raises SwatchesFileError for a file
    that is malformed or not swatches."""
    path = Path(folder) / SWATCHES_FILE
    if not path.is_file():
        return None
    tensors = read_tensors(path)
    swatches = tensors.get("swatches")
    if set(tensors) != {"swatches"} or swatches.dtype != torch.uint8 or swatches.ndim != 4:
        raise SwatchesFileError(f"{path.name} does not hold one uint8 tensor of swatches.")
    n, channels, h, w = swatches.shape
    if not (1 <= n <= MAX_SWATCHES and channels == 3 and h == w and MIN_SIDE <= h <= MAX_SIDE):
        raise SwatchesFileError(f"{path.name} holds swatches of shape {tuple(swatches.shape)}, not (1 to "
                                f"{MAX_SWATCHES}, 3, s, s) with s from {MIN_SIDE} to {MAX_SIDE} px.")
    return swatches
