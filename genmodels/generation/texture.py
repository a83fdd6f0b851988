"""Drawing from texture models (models/texture.py): seeds -> noise grids -> seamless textures, and morphs.

A seed fixes a texture's global code and its local noise. The local noise is read from one fixed
MAX_CELLS x MAX_CELLS field per seed and cropped to the canvas, so a seed drawn at 512 px and at
1024 px is the same material with the same top-left layout; only the wrap-around differs. Every
texture of size S tiles with period S (circular padding throughout the generator).
"""
from __future__ import annotations

import numpy as np
import torch

from ..imaging.tensors import to_images
from ..models.texture import SHIFT_DIM, TextureConfig
from ..models.texture_detail import TwoScaleTexture
from .sampling import grid
from .texture_crisp import crisp

MIN_SIZE, MAX_SIZE = 64, 2048  # texture sides in px
MORPH_MARGIN = 4  # cells drawn beyond each end of a morph strip and cut off: they hide its wrap-around


def max_cells(cfg: TextureConfig) -> int:
    return MAX_SIZE // cfg.stride


def check_size(cfg: TextureConfig, size: int, what: str = "Texture size") -> int:
    """size in px, MIN_SIZE..MAX_SIZE and a multiple of the network's size step (a cell, or with waves
    their period); returns it as an int."""
    step = cfg.size_step
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or not (
            max(MIN_SIZE, step) <= size <= MAX_SIZE and size % step == 0):
        raise ValueError(f"{what} must be a multiple of {step} px from {max(MIN_SIZE, step)} to {MAX_SIZE} "
                         f"(e.g. 512 or 1024), got {size!r}.")
    return int(size)


def seed_noise(cfg: TextureConfig, seed: int, cells_h: int, cells_w: int) -> torch.Tensor:
    """The noise grid (1, z_dim, cells_h, cells_w) of one seed: its global code in every cell beside its
    local noise field's top-left corner. A pure function of the seed (the global RNG is untouched)."""
    n = max_cells(cfg)
    if not (1 <= cells_h <= n and 1 <= cells_w <= n + 2 * MORPH_MARGIN):
        raise ValueError(f"a texture grid is at most {n} cells a side")
    gen = torch.Generator().manual_seed(int(seed))
    code = torch.randn(cfg.global_dim, 1, 1, generator=gen)
    field = torch.randn(cfg.local_dim, n, n + 2 * MORPH_MARGIN, generator=gen)
    parts = [code.expand(-1, cells_h, cells_w), field[:, :cells_h, :cells_w]]
    if cfg.waves:  # drawn last, so the code and the field are the same as for a model without waves
        parts.append(torch.rand(SHIFT_DIM, 1, 1, generator=gen).expand(-1, cells_h, cells_w))
    return torch.cat(parts)[None]


@torch.inference_mode()
def render(network: torch.nn.Module, noise: torch.Tensor, layout: bool = False) -> np.ndarray:
    """A noise grid (1, z_dim, h, w) -> uint8 (h * stride, w * stride, 3). layout: a two-scale model's texture
    without its detail network (TwoScaleTexture.layout); a one-scale model has nothing to leave out."""
    network.eval()
    device = next(network.parameters()).device
    draw = network.layout if layout and isinstance(network, TwoScaleTexture) else network
    return to_images(draw(noise.to(device)))[0]


def draw_texture(network: torch.nn.Module, cfg: TextureConfig, seed: int, size: int, layout: bool = False
                 ) -> np.ndarray:
    """The seamless texture of one seed: uint8 (size, size, 3); it tiles with period size. layout: what crisp
    detail starts from (render's layout), the same texture with soft detail."""
    cells = check_size(cfg, size) // cfg.stride
    return render(network, seed_noise(cfg, seed, cells, cells), layout)


def _ramp(cells: int) -> torch.Tensor:
    """0 -> 1 across a strip's inner cells (smoothstep), flat beyond: (cells + 2 * MORPH_MARGIN,)."""
    x = (torch.arange(cells + 2 * MORPH_MARGIN, dtype=torch.float32) - MORPH_MARGIN + 0.5) / cells
    x = x.clamp(0, 1)
    return x * x * (3 - 2 * x)


def morph_strip(network: torch.nn.Module, cfg: TextureConfig, seed_a: int, seed_b: int, width: int,
                height: int, swatches: torch.Tensor | None = None) -> np.ndarray:
    """A strip (height, width, 3) that turns seed_a's texture into seed_b's from left to right: the global
    code is blended across the canvas over seed_a's local noise. It tiles vertically; its ends do not
    wrap into each other (MORPH_MARGIN cells are drawn past each end and cut off). swatches: crisp detail
    (texture_crisp.py) from them, rebuilt from the strip's layout before the margins are cut off, so that
    the rebuild's own wrap-around (its patches reach half a patch across the ends) falls in them."""
    check_size(cfg, width, "Strip width")
    check_size(cfg, height, "Strip height")
    cells_h, cells_w = height // cfg.stride, width // cfg.stride
    a = seed_noise(cfg, seed_a, cells_h, cells_w + 2 * MORPH_MARGIN)
    b = seed_noise(cfg, seed_b, 1, 1)
    t = _ramp(cells_w)  # (cells_w + 2m,)
    code = a[:, :cfg.global_dim] * (1 - t) + b[:, :cfg.global_dim] * t  # (1, G, h, w + 2m) by broadcasting
    picture = render(network, torch.cat([code, a[:, cfg.global_dim:]], 1), layout=swatches is not None)
    if swatches is not None:
        picture = crisp(picture, swatches, cfg.crisp_patch)
    margin = MORPH_MARGIN * cfg.stride
    return np.ascontiguousarray(picture[:, margin:margin + width])


def texture_grid(network: torch.nn.Module, cfg: TextureConfig, seeds=range(4), size: int | None = None
                 ) -> np.ndarray:
    """Textures of a few seeds side by side (uint8 grid): a model's preview and its card's samples."""
    size = size or max(MIN_SIZE, 2 * cfg.crop_size, cfg.size_step)
    return grid([draw_texture(network, cfg, s, size) for s in seeds])


def tile(image: np.ndarray, times: int = 3) -> np.ndarray:
    """The picture repeated times x times: a tiled preview that shows whether its seams are visible."""
    return np.tile(image, (times, times, 1))
