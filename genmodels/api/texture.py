"""The facade for texture models (the Patterns tab, `genmodels.sample --size/--morph`, scripts).

    ds = prepare_texture_dataset("bricks.png")                    # random 64 px crops of the picture
    for ev in run_training(ds, "texture", "recommended", 5, "out/bricks", stop): ...
    tile = draw_texture("out/bricks", seed=0, size=1024)          # uint8 (1024, 1024, 3), tiles seamlessly
    tile = draw_texture("out/bricks", 0, 1024, crisp=False)       # the same layout, the network's own detail
    strip = morph_texture("out/bricks", 0, 1, width=2048)         # seed 0's texture turning into seed 1's (crisp)
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..checks import check_number
from ..data.dataset import Dataset
from ..data.previews import preview_grid
from ..data.texture_crops import DEFAULT_SCALE, MAX_SCALE, MIN_SCALE, load_texture_dataset
from ..errors import StudioError
from ..evaluation.texture_quality import random_crops, texture_report
from ..generation import texture, texture_crisp
from ..generation.texture import MAX_SIZE, MIN_SIZE
from ..models.presets import get_preset
from ..storage.cache import ModelRef, get_model
from ..storage.resources import sample_textures
from ..storage.store import LoadedModel
from .drawing import MAX_SEED

TEXTURE_PRESET = "texture"
# (preset, what a designer reads), the Patterns tab's default first: large patterns (a running bond) learn at
# half scale from 128 px crops, then a detail network doubles them; fine ones at the picture's scale from
# 64 px crops. Drawn with crisp detail Large came closest to four sample textures, Fine to the fabric's weave
# (README "Patterns").
TEXTURE_PRESETS = (("texture-large", "Large: 128 px crops in two scales (recommended, with Crisp detail)"),
                   ("texture", "Fine: 64 px crops (for fine, regular weaves; sharper without Crisp detail)"))
DEFAULT_TEXTURE_SCALE, MIN_TEXTURE_SCALE, MAX_TEXTURE_SCALE = DEFAULT_SCALE, MIN_SCALE, MAX_SCALE
SAMPLE_TEXTURES = sample_textures()


def texture_model(model: ModelRef) -> LoadedModel:
    """The model, loaded; refused in one sentence unless it is a texture model."""
    m = get_model(model)
    if m.kind != "texture":
        raise StudioError(f"{m.name} is not a texture model: train one in the Patterns tab "
                          "(or `python -m genmodels.train --model texture`).")
    return m


def _size(m: LoadedModel, value, what: str) -> int:
    value = check_number(what, value, MIN_SIZE, MAX_SIZE, whole=True)
    step = m.config.size_step
    if value % step:
        raise StudioError(f"{what} must be a multiple of {step} px (e.g. 512 or 1024), got {value}.")
    return value


def draw_texture(model: ModelRef, seed: int = 0, size: int = 512, crisp: bool | None = None) -> np.ndarray:
    """The seamless texture of seed: uint8 (size, size, 3) that tiles with period size. size: 64..2048 px,
    a multiple of the model's size step (config.size_step: 256 for the `texture` preset). crisp: rebuild
    its detail from small pieces of the training pictures the model keeps (its swatches; about 0.3 s more
    for 1024 px with two threads, and a second more the first time, to index them), so grain, edges and grit
    come out sharp; the layout stays the network's. None (the default, as in the Patterns tab) = crisp when
    the model keeps swatches; False = the network's own detail."""
    m = texture_model(model)
    seed = check_number("Seed", seed, 0, MAX_SEED, whole=True)
    size = _size(m, size, "Texture size")
    if not _crisp_choice(m, crisp):
        return texture.draw_texture(m.network, m.config, seed, size)
    # crisp detail redraws the detail from the swatches: a two-scale model's detail network is skipped
    layout = texture.draw_texture(m.network, m.config, seed, size, layout=True)
    return texture_crisp.crisp(layout, m.swatches, m.config.crisp_patch)


def _crisp_choice(m: LoadedModel, crisp: bool | None) -> bool:
    """Whether to draw with crisp detail: as asked, or (None) when the model keeps swatches; refused in one
    sentence for a model without them, or for anything but True, False and None."""
    if crisp is not None and not isinstance(crisp, bool):
        raise StudioError(f"crisp must be True, False or None, got {crisp!r}.")
    if crisp and m.swatches is None:
        raise StudioError(f"{m.name} keeps no swatches of its pictures (a model trained before crisp detail, or "
                          "one shared without them), so it cannot draw crisp detail: draw without it, or retrain.")
    return m.swatches is not None if crisp is None else crisp


