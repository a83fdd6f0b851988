"""The detail stage of a two-stage VAE's run (models/detail.py): its critic and optimisers, the step it
began at, its steps and the average it draws with. The loop (loop.py) owns one DetailStage per
two-stage VAE and hands it every step from DETAIL_FROM of the run on.

A two-stage VAE spends the first 30 % of its run on the first stage, the rest on the detail stage, which
takes 16 pictures per step (small batches: more, cheaper steps) at Adam 2e-4 / (0.5, 0.99), pix2pix's
settings, and draws with an average of the detail network whose half-life is 2,000 pictures (README
"Quality" has how these were chosen).
"""
from __future__ import annotations

import torch
from torch import nn

from ..models.detail import DetailCritic
from ..models.vae import VAE
from . import distributed as dist
from .steps import detail_step, ema_update

DETAIL_FROM = 0.3
DETAIL_BATCH = 16
DETAIL_LR = 2e-4
DETAIL_BETAS = (0.5, 0.99)
DETAIL_EMA_IMAGES = 2000


class DetailStage:
    def __init__(self, net: VAE, seed: int, device: torch.device, memory_format: torch.memory_format):
        self.net = net
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed + 1)
            self.critic = DetailCritic(net.cfg.channels).to(device, memory_format=memory_format).train()
        self.optimizers = {"detail": torch.optim.Adam(net.detail.parameters(), lr=DETAIL_LR, betas=DETAIL_BETAS),
                           "critic": torch.optim.Adam(self.critic.parameters(), lr=DETAIL_LR, betas=DETAIL_BETAS)}
        self.upsampler_step, self.critic_step = dist.wrap(net.detail), dist.wrap(self.critic)
        self.start: int | None = None  # the step the stage began (saved in checkpoints; it never goes back)

    def active(self, progress: float) -> bool:
        return self.start is not None or progress >= DETAIL_FROM

    def step(self, step: int, real: torch.Tensor, gen: torch.Generator, ema: nn.Module, precision: str,
             device: torch.device) -> tuple[dict[str, torch.Tensor], int]:
        """One detail step on this rank's shard real; returns (losses, pictures learned from by all ranks)."""
        if self.start is None:
            self.start = step
            ema.load_state_dict(self.net.state_dict())  # the average starts from the finished first stage
        self.net.eval()  # the first stage is done: its BatchNorm keeps the statistics it learned
        world = dist.world_size()
        real = real[:max(1, DETAIL_BATCH // world)]
        losses = detail_step(self.net, self.upsampler_step, self.critic_step, self.critic,
                             self.optimizers["detail"], self.optimizers["critic"], real, gen, precision, device)
        dist.average_buffers([self.critic])
        images = len(real) * world
        ema_update(ema, self.net, 0.5 ** (images / DETAIL_EMA_IMAGES))
        return losses, images

    def full_batches(self, step: int, batch: int) -> float:
        """Steps counted in whole batches: each detail step learns from DETAIL_BATCH of its batch."""
        if self.start is None:
            return float(step)
        return self.start + (step - self.start) * min(batch, DETAIL_BATCH) / batch
