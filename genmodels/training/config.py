"""TrainConfig: every training setting in one dataclass, validated on construction.

Config flows one way: CLI flags or UI controls -> TrainConfig -> train(). The resolved config is
saved in every checkpoint and in the exported model's config.json.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

from ..checks import check_number
from ..errors import StudioError
from ..models.gan import CLASS_SCALE_OF_NOISE
from ..models.presets import PRESETS, model_kind
from .recipes import DEFAULT_RECIPE, GAN_RECIPES, get_recipe, texture_recipe

RECIPES = tuple(GAN_RECIPES)
PRECISIONS = ("auto", "fp32", "bf16")
MAX_MINUTES = 24 * 60.0
MAX_EPOCHS = 100_000
MAX_BATCH = 256


def _setting(default, help: str, flag: str | None = None, choices: tuple[str, ...] | None = None):
    """A TrainConfig field with its command-line help (cli/train.py builds its parser from these)."""
    return field(default=default, metadata={"help": help, "flag": flag, "choices": choices})


@dataclass(frozen=True)
class TrainConfig:
    """What to train and for how long. Each field's help says what it means; the training command line
    (genmodels/cli/train.py) offers every field as a flag with this default and help."""

    preset: str = _setting("dcgan-64", "model preset (size, colour, GAN or VAE)", flag="--model",
                           choices=tuple(PRESETS))
    recipe: str | None = _setting(None, "GAN recipe (VAEs and texture models ignore it); default: the recommended one",
                                  choices=RECIPES)
    minutes: float | None = _setting(10.0, "time budget in minutes, fractions allowed")
    epochs: int | None = _setting(None, "stop after this many epochs (optional)")
    max_steps: int | None = _setting(None, "stop after this many steps (optional)", flag="--steps")
    batch_size: int | None = _setting(None, f"images per step, 1..{MAX_BATCH} (clamped to the number of pictures); "
                                            "default: the recipe's choice for this device")
    lr: float | None = _setting(None, "Adam learning rate; default: the recipe's (classic keeps the article's 2e-4; "
                                      "VAEs 1e-3)")
    seed: int = _setting(0, "seed for weights, data order, latents and augmentation: same seed, same run")
    ema_half_life_images: int = _setting(10_000, "half-life of the generator's average in training images "
                                                 "(StyleGAN2-ADA's ema_kimg = 10), ramped up as steps.ema_beta says")
    preview_every: int = _setting(100, "steps between preview grids")
    checkpoint_minutes: float = _setting(2.0, "minutes between checkpoints (0 = only at the end)")
    precision: str = _setting("auto", "numeric precision; auto = bf16 autocast where the CPU or GPU has it "
                                      "natively, else fp32", choices=PRECISIONS)
    device: str = _setting("auto", "auto (CUDA when present), cpu, cuda, cuda:1 ...")

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
        return self.recipe_spec.lr

    @property
    def recipe_spec(self):
        """How a GAN or texture model trains (recipes.GANRecipeSpec); a texture model's follows its scales."""
        if self.kind == "texture":
            return texture_recipe(bool(PRESETS[self.preset].detail_width))
        return get_recipe(self.recipe)

    def model_config(self, classes: tuple[str, ...] = ()):
        """The network this run trains: the preset, shaped by the recipe for a GAN (family, widths, D norm,
        two stages above the recipe's base size), with a labelled set's class names."""
        base = PRESETS[self.preset]
        labelled = {"classes": classes} if classes and self.kind != "texture" else {}
        if self.kind != "gan":
            return dataclasses.replace(base, **labelled)
        spec = self.recipe_spec
        if labelled and spec.arch != "dcgan":
            raise StudioError(f"The {self.recipe} recipe cannot learn classes; use the recommended "
                              "recipe (two-stage), lite, small-data or classic for a set of class folders.")
        widths = {"g_width": spec.width, "d_width": spec.width} if spec.width else {}
        # A two-stage recipe above its base size (at the base size it is the one-stage recipe).
        stages = {"base_size": spec.base_size} if 0 < spec.base_size < base.image_size else {}
        if labelled:  # the class weights' share of the first layer (GANConfig.class_scale)
            labelled["class_scale"] = round(CLASS_SCALE_OF_NOISE * math.sqrt(base.z_dim), 3)
        return dataclasses.replace(base, d_norm=spec.d_norm, arch=spec.arch, **widths, **labelled, **stages)

    @property
    def uses_ema(self) -> bool:
        return self.kind != "vae" and self.recipe_spec.ema


def _range(name: str, value, low, high, whole: bool = False) -> None:
    """An optional setting (None = not set) must be in range: checks.check_number."""
    if value is not None:
        check_number(name, value, low, high, whole)
