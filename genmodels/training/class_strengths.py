"""A labelled GAN's own class strength per class, chosen once after training.

Pushing a class's weights past the one-hot (sampling.class_weights) makes its pictures more clearly that
class, and what it costs differs from class to class: classes the model already draws apart (a face among
pictographs) lose their variety first, all seeds becoming one picture, while classes that overlap others
become more themselves with little loss. So each class gets the highest of CANDIDATES at which its draws
keep KEEP_SPREAD of the variety they have at strength 1, measured on the model's own draws (mean L1
distance between pairs at 32 px, as bench/conditional.py's spread). On the emoji bench it draws the
asked-for class far more often at nearly the same variety (README, "Labelled training").
"""
from __future__ import annotations

import dataclasses

import torch
import torch.nn.functional as F

from ..generation.sampling import class_weights, seed_latents
from ..models.gan import GANConfig

CANDIDATES = (1.0, 1.5, 2.0)  # past 2 a few classes gained and most lost variety or fidelity
KEEP_SPREAD = 0.9
DRAWS = 64  # seeds 0..63 for every class: enough for a stable spread, about a second for 7 classes
SPREAD_SIZE = 32  # px the spread is measured at: the layout, not the pixel noise


def spread(images: torch.Tensor) -> float:
    """Mean L1 distance between pairs of pictures (B, C, H, W) averaged down to SPREAD_SIZE px."""
    small = F.adaptive_avg_pool2d(images.float(), SPREAD_SIZE).flatten(1)
    return float(torch.pdist(small, p=1).mean()) / small.shape[1]


@torch.no_grad()
def own_class_strengths(net: torch.nn.Module, cfg: GANConfig, draws: int = DRAWS) -> tuple[float, ...]:
    """The strength per class (label order) for a labelled generator net (eval mode) of config cfg."""
    net = getattr(net, "base", net)  # a two-stage GAN's layout is its first stage's, at 32 px: a tenth of the cost
    device = next(net.parameters()).device
    z = seed_latents(range(draws), cfg.z_dim)
    chosen = []
    for k in range(cfg.n_classes):
        spreads = {s: spread(net(torch.cat([z, class_weights(cfg.n_classes, [k] * draws, s)], 1).to(device)))
                   for s in CANDIDATES}
        chosen.append(max(s for s in CANDIDATES if spreads[s] >= KEEP_SPREAD * spreads[CANDIDATES[0]]))
    return tuple(chosen)


def with_own_class_strengths(net: torch.nn.Module, cfg: GANConfig) -> GANConfig:
    """cfg with its class_strengths chosen for net; an unlabelled cfg as it is."""
    return dataclasses.replace(cfg, class_strengths=own_class_strengths(net, cfg)) if cfg.classes else cfg
