"""DCGAN (Radford et al. 2016) for 32x32 and 64x64 images, RGB or grayscale.

The 32x32 RGB preset is the seed article's network exactly:
  generator      ConvTranspose 100 -> 256 (4x4, stride 1, no bias) -> 128 -> 64 -> 3
                 (4x4, stride 2, pad 1), BatchNorm + ReLU between, Tanh output;
  discriminator  Conv 3 -> 64 -> 128 -> 256 -> 1, LeakyReLU(0.2), BatchNorm (not on the first layer),
                 one probability per image (sigmoid + binary cross-entropy).
64x64 adds one more doubling stage on each side (the pytorch/examples DCGAN widths 512..64).
The discriminator returns logits; the sigmoid lives in the loss (BCE-with-logits is the same
objective as Sigmoid + BCELoss, computed without the log(0) overflow).

The "small-data" recipe swaps the discriminator's BatchNorm for spectral normalisation
(Miyato et al. 2018), which keeps D 1-Lipschitz-ish and trains stably with hinge loss.
GANConfig.arch picks the network family: "dcgan" (this file) or "fastgan" (fastgan.py);
build_generator / build_discriminator dispatch on it, and the losses here serve both.
A two-stage DCGAN (base_size > 0, the default recipe's at 64 px) is a DCGAN at base_size followed by
detail.DetailUpsampler to image_size (TwoStageGenerator); its discriminator works at base_size.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .detail import DetailUpsampler

ARCHITECTURES = ("dcgan", "fastgan")
BASE_SIZES = (32,)
DETAIL_WIDTHS = (16, 32, 64)


@dataclass(frozen=True)
class GANConfig:
    """A DCGAN shape. image_size: 32 or 64; channels: 1 (grayscale) or 3 (RGB)."""

    image_size: int = 32
    channels: int = 3
    z_dim: int = 100
    g_width: int = 64  # channels of the last generator stage; earlier stages double it
    d_width: int = 64  # channels of the first discriminator stage; later stages double it
    d_norm: str = "batch"  # "batch" (seed article) or "spectral" (small-data recipe)
    arch: str = "dcgan"  # "dcgan" (the seed article's network) or "fastgan" (genmodels/models/fastgan.py)
    # A labelled model's class names (data/classes.py), in label order; () = unconditional (every older model).
    classes: tuple[str, ...] = ()
    # What a labelled generator multiplies its class weights by before its first layer; 1 = as models
    # trained before it were (older folders). Training sets CLASS_SCALE_OF_NOISE x the noise's length.
    class_scale: float = 1.0
    # A labelled generator's own class strength per class, in label order (training/class_strengths.py):
    # the strength a draw at class strength 1 gives that class (sampling.class_weights), chosen after
    # training; () = 1 for every class (older folders, unlabelled models).
    class_strengths: tuple[float, ...] = ()
    # Two stages: the DCGAN draws at base_size and a detail network upsamples to image_size (detail.py).
    # 0 = one stage at image_size (every older model).
    base_size: int = 0
    detail_width: int = 32  # channels of the detail network at the base size (unused when base_size is 0)

    def __post_init__(self) -> None:
        object.__setattr__(self, "classes", check_classes(self.classes))
        if self.classes and self.arch != "dcgan":
            raise ValueError("labelled training uses the DCGAN networks (recipes two-stage, lite, small-data, classic)")
        if (isinstance(self.class_scale, bool) or not isinstance(self.class_scale, (int, float))
                or not 0 < self.class_scale <= 1024):
            raise ValueError(f"class_scale must be above 0 and at most 1024, got {self.class_scale}")
        object.__setattr__(self, "class_strengths", check_class_strengths(self.class_strengths, len(self.classes)))
        if self.image_size not in (32, 64):
            raise ValueError(f"image_size must be 32 or 64, got {self.image_size}")
        if self.channels not in (1, 3):
            raise ValueError(f"channels must be 1 or 3, got {self.channels}")
        if self.d_norm not in ("batch", "spectral"):
            raise ValueError(f"d_norm must be 'batch' or 'spectral', got {self.d_norm!r}")
        if self.arch not in ARCHITECTURES:
            raise ValueError(f"arch must be one of {', '.join(ARCHITECTURES)}, got {self.arch!r}")
        if not (1 <= self.z_dim <= 1024 and 8 <= self.g_width <= 512 and 8 <= self.d_width <= 512):
            raise ValueError("z_dim must be 1..1024 and widths 8..512")
        if self.base_size not in (0, *(s for s in BASE_SIZES if s < self.image_size)):
            raise ValueError(f"base_size must be 0 or one of {BASE_SIZES} below image_size, got {self.base_size}")
        if self.base_size and self.arch != "dcgan":
            raise ValueError("two stages (base_size) use the DCGAN networks")
        if isinstance(self.detail_width, bool) or self.detail_width not in DETAIL_WIDTHS:
            raise ValueError(f"detail_width must be one of {DETAIL_WIDTHS}, got {self.detail_width}")

    @property
    def code_size(self) -> int:
        """The size the DCGAN draws and the discriminator judges: base_size for two stages, else image_size."""
        return self.base_size or self.image_size

    @property
    def n_stages(self) -> int:
        """Stride-2 stages between 4x4 and code_size: 3 at 32 px, 4 at 64 px."""
        return int(math.log2(self.code_size // 4))

    @property
    def n_classes(self) -> int:
        return len(self.classes)


MAX_CLASSES = 100
# A one-hot class has length 1 beside noise of length sqrt(z_dim), and Adam moves every weight by about the
# same step, so at scale 1 the class embedding stays a small part of the first layer's input and classes
# are learnt slowly. A third of the noise's length draws each class more clearly at the same variety; the
# full length traded variety for it, as the class strength does (README, "Labelled training").
CLASS_SCALE_OF_NOISE = 0.3


def check_classes(classes) -> tuple[str, ...]:
    """A config's class names as a tuple (config.json stores a list): 2..100 distinct short strings, or ()."""
    if isinstance(classes, str) or not isinstance(classes, (tuple, list)):
        raise ValueError("classes must be a list of class names")
    names = tuple(classes)
    if names and not (2 <= len(names) <= MAX_CLASSES and len(set(names)) == len(names)
                      and all(isinstance(n, str) and 1 <= len(n) <= 60 for n in names)):
        raise ValueError(f"classes must be 2..{MAX_CLASSES} distinct names of 1..60 characters")
    return names


