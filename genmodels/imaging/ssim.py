"""Structural similarity (SSIM, Wang et al. 2004, eq. 13), the one used by the originality check and by
"Find in model"'s score: Gaussian window 11 x 11 with sigma 1.5, C1 = 0.01^2 and C2 = 0.03^2 on a data
range of 1, per channel, over the valid region (no padding), averaged per image.

The window is applied as a matrix product (M @ x @ M.T) rather than a depthwise convolution, which
is slow on a CPU for the originality check's thousands of comparisons. Hand-written because neither
torchvision nor OpenCV ships a batched torch SSIM.
"""
from __future__ import annotations

from functools import lru_cache

import torch

WINDOW, SIGMA = 11, 1.5
_C1, _C2 = 0.01**2, 0.03**2


def gaussian_kernel(sigma: float, size: int) -> torch.Tensor:
    """A normalised 1-D Gaussian of `size` taps, float32."""
    x = torch.arange(size, dtype=torch.float32) - (size - 1) / 2
    k = torch.exp(-x**2 / (2 * sigma**2))
    return k / k.sum()


def filter_matrix(kernel: torch.Tensor, size: int, pad: bool) -> torch.Tensor:
    """The 1-D filter as a matrix M, so that M @ x @ M.T filters x (..., size, size) separably. pad=True
    keeps the size with the edges repeated; pad=False keeps the valid region, (size - len(kernel) + 1)
    pixels."""
    r, out = len(kernel) // 2, size if pad else size - len(kernel) + 1
    m = torch.zeros(out, size)
    for i in range(out):
        for j, w in enumerate(kernel.tolist()):
            src = i + j - r if pad else i + j
            m[i, min(max(src, 0), size - 1)] += w
    return m


@lru_cache(maxsize=8)
def _window(size: int) -> torch.Tensor:
    return filter_matrix(gaussian_kernel(SIGMA, WINDOW), size, pad=False)


def ssim(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Mean SSIM of square image pairs a, b (N, C, S, S) in 0..1, S >= 11 -> (N,); 1 = identical."""
    if a.shape[-1] != a.shape[-2] or a.shape[-1] < WINDOW:
        raise ValueError(f"ssim needs square images of at least {WINDOW} px, got {tuple(a.shape[-2:])}")
    m = _window(a.shape[-1]).to(a.device, a.dtype)

    def local_mean(x: torch.Tensor) -> torch.Tensor:  # Gaussian-weighted, valid region
        return m @ x @ m.T

    mu_a, mu_b = local_mean(a), local_mean(b)
    var_a = local_mean(a * a) - mu_a**2
    var_b = local_mean(b * b) - mu_b**2
    cov = local_mean(a * b) - mu_a * mu_b
    num = (2 * mu_a * mu_b + _C1) * (2 * cov + _C2)
    den = (mu_a**2 + mu_b**2 + _C1) * (var_a + var_b + _C2)
    return (num / den).mean(dim=(1, 2, 3))
