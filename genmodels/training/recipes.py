"""GAN training recipes: which network, loss, regularisers and optimiser settings a run uses.

A recipe is a named, frozen GANRecipeSpec. The names are stable keys (CLI --recipe, the Train tab,
checkpoints and model cards):
  classic     the seed article's DCGAN training exactly: BCE, BatchNorm D, Adam 2e-4 / (0.5, 0.999).
  small-data  the DCGAN network with DiffAugment + spectral-norm D + hinge loss + an EMA generator.
  lite        small-data on DCGAN networks half as wide (g_width = d_width = 32), batch 32 on a CPU: more,
              cheaper steps; in a few CPU minutes it learns whole shapes where the others do not.
  fastgan     the FastGAN-style networks (genmodels/models/fastgan.py) with D's self-supervised
              reconstruction, DiffAugment, hinge loss, EMA and the half-to-full resolution schedule.
  two-stage   lite at 32 px for the first 60 % of the run (an unlabelled run in fp32 on a CPU: 80 %,
              first_stage_share), then a detail network that enlarges its pictures to 64 px
              (models/detail.py), learnt from the real pictures; at 32 px it is lite.
When no recipe is given, DEFAULT_RECIPE (two-stage) is used: the one that met the quality bench's targets
on CPUs with and without native bf16 (README "Quality").
Ablations of the default (used by bench/quality.py, also selectable on the CLI) change one thing each.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..imaging.augment import LOW_DATA_POLICY


@dataclass(frozen=True)
class GANRecipeSpec:
    """loss: "bce" | "hinge" | "rpgan" (genmodels.gan). r_gamma: weight of the R1 + R2 gradient penalties
    (Mescheder et al. 2018; R3GAN uses both), 0 = off, applied every r_every steps with the weight scaled
    by r_every (StyleGAN2's lazy regularisation). reconstruction: FastGAN's self-supervised D (fastgan arch
    only). half_until / fade_until: fractions of the run spent at half size, then fading in full size;
    0 / 0 = full size from the start. lr_end < 1 decays the rate linearly over the run's budget: a high
    rate learns the shapes in the first minutes, a low one settles the details at the end."""

    arch: str
    d_norm: str
    loss: str
    diff_augment: bool
    ema: bool
    lr: float
    betas: tuple[float, float]
    reconstruction: bool = False
    r_gamma: float = 0.0
    r_every: int = 16
    half_until: float = 0.0
    fade_until: float = 0.0
    cpu_batch: int = 64  # the automatic batch size on a CPU (a GPU takes 64)
    width: int | None = None  # the networks' base width (GANConfig g_width = d_width); None = the preset's
    lr_end: float = 1.0  # the learning rate at the end of the run, as a fraction of lr (linear decay)
    stats_weight: float = 0.0  # texture models: weight of the patch-distribution loss (texture.patch_loss)
    stats_patch: int = 5  # ... the side of its square patches, in px at each octave
    irregular_stats_patch: int = 0  # ... the side for pictures with no regular repeat (no waves); 0 = stats_patch
    augment_policy: str = LOW_DATA_POLICY  # DiffAugment's operations when diff_augment is on
    lecam: float = 0.0  # weight of LeCam regularisation of D (training/lecam.py), 0 = off
    # Two stages (GANConfig.base_size): above base_size px the GAN learns at base_size, then from detail_from
    # of the run a detail network learns to enlarge its pictures; 0 = one stage.
    base_size: int = 0
    detail_from: float = 0.6
    summary: str = ""

    def patch_side(self, regular: bool) -> int:
        """The patch loss's patch side for pictures with a regular repeat (waves found) or without one."""
        return self.stats_patch if regular else (self.irregular_stats_patch or self.stats_patch)


_SMALL_DATA = GANRecipeSpec(arch="dcgan", d_norm="spectral", loss="hinge", diff_augment=True, ema=True, lr=4e-4,
                            betas=(0.0, 0.99), summary="DCGAN + DiffAugment, spectral norm, hinge loss, EMA")
# A high rate and small batches: in a few CPU minutes the number of steps matters most (README, "Training
# recipes", has the measurements).
_FASTGAN = GANRecipeSpec(arch="fastgan", d_norm="spectral", loss="hinge", diff_augment=True, ema=True, lr=1e-3,
                         betas=(0.5, 0.99), reconstruction=True, half_until=0.3, fade_until=0.4, cpu_batch=16,
                         lr_end=0.2,
                         summary="FastGAN networks, self-supervised D, DiffAugment, hinge loss, EMA, "
                                 "half size first")

# Half-width DCGAN networks: each image costs a quarter, so a few CPU minutes buy enough steps to learn
# whole shapes (README "Quality").
_LITE = dataclasses.replace(_SMALL_DATA, width=32, cpu_batch=32,
                            summary="DCGAN at half width + DiffAugment, spectral norm, hinge loss, EMA")

# Lite at 32 px, then the detail network to 64 px: a 32 px step costs a quarter of a 64 px one, so the GAN
# takes four times the steps where shapes are learnt, and the upsampler learns edges from real pairs
# (README "Quality": on a bf16 CPU 60 % / 40 % drew the clearest faces of the splits tried).
_TWO_STAGE = dataclasses.replace(_LITE, base_size=32, detail_from=0.6,
                                 summary="lite at 32 px, then a detail network to full size")

GAN_RECIPES: dict[str, GANRecipeSpec] = {
    "two-stage": _TWO_STAGE,
    "lite": _LITE,
    "fastgan": _FASTGAN,
    "small-data": _SMALL_DATA,
    "classic": GANRecipeSpec(arch="dcgan", d_norm="batch", loss="bce", diff_augment=False, ema=False, lr=2e-4,
                             betas=(0.5, 0.999), summary="the seed article's DCGAN training"),
    # Ablations of the default, one change each.
    "fastgan-r3": dataclasses.replace(_FASTGAN, loss="rpgan", r_gamma=0.1,
                                      summary="fastgan with R3GAN's RpGAN loss + R1/R2"),
    "fastgan-full-size": dataclasses.replace(_FASTGAN, half_until=0.0, fade_until=0.0,
                                             summary="fastgan without the resolution schedule"),
    "fastgan-no-reconstruction": dataclasses.replace(_FASTGAN, reconstruction=False,
                                                     summary="fastgan without D's reconstruction"),
    "lite-lr-decay": dataclasses.replace(_LITE, lr=8e-4, lr_end=0.25,
                                         summary="lite at twice the learning rate, decaying to half of lite's"),
    "lite-r3": dataclasses.replace(_LITE, loss="rpgan", r_gamma=0.1, summary="lite with R3GAN's RpGAN loss + R1/R2"),
    "two-stage-lr-decay": dataclasses.replace(_TWO_STAGE, lr=8e-4, lr_end=0.25,
                                              summary="two-stage with lite-lr-decay's rate in the first stage"),
}
# The recipe used when none is given: it meets the quality targets on both CPU paths (README "Quality").
DEFAULT_RECIPE = "two-stage"
RECOMMENDED_CHOICE = "recommended"  # the UI's value for "the recommended recipe"
MAIN_RECIPES = ("two-stage", "lite", "fastgan", "small-data", "classic")  # the ones the Train tab offers
RECIPE_LABELS = {RECOMMENDED_CHOICE: "Recommended (two-stage lite DCGAN)",
                 "two-stage": "Two-stage lite DCGAN (32 px, then a detail network to 64 px)",
                 "lite": "Lite DCGAN (half width, fast on a CPU)",
                 "fastgan": "FastGAN", "small-data": "Small-data DCGAN", "classic": "Classic DCGAN (the article's)"}


# Texture models (models/texture.py): the small-data tricks (a spectral-norm patch discriminator, hinge loss,
# DiffAugment, the EMA generator) plus a patch-distribution loss, a high rate and small batches: in 5 CPU
# minutes the number of steps and a signal from the first step matter most (README "Patterns"). DiffAugment
# without its colour jitter: a texture's light and colour are part of what it is, and a discriminator
# blinded to them let the textures come out evenly lit. A one-scale model has no detail network, so no
# detail_from: the two-scale recipe's is below.
TEXTURE_RECIPE = GANRecipeSpec(arch="texture", d_norm="spectral", loss="hinge", diff_augment=True, ema=True,
                               lr=5e-4, betas=(0.5, 0.99), cpu_batch=8, stats_weight=50.0,
                               augment_policy="translation,cutout",
                               summary="spatial GAN, circular padding, patch D, DiffAugment (no colour), "
                                       "hinge loss, EMA")
# Two scales (texture-large) add LeCam at the reference's weight for DiffAugment + hinge loss: crops of one
# picture are the scarcest data there is. It drew the larger layouts closer to their pictures; the one-scale
# preset's bricks came out with seams (README "Patterns", "LeCam"), so it trains as before. Its generator trains
# for 90 % of the run and its detail network for the rest: tiles and strips are drawn with crisp detail by
# default, which redraws the detail from the swatches over the generator's layout alone, and the layout gained
# more from the extra steps (marble, bricks) than the network's own detail lost (README "The generator's share").
# Pictures with no regular repeat (no waves: marble, stone) take 7 px patches in its patch loss: at half scale its
# coarsest octave's patches then span 56 px of the picture, and marble's veins joined into closed cells; with a
# repeat the bricks' bond came apart into long bricks, so regular pictures keep 5 (README "Larger patches").
LARGE_TEXTURE_RECIPE = dataclasses.replace(TEXTURE_RECIPE, lecam=0.3, detail_from=0.9, irregular_stats_patch=7,
                                           summary=TEXTURE_RECIPE.summary.replace("hinge loss,", "hinge loss, LeCam,"))


def texture_recipe(two_scales: bool) -> GANRecipeSpec:
    """How a texture model trains: LARGE_TEXTURE_RECIPE for a two-scale model (texture-large), else TEXTURE_RECIPE."""
    return LARGE_TEXTURE_RECIPE if two_scales else TEXTURE_RECIPE


GPU_BATCH = 64
VAE_BATCH = 64


def auto_batch_size(recipe: str, kind: str, device_type: str, n_images: int) -> int:
    """The batch size when none is given: on a CPU the recipe's cpu_batch (FastGAN takes small batches: in a
    few CPU minutes the number of steps matters more than the size of each), on a GPU 64; never more than
    the pictures there are."""
    if kind == "vae":
        batch = VAE_BATCH
    elif kind == "texture":
        batch = GPU_BATCH if device_type == "cuda" else TEXTURE_RECIPE.cpu_batch
    else:
        batch = GPU_BATCH if device_type == "cuda" else get_recipe(recipe).cpu_batch
    return max(1, min(batch, n_images))


def get_recipe(name: str) -> GANRecipeSpec:
    if name not in GAN_RECIPES:
        raise ValueError(f"unknown recipe {name!r}; choose one of: {', '.join(GAN_RECIPES)}")
    return GAN_RECIPES[name]


# A CPU training in fp32 runs about a third of the steps a bf16 one does in the same minutes, and the first
# stage, where the shapes are learnt, needs them: there an unlabelled two-stage GAN keeps 80 % of its run for
# it (closer to the data in every run measured); labelled runs drew their classes less often with it and
# keep the recipe's split (README "Quality", "The split on a CPU without native bf16").
FP32_CPU_DETAIL_FROM = 0.8


def first_stage_share(spec: GANRecipeSpec, precision: str, device_type: str, labelled: bool) -> GANRecipeSpec:
    """spec with the split between a two-stage GAN's stages this run takes: FP32_CPU_DETAIL_FROM for an
    unlabelled run in fp32 on a CPU, else the recipe's own (texture and one-stage recipes unchanged)."""
    if spec.arch != "dcgan" or not spec.base_size or labelled or precision != "fp32" or device_type != "cpu":
        return spec
    return dataclasses.replace(spec, detail_from=FP32_CPU_DETAIL_FROM)


def lr_factor(spec: GANRecipeSpec, progress: float) -> float:
    """The learning rate at a fraction 0..1 of the run, as a fraction of spec.lr. A two-stage recipe's GAN
    trains until detail_from, so its rate reaches lr_end there, when the GAN's part of the run ends."""
    span = spec.detail_from if spec.base_size else 1.0
    return 1.0 - (1.0 - spec.lr_end) * min(1.0, max(0.0, progress / span))


def schedule_fade(spec: GANRecipeSpec, progress: float) -> float:
    """The resolution schedule at a fraction 0..1 of the run: 0 = half size, 1 = full size, linear between."""
    if progress >= spec.fade_until:
        return 1.0
    if progress < spec.half_until:
        return 0.0
    return (progress - spec.half_until) / (spec.fade_until - spec.half_until)
