"""Picture -> latent: find the z whose image best matches a picture ("Find in model").

GANs have no encoder, so we search (GAN inversion by optimisation, Zhu et al. 2016; Creswell &
Bharath 2018): screen many seeded random latents by a quick pixel loss, optimise the best few with
Adam on z (the network's weights are never touched), then polish the winner. A VAE starts from its
encoder's mean and, optionally, gets the same polish (the encoder is amortised, so the optimum for one
picture is usually a little better than its guess).

Loss per image, pictures in [-1, 1] (B, C, S, S):
  L = MSE(G(z), x)                                       pixel colours
    + Lap1(G(z), x)                                      structure: Bojanowski et al. 2018, sec. 3.3,
        sum over Laplacian-pyramid levels j of mean |L_j(G(z)) - L_j(x)| (edges at every scale weigh
        alike, so a blurry match is not a cheap minimum as it is for pixel losses alone)
    + w * (|z|^2 / z_dim - 1)^2                          keeps z on the shell where prior samples
        live, so the found latent blends, varies and moves along directions like a drawn one.
No perceptual network (LPIPS) is needed: nothing is downloaded.

Quality: SSIM (Wang et al. 2004; 11x11 Gaussian window, sigma 1.5) of the result against the picture,
shown as a percentage, and PSNR in dB. Every random draw comes from one seed: same picture, same
seed, same answer.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch

from ..generation.sampling import class_weights
from ..imaging.pyramid import lap1
from ..imaging.ssim import ssim
from ..imaging.tensors import to_images, to_tensor
from ..storage.store import LoadedModel

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class InvertSettings:
    """The search schedule. About 3 s for a 64 px DCGAN on 2 CPU threads (5 s on one), ~1 s at 32 px tiny."""

    candidates: int = 128  # seeded random latents screened by pixel loss (GANs)
    starts: int = 4  # the best candidates optimised side by side (independent: Adam is per element)
    steps: int = 60  # Adam steps for every start
    polish_steps: int = 140  # further steps for the best start (VAEs: the only stage, from the encoder)
    lr: float = 0.1  # Adam step size, decayed to 0 on a cosine
    shell_weight: float = 0.05  # weight of the |z|^2 / z_dim = 1 term
    levels: int = 4  # Laplacian pyramid levels (64 px: 64, 32, 16, 8 + the low-pass residual)
    # torch threads while searching (None = leave as is; the bench sets it to compare 1 and 2). Not
    # pinned by default: torch's thread count is process-wide, so pinning it in a server would also
    # slow whatever else runs at the time, and overlapping searches could restore the wrong value.
    threads: int | None = None


@dataclass
class InvertResult:
    latent: torch.Tensor  # (z_dim,)
    image: np.ndarray  # uint8 (S, S, 3): G(latent)
    ssim: float  # -1..1, 1 = identical
    psnr: float  # dB
    loss: float

    @property
    def score(self) -> float:
        """Similarity as a percentage, 0..100 (SSIM clipped at 0)."""
        return round(100.0 * max(0.0, self.ssim), 1)


# ---- losses and quality -------------------------------------------------------------------------

def image_loss(fake: torch.Tensor, target: torch.Tensor, levels: int) -> torch.Tensor:
    """(B,) = MSE + Lap1 of fake (B, C, S, S) against target (1 or B, C, S, S)."""
    target = target.expand_as(fake)
    return (fake - target).square().flatten(1).mean(1) + lap1(fake, target, levels)


def shell_penalty(z: torch.Tensor) -> torch.Tensor:
    """(B,) = (|z|^2 / z_dim - 1)^2: zero on the shell where N(0, I) samples concentrate."""
    return (z.square().mean(1) - 1.0).square()


def psnr(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Peak signal-to-noise ratio in dB per image (B,), inputs in [-1, 1] (peak-to-peak 2)."""
    mse = (a - b.expand_as(a)).square().flatten(1).mean(1).clamp_min(1e-10)
    return 10 * torch.log10(4.0 / mse)


# ---- the search ---------------------------------------------------------------------------------

