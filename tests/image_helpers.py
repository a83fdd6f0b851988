"""A synthetic test picture for the edit tests (tests/test_postprocess_*.py)."""
from __future__ import annotations

import numpy as np


def synthetic(h: int = 64, w: int = 64, seed: int = 0) -> np.ndarray:
    """Gradients, a disc, a bar and noise: every level and some edges. uint8 (h, w, 3)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    image = np.stack([255 * x / max(w - 1, 1), 255 * y / max(h - 1, 1), 128 + 100 * np.sin(x / 5.0)], -1)
    image[(x - w / 2) ** 2 + (y - h / 2) ** 2 < (min(h, w) / 4) ** 2] = (230, 40, 60)
    image[: max(1, h // 8), :] = (20, 20, 30)
    image += rng.normal(0, 6, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8)