MAX_OWN_CLASS_STRENGTH = 3.0


def check_class_strengths(strengths, n_classes: int) -> tuple[float, ...]:
    """A config's per-class strengths as a tuple of floats: () or one number in 1..3 per class."""
    if isinstance(strengths, str) or not isinstance(strengths, (tuple, list)):
        raise ValueError("class_strengths must be a list of numbers")
    values = tuple(strengths)
    if values and not (len(values) == n_classes
                       and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                               and 1.0 <= v <= MAX_OWN_CLASS_STRENGTH for v in values)):
        raise ValueError(f"class_strengths must be one number from 1 to {MAX_OWN_CLASS_STRENGTH:g} per class")
    return tuple(float(v) for v in values)


def init_dcgan_weights(module: nn.Module) -> None:
    """The article's initialisation: conv weights ~ N(0, 0.02); BatchNorm gamma ~ N(1, 0.02), beta = 0."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        weight = getattr(module, "weight_orig", module.weight)  # spectral_norm renames the parameter
        nn.init.normal_(weight, 0.0, 0.02)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


class ClassInputScale(nn.Module):
    """z (B, z_dim + K, ...) -> the same with the K class weights after the noise multiplied by scale
    (GANConfig.class_scale). No parameters, so checkpoints keep their keys."""

    def __init__(self, z_dim: int, scale: float):
        super().__init__()
        self.z_dim, self.scale = z_dim, float(scale)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if self.scale == 1.0:
            return z
        return torch.cat([z[:, :self.z_dim], z[:, self.z_dim:] * self.scale], dim=1)


class Generator(nn.Module):
    """z (B, z_dim) -> image (B, C, S, S) in [-1, 1]. A labelled model (cfg.classes) reads z (B, z_dim + K):
    the noise followed by K class weights (one-hot for one class, mixed for a blend between classes),
    multiplied by cfg.class_scale. Joining them at the input makes the first layer add a learned class
    embedding to the noise's features (Mirza & Osindero 2014's conditional GAN). Class-conditional
    BatchNorm everywhere was tried instead and drew worse pictures in the same time (README, "Labelled
    training")."""

    def __init__(self, cfg: GANConfig):
        super().__init__()
        self.cfg = cfg
        widths = [cfg.g_width * 2 ** i for i in reversed(range(cfg.n_stages))]  # 32 px: [256, 128, 64]
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(cfg.z_dim + cfg.n_classes, widths[0], 4, 1, 0, bias=False),  # (B, 256, 4, 4)
            nn.BatchNorm2d(widths[0]),
            nn.ReLU(True),
        ]
        for c_in, c_out in zip(widths, widths[1:]):  # each stage doubles H and W
            layers += [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(True)]
        layers += [nn.ConvTranspose2d(widths[-1], cfg.channels, 4, 2, 1, bias=False), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.class_input = ClassInputScale(cfg.z_dim, cfg.class_scale)
        self.apply(init_dcgan_weights)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(self.class_input(z.view(z.shape[0], -1, 1, 1)))  # (B, latent_dim, 1, 1) -> (B, C, S, S)

    def first_block(self) -> nn.Module:
        """z (B, latent_dim, 1, 1) -> the first block's activations (after its ReLU); shares the modules."""
        return nn.Sequential(self.class_input, *self.net[:3])


class TwoStageGenerator(nn.Module):
    """z -> image (B, C, S, S) in [-1, 1] in two stages: the DCGAN Generator draws the picture at
    cfg.base_size (base), the detail network turns it into the full size (detail). The stages train one
    after the other (training/two_stage.py): the GAN first, where its steps are a quarter of the cost and
    so learn shapes in a few minutes, then the upsampler on pairs of real pictures and their averaged-down
    copies, which learns edges and texture from paired examples far faster than an adversarial game does.
    The upsampler starts as plain bilinear upsampling (its residual is zero), so the pictures a run
    shows before its second stage are the first stage's, enlarged."""

    def __init__(self, cfg: GANConfig):
        super().__init__()
        self.cfg = cfg
        self.base = Generator(cfg)
        self.detail = DetailUpsampler(cfg.base_size, cfg.image_size, cfg.channels, cfg.detail_width,
                                      start_as_upsampling=True)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.detail(self.base(z))


class Discriminator(nn.Module):
    """image (B, C, S, S) -> real/fake logit (B,). A labelled model's D also takes the class weights y
    (B, K) and adds the projection term <embed(y), phi(x)> (Miyato & Koyama 2018, eq. 3), phi(x) being
    the last feature map summed over its 4 x 4 positions: D then judges "a real picture of this class".
    It also has two classifiers on the averaged features, the twin auxiliary classifiers of TAC-GAN (Gong
    et al. 2019): `classify` learns the classes of real pictures and G is pushed to draw what it
    recognises (AC-GAN, Odena et al. 2017); `classify_fakes` learns the classes of G's pictures and G is
    pushed to fool it, which cancels AC-GAN's pull towards each class's most typical picture (the
    classes of emoji overlap, and AC-GAN alone drew one face for every seed of a class).
    with_classes=True returns (logits, class logits (B, K), fake-class logits (B, K))."""

    def __init__(self, cfg: GANConfig):
        super().__init__()
        self.cfg = cfg
        spectral = cfg.d_norm == "spectral"
        wrap = nn.utils.spectral_norm if spectral else (lambda m: m)
        widths = [cfg.d_width * 2 ** i for i in range(cfg.n_stages)]  # 32 px: [64, 128, 256]
        layers: list[nn.Module] = [wrap(nn.Conv2d(cfg.channels, widths[0], 4, 2, 1, bias=False)), nn.LeakyReLU(0.2, True)]
        for c_in, c_out in zip(widths, widths[1:]):  # each stage halves H and W
            layers.append(wrap(nn.Conv2d(c_in, c_out, 4, 2, 1, bias=False)))
            if not spectral:
                layers.append(nn.BatchNorm2d(c_out))
            layers.append(nn.LeakyReLU(0.2, True))
        layers.append(wrap(nn.Conv2d(widths[-1], 1, 4, 1, 0, bias=False)))  # (B, 1, 1, 1)
        self.net = nn.Sequential(*layers)
        # Registered only for labelled models, so unconditional checkpoints keep their keys.
        self.embed = wrap(nn.Linear(cfg.n_classes, widths[-1], bias=False)) if cfg.n_classes else None
        self.classify = wrap(nn.Linear(widths[-1], cfg.n_classes)) if cfg.n_classes else None
        self.classify_fakes = wrap(nn.Linear(widths[-1], cfg.n_classes)) if cfg.n_classes else None
        self.apply(init_dcgan_weights)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None, with_classes: bool = False
                ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        if self.embed is None:
            return self.net(x).flatten()  # (B,)
        features = self.net[:-1](x)  # (B, C, 4, 4)
        projection = (self.embed(y.to(features.dtype)) * features.sum(dim=(2, 3))).sum(1)  # (B,)
        logits = self.net[-1](features).flatten() + projection
        if not with_classes:
            return logits
        pooled = features.mean(dim=(2, 3))  # (B, C)
        return logits, self.classify(pooled), self.classify_fakes(pooled)


def with_class_scale(cfg: GANConfig, scale: float, modules) -> GANConfig:
    """cfg with class_scale = scale, which every ClassInputScale in modules takes too: a resumed run goes
    on with the scale it began with. Raises ValueError for a scale GANConfig refuses."""
    cfg = dataclasses.replace(cfg, class_scale=scale)
    for module in modules:
        for part in module.modules():
            if isinstance(part, ClassInputScale):
                part.scale = float(scale)
    return cfg


def build_generator(cfg: GANConfig) -> nn.Module:
    """The generator for cfg.arch (initial weights from the global RNG: callers seed it)."""
    if cfg.arch == "fastgan":
        from .fastgan import FastGenerator
        return FastGenerator(cfg)
    return TwoStageGenerator(cfg) if cfg.base_size else Generator(cfg)


def build_discriminator(cfg: GANConfig) -> nn.Module:
    if cfg.arch == "fastgan":
        from .fastgan import FastDiscriminator
        return FastDiscriminator(cfg)
    return Discriminator(cfg)


# Losses. "bce" is the article's minimax game with the non-saturating generator loss
# (Goodfellow et al. 2014, sec. 3); "hinge" is the hinge loss of Lim & Ye 2017 / Miyato et al. 2018;
# "rpgan" is the relativistic pairing loss (Jolicoeur-Martineau 2019) that R3GAN builds on (Huang et
# al. 2024, eq. 2): each real is compared with a fake, f(D(fake) - D(real)) with f = softplus.
LOSSES = ("bce", "hinge", "rpgan")


def d_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor, kind: str) -> torch.Tensor:
    """Discriminator loss: BCE  -[log D(x) + log(1 - D(G(z)))], hinge  E[relu(1-D(x))] + E[relu(1+D(G(z)))],
    or RpGAN  E[softplus(D(G(z)) - D(x))] over pairs (real i, fake i)."""
    if kind == "bce":
        return (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
                + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))
    if kind == "hinge":
        return F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()
    if kind == "rpgan":
        return F.softplus(fake_logits - real_logits).mean()
    raise ValueError(f"unknown GAN loss {kind!r}")


def g_loss(fake_logits: torch.Tensor, kind: str, real_logits: torch.Tensor | None = None) -> torch.Tensor:
    """Generator loss: BCE  -log D(G(z)) (non-saturating), hinge  -E[D(G(z))], or RpGAN
    E[softplus(D(x) - D(G(z)))] (needs real_logits, the same pairs as in d_loss)."""
    if kind == "bce":
        return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
    if kind == "hinge":
        return -fake_logits.mean()
    if kind == "rpgan":
        if real_logits is None:
            raise ValueError("the rpgan loss needs the real logits")
        return F.softplus(real_logits - fake_logits).mean()
    raise ValueError(f"unknown GAN loss {kind!r}")