def has_swatches(model: ModelRef) -> bool:
    """Whether a texture model can draw crisp detail (it keeps swatches of its pictures)."""
    return texture_model(model).swatches is not None


def morph_height(m: LoadedModel, width: int) -> int:
    """A morph strip's height for its width: a quarter of it, in whole cells, at least MIN_SIZE px."""
    step = m.config.size_step
    return max(MIN_SIZE, step, width // 4 // step * step)


def morph_texture(model: ModelRef, seed_a: int, seed_b: int, width: int = 1024, crisp: bool | None = None
                  ) -> np.ndarray:
    """A strip (width / 4 high) whose texture turns from seed_a's into seed_b's, left to right. width: 64..2048
    px, a multiple of the model's size step. It tiles vertically. crisp: as for draw_texture (None = crisp
    when the model keeps swatches)."""
    m = texture_model(model)
    crisp = _crisp_choice(m, crisp)
    a = check_number("Seed A", seed_a, 0, MAX_SEED, whole=True)
    b = check_number("Seed B", seed_b, 0, MAX_SEED, whole=True)
    width = _size(m, width, "Strip width")
    return texture.morph_strip(m.network, m.config, a, b, width, morph_height(m, width),
                               m.swatches if crisp else None)


def tile_preview(image: np.ndarray, times: int = 3) -> np.ndarray:
    """The texture repeated times x times (1..4): its seams, if any, show at once."""
    times = check_number("Repeats", times, 1, 4, whole=True)
    return texture.tile(np.asarray(image), times)


def prepare_texture_dataset(sources: Sequence[str | Path] | str | Path, scale: int = DEFAULT_SCALE,
                            seed: int = 0, preset: str = TEXTURE_PRESET) -> Dataset:
    """Random crops of 1..20 pictures for a texture preset (TEXTURE_PRESETS: its crop size). scale: each
    picture's short side is shrunk to at most this many px first (64..1024, and at least the preset's
    crops): lower = larger texture elements in the output."""
    if not sources:
        raise StudioError("Add a picture of the texture first (or pick a sample texture).")
    if preset not in dict(TEXTURE_PRESETS):
        raise StudioError(f"Unknown texture preset {preset!r}; choose one of: {', '.join(dict(TEXTURE_PRESETS))}.")
    scale = check_number("Texture scale", scale, MIN_SCALE, MAX_SCALE, whole=True)
    seed = check_number("Seed", seed, 0, MAX_SEED, whole=True)
    return load_texture_dataset(sources, get_preset(preset).crop_size, scale, seed=seed)


def texture_quality(model_folder: ModelRef, dataset: Dataset, n: int = 256) -> str:
    """A line for the Patterns tab when training ends: SWD between crops of 16 drawn textures and n crops
    of the pictures, beside the same distance between two sets of the pictures' crops (a few seconds)."""
    m = texture_model(model_folder)
    bank = dataset.images.permute(0, 2, 3, 1).numpy()  # (N, S, S, 3) uint8 crops
    order = np.random.default_rng(0).permutation(len(bank))
    half = min(n, len(bank) // 2)
    # the score's 64 px crops, one from inside each training crop (those are 128 px)
    real, other = (random_crops(list(bank[order[a:a + half]]), half, seed) for a, seed in ((0, 1), (half, 2)))
    rep = texture_report(m, real, other)
    return (f"**Texture fidelity:** SWD {rep['swd']['mean']:.1f} against {rep['floor']['mean']:.1f} between two "
            f"sets of your picture's crops ({rep['ratio']:.1f}x; 1x = as alike as the picture is to itself, "
            "lower is better).")


def texture_views(dataset: Dataset, n: int = 24) -> tuple[str, np.ndarray]:
    """(a report in markdown, a grid of the first n crops the model will learn from)."""
    rep = dataset.report
    text = f"**Ready.** {rep.summary()}"
    if rep.skipped:
        shown = "; ".join(f"{name}: {reason}" for name, reason in rep.skipped[:8])
        text += f"\n\nSkipped {len(rep.skipped)}: {shown}."
    return text, preview_grid(dataset, n)
