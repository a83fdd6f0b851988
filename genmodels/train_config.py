"""TrainConfig: every training setting in one dataclass, validated on construction.

Config flows one way: CLI flags or UI controls -> TrainConfig -> train(). The resolved config is
saved in every checkpoint and in the exported model's config.json.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import StudioError
from .presets import PRESETS, model_kind
from .recipes import DEFAULT_RECIPE, GAN_RECIPES, get_recipe

RECIPES = tuple(GAN_RECIPES)
PRECISIONS = ("auto", "fp32", "bf16")
MAX_MINUTES = 24 * 60.0
MAX_EPOCHS = 100_000
MAX_BATCH = 256


@dataclass(frozen=True)
class TrainConfig:
    """What to train and for how long.

    preset: a key of presets.PRESETS ("dcgan-64", "vae-32-gray", ...).
    recipe: GANs only, a key of recipes.GAN_RECIPES; None = the recommended one (recipes.DEFAULT_RECIPE,
        lite). "lite" (small-data on DCGAN networks
        half as wide, batch 32 on a CPU), "fastgan" (FastGAN-style networks,
        self-supervised discriminator, DiffAugment, hinge loss, EMA, half size first), "small-data" (the
        DCGAN with DiffAugment, spectral norm, hinge loss, EMA), "classic" (the seed article's DCGAN
        training exactly), or an ablation of fastgan. VAEs ignore it.
    minutes: wall-clock budget for this run (fractions allowed); None = no time limit.
    epochs / max_steps: optional limits; training stops at whichever limit comes first.
    batch_size: images per step, 1..256 (clamped to the dataset size); None = the recipe's choice for the
        device (recipes.auto_batch_size).
    lr: Adam learning rate; None = the recipe's default (recipes.py; "classic" keeps the article's 2e-4),
        1e-3 for VAEs.
    seed: drives initial weights, data order, latents and augmentation: same seed, same run.
    precision: "auto" picks bf16 autocast where the CPU (or GPU) supports it, else fp32.
    ema_half_life_images: the generator average's half-life in training images (StyleGAN2-ADA's
        ema_kimg = 10), ramped up over the first 20x that many images; see steps.ema_beta.
    preview_every: steps between sample-grid previews; checkpoint_minutes: minutes between checkpoints.
    """

    preset: str = "dcgan-64"
    recipe: str | None = None
    minutes: float | None = 10.0
    epochs: int | None = None
    max_steps: int | None = None
    batch_size: int | None = None
    lr: float | None = None
    seed: int = 0
    ema_half_life_images: int = 10_000
    preview_every: int = 100
    checkpoint_minutes: float = 2.0
    precision: str = "auto"
    device: str = "auto"

    def __post_init__(self) -> None:
        if self.preset not in PRESETS:
            raise StudioError(f"Unknown model preset {self.preset!r}; choose one of: {', '.join(PRESETS)}.")
        if self.recipe is None:  # frozen dataclass: resolve the default once, so it is saved as a name
            object.__setattr__(self, "recipe", DEFAULT_RECIPE)
        if self.recipe not in RECIPES:
            raise StudioError(f"Recipe must be one of: {', '.join(RECIPES)}.")
        if self.precision not in PRECISIONS:
            raise StudioError(f"Precision must be one of: {', '.join(PRECISIONS)}.")
        if self.minutes is None and self.epochs is None and self.max_steps is None:
            raise StudioError("Give a time budget in minutes, a number of epochs or a number of steps.")
        _range("Minutes", self.minutes, 0.01, MAX_MINUTES)
        _range("Epochs", self.epochs, 1, MAX_EPOCHS, whole=True)
        _range("Steps", self.max_steps, 1, 10_000_000, whole=True)
        _range("Batch size", self.batch_size, 1, MAX_BATCH, whole=True)
        _range("Learning rate", self.lr, 1e-6, 1.0)
        _range("Seed", self.seed, 0, 2**31 - 1, whole=True)
        _range("EMA half-life", self.ema_half_life_images, 1, 10_000_000, whole=True)
        _range("Preview interval", self.preview_every, 1, 1_000_000, whole=True)
        _range("Checkpoint interval", self.checkpoint_minutes, 0.0, MAX_MINUTES)

    @property
    def kind(self) -> str:
        return model_kind(PRESETS[self.preset])

    @property
    def learning_rate(self) -> float:
        if self.lr is not None:
            return self.lr
        if self.kind == "vae":
            return 1e-3
        return get_recipe(self.recipe).lr

    @property
    def uses_ema(self) -> bool:
        return self.kind == "gan" and get_recipe(self.recipe).ema


def _range(name: str, value, low, high, whole: bool = False) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise StudioError(f"{name} must be a number between {low} and {high}.")
    if whole and value != int(value):
        raise StudioError(f"{name} must be a whole number.")
    if not low <= value <= high:
        raise StudioError(f"{name} must be between {low} and {high}, got {value}.")
