"""One optimisation step of each model: d_step and g_step for GANs, vae_step for VAEs, detail_step for the
second stage of a two-stage VAE or GAN, plus the EMA.

Every random number a step needs comes from the torch.Generator it is handed, which the trainer
seeds from (run seed, step): so a step is a pure function of the state and the step number, and a
resumed run repeats exactly what an unbroken run would have done.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..imaging.augment import LOW_DATA_POLICY, diff_augment
from ..models.detail import L1_WEIGHT
from ..models.fastgan import reconstruction_loss
from ..models.gan import d_loss, g_loss
from ..models.vae import VAE, vae_loss
from .precision import autocast


@dataclass
class GANRecipe:
    """What a GAN step needs to know: the recipe's loss and regularisers, and where it runs."""

    loss: str  # "bce" (seed article), "hinge" or "rpgan"
    diff_augment: bool
    precision: str
    device: torch.device
    reconstruction: bool = False  # FastGAN's self-supervised discriminator
    r_gamma: float = 0.0  # R1 + R2 weight, 0 = off
    r_every: int = 16
    augment_policy: str = LOW_DATA_POLICY  # DiffAugment's (Zhao et al. 2020), when diff_augment is on
    lecam: nn.Module | None = None  # LeCam regularisation of D (training/lecam.py), None = off


def _augment(x: torch.Tensor, gen: torch.Generator, r: GANRecipe) -> torch.Tensor:
    return diff_augment(x, r.augment_policy, gen) if r.diff_augment else x


CLASS_WEIGHT = 1.0  # the twin classifiers' cross-entropies beside the GAN loss (AC-GAN's and TAC-GAN's equal weight)


