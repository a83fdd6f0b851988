"""The one place where images cross between numpy uint8 (H, W, 3) RGB and model tensors.

Model tensors are float, (N, C, H, W), in [-1, 1], with C = 1 (grayscale) or 3 (RGB).
Every other module converts through these functions so the contract lives in one file.
"""
from __future__ import annotations

import numpy as np
import torch


def to_tensor(images: list[np.ndarray] | np.ndarray, channels: int) -> torch.Tensor:
    """uint8 images (N, H, W, 3) or a list of (H, W, 3) -> float tensor (N, C, H, W) in [-1, 1].

    channels: 3 keeps RGB, 1 converts to luma (ITU-R BT.601 weights, as Pillow's "L" mode does).
    """
    batch = np.stack(list(images)) if isinstance(images, list) else np.asarray(images)
    if batch.dtype != np.uint8 or batch.ndim != 4 or batch.shape[-1] != 3:
        raise ValueError(f"expected uint8 images shaped (N, H, W, 3), got {batch.dtype} {batch.shape}")
    x = torch.from_numpy(np.ascontiguousarray(batch)).permute(0, 3, 1, 2)  # (N, 3, H, W) uint8
    return uint8_to_float(rgb_to_channels(x, channels))


def rgb_to_channels(x: torch.Tensor, channels: int) -> torch.Tensor:
    """uint8 (N, 3, H, W) -> uint8 (N, channels, H, W)."""
    if channels == 3:
        return x
    if channels != 1:
        raise ValueError(f"channels must be 1 or 3, got {channels}")
    weights = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
    return (x.float() * weights).sum(1, keepdim=True).round().clamp(0, 255).to(torch.uint8)


def uint8_to_float(x: torch.Tensor) -> torch.Tensor:
    """uint8 (N, C, H, W) in 0..255 -> float32 in [-1, 1]."""
    return x.float().div(127.5).sub(1.0)


def to_uint8(x: torch.Tensor) -> torch.Tensor:
    """float (N, C, H, W) in [-1, 1] -> uint8 (N, 3, H, W); grayscale is repeated to RGB.

    Non-finite values become mid-grey rather than garbage so no NaN image is ever served.
    """
    x = torch.nan_to_num(x.detach().float(), nan=0.0, posinf=1.0, neginf=-1.0)
    x = ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x


def to_images(x: torch.Tensor) -> list[np.ndarray]:
    """float (N, C, H, W) in [-1, 1] -> list of uint8 (H, W, 3) RGB arrays."""
    return [img.permute(1, 2, 0).cpu().numpy().copy() for img in to_uint8(x)]
