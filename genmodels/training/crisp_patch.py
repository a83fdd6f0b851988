"""A texture model's own first patch side for crisp detail, chosen once after training.

Crisp detail (generation/texture_crisp.py) rebuilds a drawn texture from pieces of the model's swatches, the
largest pieces first. Which size of first piece comes closer to the picture depends on the picture: 64 px
pieces carry a marble vein, a run of wood grain or a stretch of twill's light and dark banding whole, while
cobbles' stones break where two 64 px pieces meet and 32 px pieces keep them round. So a model whose swatches
can give 64 px pieces (twice that side: a Large model's 128 px swatches) draws the same layouts with each
candidate and keeps the one whose crops come closer to crops of its training pictures (SWD, the measure of the
studio's quality check and bench/texture.py); other models keep 32. The seeds are not the bench's (0-127).
"""
from __future__ import annotations

import dataclasses

import torch

from ..evaluation.swd import swd
from ..evaluation.texture_quality import random_crops
from ..generation.texture import check_size, draw_texture
from ..generation.texture_crisp import crisp, fits
from ..models.texture import CRISP_PATCHES, TextureConfig
from ..storage.swatches import pick_swatches

SEEDS = range(1000, 1064)  # textures drawn per candidate: 12-14 s for both on two cores
SIZE = 256  # px each, or the model's size step if larger
CROPS = 256  # 64 px crops of the textures and of the pictures
SEED = 11  # of the crops and the SWD's directions
MIN_STEPS = 500  # shorter runs (a quick try, a test) keep 32: their layouts are still mostly noise, and the
# choice costs about as long as 120 training steps on a 2-core CPU


@torch.no_grad()
def own_crisp_patch(net: torch.nn.Module, cfg: TextureConfig, crops: torch.Tensor) -> int:
    """The first patch side (CRISP_PATCHES) for a texture generator net of config cfg trained on crops (uint8
    (n, 3, s, s), the training bank, whose first crops are the model's swatches)."""
    swatches = pick_swatches(crops)
    candidates = [p for p in CRISP_PATCHES if fits(swatches, p)]
    if len(candidates) < 2:
        return CRISP_PATCHES[0]
    size = check_size(cfg, max(SIZE, cfg.size_step))
    layouts = [draw_texture(net, cfg, seed, size, layout=True) for seed in SEEDS]
    pictures = list(crops.permute(0, 2, 3, 1).numpy())
    real = random_crops(pictures, CROPS, SEED)
    distance = {p: swd(real, random_crops([crisp(t, swatches, p) for t in layouts], CROPS, SEED + 1), seed=SEED)["mean"]
                for p in candidates}
    return min(candidates, key=distance.get)  # a tie keeps the smaller (the older folders' 32)


def with_own_crisp_patch(net: torch.nn.Module, cfg: TextureConfig, crops: torch.Tensor, steps: int) -> TextureConfig:
    """cfg with its crisp_patch chosen for net, trained for steps on its training crops; as it is for a short run."""
    return dataclasses.replace(cfg, crisp_patch=own_crisp_patch(net, cfg, crops)) if steps >= MIN_STEPS else cfg