def _adam(network: torch.nn.Module, z0: torch.Tensor, target: torch.Tensor, steps: int, s: InvertSettings,
          shell_weight: float, progress: Progress | None, done: float, share: float,
          label: str, tail: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Adam on z only; returns (z (B, z_dim), final loss (B,)). Every row is its own problem.
    tail: class weights at the end of z (a labelled GAN's), held where they start."""
    z = z0.clone().requires_grad_(True)
    opt = torch.optim.Adam([z], lr=s.lr)
    every = max(1, steps // 20)
    for step in range(steps):
        for group in opt.param_groups:  # cosine decay: big moves first, a careful finish
            group["lr"] = s.lr * 0.5 * (1 + math.cos(math.pi * step / steps))
        loss = image_loss(network(z), target, s.levels) + shell_weight * shell_penalty(z)  # (B,)
        # Gradients for z only: autograd skips the weights' gradients, and the model is never changed.
        (grad,) = torch.autograd.grad(loss.sum(), [z])
        if tail:
            grad[:, -tail:] = 0
        z.grad = grad
        opt.step()
        if progress is not None and (step + 1) % every == 0:
            progress(done + share * (step + 1) / steps, f"{label}: step {step + 1} of {steps}")
    with torch.no_grad():
        final = image_loss(network(z), target, s.levels) + shell_weight * shell_penalty(z)
    return z.detach(), final


@contextmanager
def _torch_threads(n: int | None) -> Iterator[None]:
    if n is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def invert(model: LoadedModel, image: np.ndarray, seed: int = 0, settings: InvertSettings | None = None,
           refine: bool = True, progress: Progress | None = None) -> InvertResult:
    """The latent whose image best matches image (uint8 (S, S, 3) at the model's size).

    GAN: screen settings.candidates seeded latents, optimise the best settings.starts, polish the
    winner. VAE: the encoder's mean, polished by the same optimisation when refine is True.
    progress(fraction 0..1, message) is called along the way."""
    s = settings or InvertSettings()
    size = model.config.image_size
    if image.dtype != np.uint8 or image.shape != (size, size, 3):
        raise ValueError(f"expected a uint8 ({size}, {size}, 3) image, got {image.dtype} {image.shape}")
    with _torch_threads(s.threads):
        return _search(model, image, seed, s, refine, progress)


def _search(model: LoadedModel, image: np.ndarray, seed: int, s: InvertSettings, refine: bool,
            progress: Progress | None) -> InvertResult:
    network = model.network.eval()
    device = model.device
    target = to_tensor([image], model.config.channels).to(device)  # (1, C, S, S)
    report = progress or (lambda fraction, message: None)
    if model.kind == "vae":
        report(0.0, "Reading the picture with the encoder")
        with torch.no_grad():
            z, _ = network.encode(target)  # (1, z_dim)
            start = image_loss(network(z), target, s.levels)
        if refine and s.polish_steps:
            # No shell term: encoder means sit inside the shell by design (posterior shrinkage), and
            # the polish may only ever improve on the encoder's answer.
            polished, loss = _adam(network, z, target, s.polish_steps, s, 0.0, progress, 0.05, 0.95, "Polishing")
            z = polished if float(loss[0]) < float(start[0]) else z
    else:
        report(0.0, "Trying random starting points")
        generator = torch.Generator().manual_seed(int(seed))
        pool = torch.randn(s.candidates, model.z_dim, generator=generator)  # (candidates, z_dim)
        tail = model.class_tail
        if tail:  # a labelled GAN: candidates of every class, as it draws them; the search keeps each one's class
            labels = torch.randint(tail, (s.candidates,), generator=generator).tolist()
            pool = torch.cat([pool, class_weights(tail, labels, 1.0, model.class_strengths)], 1)
        pool = pool.to(device)
        with torch.no_grad():
            quick = torch.cat([(network(c) - target).square().flatten(1).mean(1) for c in pool.split(32)])
        best = quick.argsort()[: s.starts]  # argsort is stable: ties keep the seeded order
        report(0.1, f"Refining the best {len(best)} starting points")
        z, final = _adam(network, pool[best], target, s.steps, s, s.shell_weight, progress, 0.1, 0.45, "Searching",
                         tail)
        z = z[final.argmin()].unsqueeze(0)
        if s.polish_steps:
            z, _ = _adam(network, z, target, s.polish_steps, s, s.shell_weight, progress, 0.55, 0.45, "Polishing",
                         tail)
    with torch.no_grad():
        found = to_images(network(z))[0]  # what the user will see, uint8
        shown = to_tensor([found], model.config.channels).to(device)  # scored as shown, after rounding
        loss = float(image_loss(shown, target, s.levels)[0])
        quality_ssim = float(ssim((shown + 1) / 2, (target.expand_as(shown) + 1) / 2)[0])
        quality_psnr = float(psnr(shown, target)[0])
    report(1.0, "Done")
    return InvertResult(z[0].cpu().clone(), found, quality_ssim, quality_psnr, loss)