def _judge(D: nn.Module, x: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
    """D's logits for x; a labelled model's D also reads the class weights y (B, K) (projection D)."""
    return D(x) if y is None else D(x, y)


def _cross_entropy(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits.float(), y.argmax(1))


def _d_class_loss(real_classes: torch.Tensor, fake_classes: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """A labelled D's classifiers: `classify` learns the real pictures' classes y (B, K), `classify_fakes`
    the classes the fakes were drawn for (the same y)."""
    return CLASS_WEIGHT * (_cross_entropy(real_classes, y) + _cross_entropy(fake_classes, y))


def _g_class_loss(classes: torch.Tensor, fake_classes: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """G's class term (TAC-GAN): be recognised as y by the real-trained classifier, and not by the one
    that learns G's own pictures."""
    return CLASS_WEIGHT * (_cross_entropy(classes, y) - _cross_entropy(fake_classes, y))


def d_step(G: nn.Module, D: nn.Module, opt_d: torch.optim.Optimizer, real: torch.Tensor, z: torch.Tensor,
           gen: torch.Generator, r: GANRecipe, step: int = 0, half_only: bool = False,
           y: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Update D on a real batch (B, C, S, S) and G(z); returns (loss_d, fake, real_in): fake (B, C, S, S)
    kept with its graph so g_step reuses it instead of running G twice, as pytorch/examples does, and
    real_in the batch D saw (halved and augmented), which the rpgan g_step compares against.
    half_only: the first phase of the resolution schedule, where G draws and D judges at half size.
    y: a labelled model's class weights (B, K) of the real batch; z carries the same ones for the fakes."""
    y2 = None if y is None else torch.cat([y, y])
    with autocast(r.precision, r.device):
        fake = G(z, half_only=True) if half_only else G(z)
        if half_only:
            real = F.avg_pool2d(real, 2)  # (B, C, S/2, S/2)
        real_in, fake_in = _augment(real, gen, r), _augment(fake.detach(), gen, r)  # same policy on both
        aux = None  # a term D adds to its loss: FastGAN's reconstruction, or a labelled D's class loss
        if r.loss == "bce":
            # The seed article runs D on the real and the fake batch separately: BatchNorm statistics
            # are then per batch, which is part of how the classic DCGAN trains.
            if y is None:
                real_logits, fake_logits = D(real_in), D(fake_in)
            else:  # labelled: the twin classifiers learn the classes of the real and of the fake pictures
                (real_logits, real_classes, _), (fake_logits, _, fake_classes) = (
                    D(real_in, y, with_classes=True), D(fake_in, y, with_classes=True))
                aux = _d_class_loss(real_classes, fake_classes, y)
        elif r.reconstruction:
            logits, feats = D(torch.cat([real_in, fake_in]), with_features=True)
            real_logits, fake_logits = logits.float().chunk(2)
            n = real_in.shape[0]
            quarter = int(torch.randint(4, (1,), generator=gen))
            aux = reconstruction_loss(D.module if hasattr(D, "module") else D,
                                      {k: v[:n] for k, v in feats.items()}, real_in, quarter)
        elif y is not None:  # labelled: one classifier learns from the real half, its twin from the fake half
            logits, classes, fake_classes = D(torch.cat([real_in, fake_in]), y2, with_classes=True)
            real_logits, fake_logits = logits.float().chunk(2)
            n = real_in.shape[0]
            aux = _d_class_loss(classes[:n], fake_classes[n:], y)
        else:  # spectral norm, no BatchNorm: one forward pass over both halves is the same maths, faster
            real_logits, fake_logits = D(torch.cat([real_in, fake_in])).float().chunk(2)
        loss = d_loss(real_logits.float(), fake_logits.float(), r.loss)
        total = loss if aux is None else loss + aux
        if r.lecam is not None:
            total = total + r.lecam(real_logits, fake_logits)
    if r.r_gamma and step % r.r_every == 0:
        total = total + r.r_every * gradient_penalty(D, real_in.detach(), fake_in.detach(), r.r_gamma, y2)
    opt_d.zero_grad(set_to_none=True)
    total.backward()
    opt_d.step()
    return loss.detach(), fake, real_in.detach()


def gradient_penalty(D: nn.Module, real: torch.Tensor, fake: torch.Tensor, gamma: float,
                     y: torch.Tensor | None = None) -> torch.Tensor:
    """R1 + R2 (Mescheder et al. 2018; R3GAN, Huang et al. 2024, eq. 4): gamma/2 E||grad_x D(x)||^2 on the
    reals plus the same on the fakes, in fp32 (a second derivative in bf16 is too coarse)."""
    x = torch.cat([real, fake]).float().requires_grad_(True)  # (2B, C, H, W)
    (grad,) = torch.autograd.grad(_judge(D, x, y).float().sum(), x, create_graph=True)
    per_image = grad.square().sum(dim=(1, 2, 3))  # (2B,)
    n = real.shape[0]
    return gamma / 2 * (per_image[:n].mean() + per_image[n:].mean())


def g_step(D: nn.Module, opt_g: torch.optim.Optimizer, fake: torch.Tensor, gen: torch.Generator,
           r: GANRecipe, real_in: torch.Tensor | None = None,
           extra: Callable[[torch.Tensor], torch.Tensor] | None = None, y: torch.Tensor | None = None) -> torch.Tensor:
    """Update G to fool D on the fakes drawn in d_step. D's weights get no gradient (saves work).
    real_in: the reals D saw in d_step, needed by the rpgan loss (its pairs). extra: a further term on
    the fakes (before augmentation), added to G's loss (texture models' statistics). y: the class
    weights the fakes were drawn for (labelled models), as in d_step."""
    D.requires_grad_(False)
    try:
        with autocast(r.precision, r.device):
            fake_in = _augment(fake, gen, r)
            if r.loss == "rpgan":
                pair = None if y is None else torch.cat([y, y])
                fake_logits, real_logits = _judge(D, torch.cat([fake_in, real_in]), pair).float().chunk(2)
                loss = g_loss(fake_logits, r.loss, real_logits)
            else:
                if y is None:
                    loss = g_loss(D(fake_in).float(), r.loss)
                else:  # labelled: fool D and be recognised as the class asked for (TAC-GAN)
                    logits, classes, fake_classes = D(fake_in, y, with_classes=True)
                    loss = g_loss(logits.float(), r.loss) + _g_class_loss(classes, fake_classes, y)
        if extra is not None:
            loss = loss + extra(fake)
        opt_g.zero_grad(set_to_none=True)
        loss.backward()
        opt_g.step()
    finally:
        D.requires_grad_(True)
    return loss.detach()


class VAEObjective(nn.Module):
    """vae_loss as a forward(): DistributedDataParallel only prepares its gradient all-reduce for work
    done inside the wrapped module's forward, and VAE.forward is sampling (z -> image), not the loss."""

    def __init__(self, vae: VAE):
        super().__init__()
        self.vae = vae

    def forward(self, x: torch.Tensor, eps: torch.Tensor) -> dict[str, torch.Tensor]:
        return vae_loss(self.vae, x, eps)


def vae_step(objective: nn.Module, z_dim: int, opt: torch.optim.Optimizer, real: torch.Tensor,
             gen: torch.Generator, precision: str, device: torch.device) -> dict[str, torch.Tensor]:
    """One VAE update through objective (a VAEObjective, DDP-wrapped under torchrun) on real
    (B, C, S, S); returns the detached loss terms {"loss", "reconstruction", "kl"}."""
    eps = torch.randn(real.shape[0], z_dim, generator=gen, device=gen.device).to(real.device)  # (B, z_dim)
    with autocast(precision, device):
        terms = objective(real, eps)
    opt.zero_grad(set_to_none=True)
    terms["loss"].backward()
    opt.step()
    return {k: v.detach().float() for k, v in terms.items()}


BaseOf = Callable[[torch.Tensor, torch.Generator], torch.Tensor]  # (real (B, C, S, S), gen) -> base (B, C, b, b)


def vae_reconstruction(vae: VAE) -> BaseOf:
    """A two-stage VAE's detail input: the first stage's reconstruction of each picture from a posterior
    sample (blurred and varied like the random draws it will meet). The first stage is frozen."""
    @torch.no_grad()
    def base_of(real: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        mu, logvar = vae.encode(real)
        eps = torch.randn(mu.shape, generator=gen, device=gen.device).to(real.device)
        return vae.decode_base(mu + torch.exp(0.5 * logvar) * eps)
    return base_of


def averaged_down(size: int) -> BaseOf:
    """A two-stage GAN's detail input: the picture averaged down to the base size, which is exactly what
    its first stage learned to draw (the loop feeds that stage the same averages)."""
    def base_of(real: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        return F.adaptive_avg_pool2d(real, size)
    return base_of


def detail_step(base_of: BaseOf, upsampler: nn.Module, critic_step: nn.Module, critic: nn.Module,
                opt_up: torch.optim.Optimizer, opt_critic: torch.optim.Optimizer, real: torch.Tensor,
                gen: torch.Generator, precision: str, device: torch.device, margin: int = 0
                ) -> dict[str, torch.Tensor]:
    """One update of a two-stage model's detail network (models/detail.py) on real (B, C, S, S).

    Its input is base_of(real, gen) (vae_reconstruction or averaged_down), its target the picture itself:
    an L1 term keeps it faithful, the patch critic's hinge loss makes it sharp. upsampler / critic_step:
    the modules to call (DDP-wrapped under torchrun); critic is the unwrapped critic, used without weight
    gradients for the upsampler's update. margin: base px at each edge whose output a circular upsampler
    draws from the crop's far edge (a texture's: DetailUpsampler.margin); only the inside is compared."""
    base = base_of(real, gen)  # (B, C, b, b)
    with autocast(precision, device):
        fake = upsampler(base)
        if margin:
            m, f = margin, real.shape[-1] // base.shape[-1]
            inside = (..., slice(f * m, -f * m), slice(f * m, -f * m))
            base, fake, real = base[..., m:-m, m:-m], fake[inside], real[inside]
        real_logits, fake_logits = critic_step(torch.cat([real, fake.detach()]), torch.cat([base, base])
                                               ).float().chunk(2)
        loss_d = d_loss(real_logits, fake_logits, "hinge")
    opt_critic.zero_grad(set_to_none=True)
    loss_d.backward()
    opt_critic.step()
    critic.requires_grad_(False)
    try:
        with autocast(precision, device):
            l1 = (fake.float() - real.float()).abs().mean()
            loss_g = L1_WEIGHT * l1 + g_loss(critic(fake, base).float(), "hinge")
        opt_up.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_up.step()
    finally:
        critic.requires_grad_(True)
    return {"detail_d": loss_d.detach(), "detail_g": loss_g.detach(), "detail_l1": l1.detach()}


def ema_beta(batch_size: int, images_seen: int, half_life_images: int) -> float:
    """The EMA decay for one step, as StyleGAN2-ADA sets it (Karras et al. 2020, training_loop.py:
    ema_kimg with ema_rampup = 0.05): the average's half-life is half_life_images, but never more than
    5 % of the images seen so far. A fixed 0.999 would keep two thirds of the random start after the
    400 steps a laptop manages in 20 minutes; the ramp makes the average useful from the first minutes."""
    half_life = max(1.0, min(float(half_life_images), 0.05 * images_seen))
    return 0.5 ** (batch_size / half_life)


@torch.no_grad()
def ema_update(ema: nn.Module, model: nn.Module, decay: float) -> None:
    """ema <- decay * ema + (1 - decay) * model for weights (Karras et al. 2018's generator average);
    buffers (BatchNorm statistics) are copied."""
    ema_params = list(ema.parameters())
    torch._foreach_lerp_(ema_params, list(model.parameters()), 1.0 - decay)
    for b_ema, b in zip(ema.buffers(), model.buffers()):
        b_ema.copy_(b)


@torch.no_grad()
def recalibrate_batchnorm(G: nn.Module, latents: Callable[[int, torch.Generator], torch.Tensor],
                          gen: torch.Generator, batches: int = 16, batch_size: int = 64) -> None:
    """Re-estimate G's BatchNorm running statistics for its final weights (cumulative average over
    fresh latents from latents(batch_size, gen)). An EMA generator otherwise samples with statistics of older weights, which
    washes out colours in eval mode; this makes eval-mode samples match what training saw."""
    bns = [m for m in G.modules() if isinstance(m, nn.BatchNorm2d)]
    if not bns:
        return
    saved = [(m.momentum, m.training) for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative moving average
        m.train()
    device = next(G.parameters()).device
    for _ in range(batches):
        G(latents(batch_size, gen).to(device))
    for m, (momentum, training) in zip(bns, saved):
        m.momentum = momentum
        m.train(training)
