"""The order a training run visits its pictures in, one epoch at a time."""
from __future__ import annotations

import torch


def epoch_order(n: int, gen: torch.Generator, labels: torch.Tensor | None = None) -> torch.Tensor:
    """The pictures one epoch visits, (n,) indices: a shuffle of all n, or for a labelled GAN n draws in
    which every class is equally likely (with replacement), so a class of 50 pictures trains as often as
    one of 600 and "one of each class" draws the small classes as well as the big ones."""
    if labels is None:
        return torch.randperm(n, generator=gen)
    labels = labels.cpu()
    weight = (1.0 / torch.bincount(labels).float())[labels]
    return torch.multinomial(weight, n, replacement=True, generator=gen)
