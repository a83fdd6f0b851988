"""Convolutional VAE (Kingma & Welling 2014) for 32x32 and 64x64 images, RGB or grayscale.

encoder  image (B, C, S, S) -> stride-2 convs down to (B, w*2^(k-1), 4, 4) -> (mu, logvar), each (B, z_dim)
sample   z = mu + exp(logvar / 2) * eps, eps ~ N(0, I)            (the reparameterisation trick)
decoder  z -> (B, w*2^(k-1), 4, 4) -> stride-2 transposed convs -> image logits (B, C, S, S)
Two stages (base_size 32 for a 64 px model, the 64 px presets): the encoder reads the picture averaged
down to base_size and the decoder draws at base_size; detail.DetailUpsampler turns that into the full
size (decode() runs both). vae_loss trains the first stage only; training/steps.detail_step the second.
The 4x4 <-> latent maps are a 4x4 convolution and a 4x4 transposed convolution (the same maths as
Linear layers): on CPU a Linear takes a different BLAS path for one row than for many, which made
an image differ by one level alone vs in a batch; the convolutions give identical results.

Loss (per image, averaged over the batch):
  L = L_rec + laplacian_weight * L_lap + beta * L_KL
  L_rec  = sum over pixels of MSE on [-1, 1] (Gaussian likelihood), or BCE on [0, 1] (Bernoulli likelihood)
  L_lap  = Laplacian-pyramid L1 (pyramid.lap1) of the decoded image, on the same per-pixel-sum scale:
           squared error alone forgives blur, Lap1 charges a soft edge as much as a wrong colour
  L_KL   = KL(q(z|x) || N(0, I)) = -1/2 * sum(1 + logvar - mu^2 - exp(logvar))
beta is the one knob that balances the two (beta-VAE, Higgins et al. 2017): lower = sharper
reconstructions, higher = smoother blends and a more regular latent space.

Random draws: prior "normal" decodes z ~ N(0, I) (every model saved before priors existed). Prior "gmm"
decodes draws from a Gaussian mixture fitted to the encoded training pictures after training
(mixture.py, vae_prior.py): the KL term never pulls the encodings all the way onto N(0, I), so its
holes decode to patchworks while the mixture follows where the pictures really are.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..imaging.pyramid import lap1
from .detail import DetailUpsampler
from .gan import check_classes
from .mixture import MAX_COMPONENTS, MixturePrior

PRIORS = ("normal", "gmm")
BASE_SIZES = (16, 32)
DETAIL_WIDTHS = (16, 32, 64, 128)


@dataclass(frozen=True)
class VAEConfig:
    """A VAE shape and loss. image_size: 32 or 64; channels: 1 or 3; beta > 0 weighs the KL term."""

    image_size: int = 32
    channels: int = 3
    z_dim: int = 64
    width: int = 32  # channels of the first encoder stage; later stages double it
    beta: float = 1.0
    reconstruction: str = "mse"  # "mse" on [-1, 1] or "bce" on [0, 1]
    prior: str = "normal"  # what random draws decode: "normal" N(0, I), or "gmm" a fitted mixture
    prior_components: int = 0  # the mixture's size (1..64) for "gmm"; 0 for "normal"
    laplacian_weight: float = 0.0  # weight of the Lap1 reconstruction term (0 = off, every older model)
    # Two stages (detail.py): the VAE works at base_size and a detail network upsamples to image_size.
    # 0 = one stage at image_size (every older model).
    base_size: int = 0
    detail_width: int = 32  # channels of the detail network at the base size (unused when base_size is 0)
    # A labelled model's class names (data/classes.py); its mixture prior has components per class, so
    # a draw can be asked for a class. () = unlabelled (every older model).
    classes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.image_size not in (32, 64):
            raise ValueError(f"image_size must be 32 or 64, got {self.image_size}")
        if self.channels not in (1, 3):
            raise ValueError(f"channels must be 1 or 3, got {self.channels}")
        if self.reconstruction not in ("mse", "bce"):
            raise ValueError(f"reconstruction must be 'mse' or 'bce', got {self.reconstruction!r}")
        if not (math.isfinite(self.beta) and 0 < self.beta <= 100):
            raise ValueError(f"beta must be in (0, 100], got {self.beta}")
        if not (math.isfinite(self.laplacian_weight) and 0 <= self.laplacian_weight <= 100):
            raise ValueError(f"laplacian_weight must be in [0, 100], got {self.laplacian_weight}")
        if not (1 <= self.z_dim <= 1024 and 8 <= self.width <= 512):
            raise ValueError("z_dim must be 1..1024 and width 8..512")
        if self.base_size not in (0, *(s for s in BASE_SIZES if s < self.image_size)):
            raise ValueError(f"base_size must be 0 or one of {BASE_SIZES} below image_size, got {self.base_size}")
        if isinstance(self.detail_width, bool) or self.detail_width not in DETAIL_WIDTHS:
            raise ValueError(f"detail_width must be one of {DETAIL_WIDTHS}, got {self.detail_width}")
        object.__setattr__(self, "classes", check_classes(self.classes))
        if self.prior not in PRIORS:
            raise ValueError(f"prior must be one of {PRIORS}, got {self.prior!r}")
        if isinstance(self.prior_components, bool) or not isinstance(self.prior_components, int):
            raise ValueError("prior_components must be a whole number")
        # A labelled prior has at least one component per class (up to 100 classes).
        low, high = (1, max(MAX_COMPONENTS, len(self.classes))) if self.prior == "gmm" else (0, 0)
        if not low <= self.prior_components <= high:
            raise ValueError(f"prior_components must be {low}..{high} for prior {self.prior!r}")

    @property
    def code_size(self) -> int:
        """The size the encoder reads and the decoder draws: base_size for two stages, else image_size."""
        return self.base_size or self.image_size

    @property
    def n_stages(self) -> int:
        return int(math.log2(self.code_size // 4))


LAP1_LEVELS = 5  # 64 px: bands at 64, 32, 16 and 8 px, and the 4 px low-pass
LOGVAR_BOUND = 10.0  # |log variance| < 10: standard deviations between 0.007 and 150


def _init_weights(module: nn.Module) -> None:
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.kaiming_normal_(module.weight, a=0.2, nonlinearity="leaky_relu")


class VAE(nn.Module):
    def __init__(self, cfg: VAEConfig):
        super().__init__()
        self.cfg = cfg
        widths = [cfg.width * 2 ** i for i in range(cfg.n_stages)]  # 32 px: [32, 64, 128]
        enc: list[nn.Module] = []
        for c_in, c_out in zip([cfg.channels] + widths, widths):
            enc += [nn.Conv2d(c_in, c_out, 4, 2, 1), nn.BatchNorm2d(c_out), nn.LeakyReLU(0.2, True)]
        self.encoder = nn.Sequential(*enc)  # (B, widths[-1], 4, 4)
        self.to_stats = nn.Conv2d(widths[-1], 2 * cfg.z_dim, 4)  # (B, 2 * z_dim, 1, 1): mu and logvar
        self.from_z = nn.ConvTranspose2d(cfg.z_dim, widths[-1], 4)  # (B, z_dim, 1, 1) -> (B, widths[-1], 4, 4)
        dec: list[nn.Module] = [nn.BatchNorm2d(widths[-1]), nn.LeakyReLU(0.2, True)]
        rev = list(reversed(widths))
        for c_in, c_out in zip(rev, rev[1:]):
            dec += [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1), nn.BatchNorm2d(c_out), nn.LeakyReLU(0.2, True)]
        dec.append(nn.ConvTranspose2d(rev[-1], cfg.channels, 4, 2, 1))  # logits (B, C, S, S)
        self.decoder = nn.Sequential(*dec)
        self.apply(_init_weights)
        # Registered only for two stages, so one-stage folders load with the same keys as before.
        self.detail = (DetailUpsampler(cfg.base_size, cfg.image_size, cfg.channels, cfg.detail_width)
                       if cfg.base_size else None)
        # Registered only for "gmm", so older folders (no prior tensors) load with the same keys.
        self.prior = (MixturePrior(cfg.prior_components, cfg.z_dim, labelled=bool(cfg.classes))
                      if cfg.prior == "gmm" else None)

    def to_code_size(self, x: torch.Tensor) -> torch.Tensor:
        """A full-size batch (B, C, S, S) -> the size the encoder reads (area average for two stages)."""
        size = self.cfg.code_size
        return x if x.shape[-1] == size else F.adaptive_avg_pool2d(x, size)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, C, S, S) in [-1, 1] -> (mu, logvar), each (B, z_dim)."""
        mu, raw = self.to_stats(self.encoder(self.to_code_size(x))).flatten(1).chunk(2, dim=1)
        # A soft bound keeps exp(logvar) finite without a hard clamp's zero gradient: a clamped
        # dimension could never move back and froze the KL term (seen in training: KL stuck at 185.2).
        return mu, LOGVAR_BOUND * torch.tanh(raw / LOGVAR_BOUND)

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.from_z(z.view(z.shape[0], -1, 1, 1)))

    def decode_base(self, z: torch.Tensor) -> torch.Tensor:
        """z (B, z_dim) -> the first stage's picture (B, C, code_size, code_size) in [-1, 1]."""
        return self.to_image(self.decode_logits(z))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """z (B, z_dim) -> image (B, C, S, S) in [-1, 1]."""
        base = self.decode_base(z)
        return base if self.detail is None else self.detail(base)

    def to_image(self, logits: torch.Tensor) -> torch.Tensor:
        """Decoder logits -> image in [-1, 1], through the likelihood's link (tanh for mse, sigmoid for bce)."""
        return torch.tanh(logits) if self.cfg.reconstruction == "mse" else torch.sigmoid(logits) * 2 - 1

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Sampling entry point, so a VAE draws like a GAN generator: z -> image."""
        return self.decode(z)


def vae_loss(model: VAE, x: torch.Tensor, eps: torch.Tensor) -> dict[str, torch.Tensor]:
    """One VAE objective evaluation. x (B, C, S, S) in [-1, 1]; eps (B, z_dim) ~ N(0, I) from the caller's RNG.

    Returns {"loss", "reconstruction", "kl"} (plus "laplacian" when its weight is not 0), each a scalar
    averaged over the batch. A two-stage model is scored at its base size (the detail stage trains
    apart, training/steps.py detail_step).
    """
    x = model.to_code_size(x)
    mu, logvar = model.encode(x)
    z = mu + torch.exp(0.5 * logvar) * eps  # reparameterisation
    logits = model.decode_logits(z)
    if model.cfg.reconstruction == "mse":
        rec = F.mse_loss(torch.tanh(logits), x, reduction="sum") / x.shape[0]
    else:
        rec = F.binary_cross_entropy_with_logits(logits, (x + 1) / 2, reduction="sum") / x.shape[0]
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / x.shape[0]
    terms = {"loss": rec + model.cfg.beta * kl, "reconstruction": rec, "kl": kl}
    if model.cfg.laplacian_weight:
        image = model.to_image(logits)
        # lap1 is a mean per level: x pixels per image puts it on the scale of the summed reconstruction term
        terms["laplacian"] = lap1(image, x, LAP1_LEVELS).mean() * x[0].numel()
        terms["loss"] = terms["loss"] + model.cfg.laplacian_weight * terms["laplacian"]
    return terms

