"""The detail stage of a two-stage VAE's or GAN's run, or of a two-scale texture model's (models/detail.py,
models/texture_detail.py): its critic and optimisers, the step it began at, its steps and the average it
draws with. The loop (loop.py) owns one DetailStage per two-stage model and hands it every step from
`start_at` of the run on.

A two-stage VAE spends the first 30 % of its run on the first stage (VAE_DETAIL_FROM), a two-stage GAN or
texture model the share its recipe names (recipes.py); the rest goes to the detail stage, which takes up
to 16 pictures per step (small batches: more, cheaper steps) at Adam 2e-4 / (0.5, 0.99), pix2pix's
settings, and draws with an average of the detail network whose half-life is 2,000 pictures (README
"Quality" has how these were chosen).
"""
from __future__ import annotations

import torch
from torch import nn

from ..models.detail import DetailCritic
from . import distributed as dist
from .steps import BaseOf, detail_step, ema_update

VAE_DETAIL_FROM = 0.3
DETAIL_BATCH = 16
DETAIL_LR = 2e-4
DETAIL_BETAS = (0.5, 0.99)
DETAIL_EMA_IMAGES = 2000


class DetailStage:
    """net: the two-stage network (a VAE or a TwoStageGenerator: .cfg.channels, .detail); base_of: what the
    detail network learns to enlarge (steps.vae_reconstruction / steps.averaged_down); start_at: the
    fraction of the run where this stage takes over. first_stage_from_average: a GAN draws with its
    generator average, so the first stage is frozen at the average when this stage begins (a VAE trains
    without one and keeps its own weights)."""

    def __init__(self, net: nn.Module, base_of: BaseOf, start_at: float, seed: int, device: torch.device,
                 memory_format: torch.memory_format, first_stage_from_average: bool = False):
        self.net, self.base_of, self.start_at = net, base_of, start_at
        self.first_stage_from_average = first_stage_from_average
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed + 1)
            self.critic = DetailCritic(net.cfg.channels).to(device, memory_format=memory_format).train()
        self.optimizers = {"detail": torch.optim.Adam(net.detail.parameters(), lr=DETAIL_LR, betas=DETAIL_BETAS),
                           "critic": torch.optim.Adam(self.critic.parameters(), lr=DETAIL_LR, betas=DETAIL_BETAS)}
        self.upsampler_step, self.critic_step = dist.wrap(net.detail), dist.wrap(self.critic)
        self.start: int | None = None  # the step the stage began (saved in checkpoints; it never goes back)

    def active(self, progress: float) -> bool:
        return self.start is not None or progress >= self.start_at

    def step(self, step: int, real: torch.Tensor, gen: torch.Generator, ema: nn.Module, precision: str,
             device: torch.device) -> tuple[dict[str, torch.Tensor], int]:
        """One detail step on this rank's shard real; returns (losses, pictures learned from by all ranks)."""
        if self.start is None:
            self.start = step
            if self.first_stage_from_average:
                self.net.load_state_dict(ema.state_dict())
            ema.load_state_dict(self.net.state_dict())  # the average starts from the finished first stage
        self.net.eval()  # the first stage is done: its BatchNorm keeps the statistics it learned
        world = dist.world_size()
        real = real[:max(1, DETAIL_BATCH // world)]
        losses = detail_step(self.base_of, self.upsampler_step, self.critic_step, self.critic,
                             self.optimizers["detail"], self.optimizers["critic"], real, gen, precision, device,
                             margin=self.net.detail.margin)
        dist.average_buffers([self.critic])
        images = len(real) * world
        ema_update(ema, self.net, 0.5 ** (images / DETAIL_EMA_IMAGES))
        return losses, images

    def full_batches(self, step: int, batch: int) -> float:
        """Steps counted in whole batches: each detail step learns from DETAIL_BATCH of its batch."""
        if self.start is None:
            return float(step)
        return self.start + (step - self.start) * min(batch, DETAIL_BATCH) / batch
