"""LeCam regularisation of a discriminator (Tseng et al. 2021, "Regularizing Generative Adversarial Networks
under Limited Data"): D's logits on real pictures are pulled towards the running mean of its logits on fakes,
and its logits on fakes towards the running mean on reals, so a discriminator that sees few pictures cannot
push the two far apart by memorising them. Hand-written: no maintained library ships it (the authors'
code is a TensorFlow / StyleGAN2 fork), and it is a few lines on top of the hinge loss.

The running means are buffers, so they ride in checkpoints (a resumed run repeats an unbroken one) and
distributed.average_buffers keeps them equal on every rank (an exponential average of per-rank means,
averaged over the ranks, is the exponential average of the global batch's means).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

DECAY = 0.99  # the reference implementation's


class LeCam(nn.Module):
    def __init__(self, weight: float, decay: float = DECAY):
        super().__init__()
        self.weight, self.decay = weight, decay
        self.register_buffer("real", torch.zeros(()))  # running mean of D's logits on reals (not debiased)
        self.register_buffer("fake", torch.zeros(()))
        self.register_buffer("updates", torch.zeros((), dtype=torch.long))

    def forward(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
        """Update the running means with this batch's logits, then -> the penalty (a scalar) to add to D's loss."""
        with torch.no_grad():
            self.real.lerp_(real_logits.detach().float().mean(), 1 - self.decay)
            self.fake.lerp_(fake_logits.detach().float().mean(), 1 - self.decay)
            self.updates += 1
            debias = 1 - self.decay ** float(self.updates)  # the means start at 0 (Adam's bias correction)
            real_mean, fake_mean = self.real / debias, self.fake / debias
        return self.weight * (F.relu(real_logits.float() - fake_mean).square().mean()
                              + F.relu(real_mean - fake_logits.float()).square().mean())
