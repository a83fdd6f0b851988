"""The facade the UI and scripts call: plain values in (paths, ints, floats, uint8 arrays), arrays out.

A model is named by its folder (str or Path) or passed as a LoadedModel; loaded folders are cached
(storage/cache.py). Every range a user can send is checked here and refused with a StudioError.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..checks import check_number
from ..errors import StudioError
from ..generation import keyframes, sampling
from ..imaging.fit import fit_square
from ..models.presets import PRESETS, get_preset, model_kind
from ..storage.cache import ModelRef, get_model, set_device
from ..storage.store import LoadedModel, ModelLoadError, build_network, read_config

if TYPE_CHECKING:
    import torch

MAX_IMAGES = 64
MAX_SEED = 2**31 - 1
MAX_VARIETY = 2.0
MAX_CLASS_STRENGTH = 3.0  # at 3 a labelled GAN already draws oversaturated colours and near copies
MAX_BLEND_STEPS = 120
MIN_KEYFRAMES, MAX_KEYFRAMES = keyframes.MIN_KEYFRAMES, keyframes.MAX_KEYFRAMES  # a path's keyframes
PATH_MOTIONS = keyframes.MOTIONS  # how a path moves between keyframes
def use_device(requested: str = "auto") -> str:
    """Where models loaded from now on draw and search: "auto" = the GPU when torch sees one (CUDA),
    else the CPU; or "cpu" / "cuda" / "cuda:1". Latents are still drawn on the CPU from their seeds, so a
    seed gives the same picture on either (up to float rounding). Returns the device chosen. The app
    calls this at launch; library callers that never do stay on the CPU."""
    from ..training.precision import pick_device

    return set_device(str(pick_device(requested)))


def untrained_model(preset: str, init_seed: int = 0) -> LoadedModel:
    """A freshly initialised network for a preset (random weights: for shapes and speed checks)."""
    cfg = get_preset(preset)
    network = build_network(cfg, init_seed).eval()
    return LoadedModel(kind=model_kind(cfg), config=cfg, network=network,
                       meta={"name": f"untrained {preset}", "preset": preset})


def list_models(weights_dir: str | Path) -> dict[str, str]:
    """Model folders directly inside weights_dir: {display name: folder path}, sorted by name.
    Folders that fail to parse are skipped (the UI shows only models that load)."""
    found: dict[str, str] = {}
    root = Path(weights_dir)
    if not root.is_dir():
        return found
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        try:
            meta = read_config(folder)
        except ModelLoadError:
            continue
        found[meta.get("name") or folder.name] = str(folder)
    return found


def image_model(model: ModelRef) -> LoadedModel:
    """The model, loaded; refused in one sentence when it draws textures, which have no single-image latent
    (drawing them: api/texture.py, the Patterns tab)."""
    m = get_model(model)
    if m.kind == "texture":
        raise StudioError(f"{m.name} is a texture model: draw its seamless textures in the Patterns tab "
                          "(or with genmodels.draw_texture).")
    return m


def describe(model: ModelRef) -> dict:
    """kind, image_size, channels, z_dim, name, preset, a one-line summary for the UI, can_encode,
    class_strength (whether draws take a class strength: labelled GANs and VAEs), classes (a
    labelled model's class names, else []) and latent_dim (numbers in one of its latents)."""
    m = get_model(model)
    cfg = m.config
    colour = "colour" if cfg.channels == 3 else "grayscale"
    summary = f"{m.name}: {'GAN' if m.kind == 'gan' else 'VAE'}, {cfg.image_size}x{cfg.image_size} {colour}"
    if m.kind == "texture":
        summary = f"{m.name}: seamless texture GAN ({cfg.image_size} px training crops, {colour})"
    if m.classes:
        summary += f", {len(m.classes)} classes"
    return {"kind": m.kind, "image_size": cfg.image_size, "channels": cfg.channels, "z_dim": cfg.z_dim,
            "name": m.name, "preset": m.meta.get("preset"), "summary": summary,
            "can_encode": m.kind == "vae", "class_strength": sampling.takes_class_strength(m),
            "classes": list(m.classes), "latent_dim": m.latent_dim}


# ---- checks on values a user (or an API caller) can send -------------------------------------

def class_index(m: LoadedModel, label: str | None) -> int | None:
    """A class name (as listed by describe()["classes"]) -> its index; None or "" = any class."""
    if label is None or label == "":
        return None
    if not m.classes:
        raise StudioError(f"{m.name} was not trained with classes, so it cannot draw a chosen class.")
    if not isinstance(label, str) or label not in m.classes:
        shown = ", ".join(m.classes[:8]) + (", ..." if len(m.classes) > 8 else "")
        raise StudioError(f"{m.name} has no class {str(label)[:60]!r}; its classes are: {shown}.")
    return m.classes.index(label)


def check_class_strength(m: LoadedModel, strength: float) -> float:
    """1 = the model's own (a labelled GAN: each class at the strength chosen for it after training);
    1..MAX_CLASS_STRENGTH for a labelled model (describe()["class_strength"])."""
    strength = check_number("Class strength", strength, 1.0, MAX_CLASS_STRENGTH)
    if strength != 1.0 and not sampling.takes_class_strength(m):
        raise StudioError(f"{m.name} has no classes to strengthen: class strength is for models trained "
                          "on class folders.")
    return strength


def _check_mode(mode: str) -> str:
    if mode not in ("smooth", "linear"):
        raise StudioError("The blend path must be 'smooth' or 'linear'.")
    return mode


# ---- drawing ---------------------------------------------------------------------------------

def generate(model: ModelRef, n: int = 16, seed: int = 0, variety: float = 1.0, label: str | None = None,
             class_strength: float = 1.0) -> list[np.ndarray]:
    """n images (1..64) from seeds seed, seed+1, ...; variety 0..2 (1 = as trained); label: a class
    name of a labelled model (describe()["classes"]), None = any class; class_strength 1..3 (a labelled
    model's: 1 = its own, higher = more clearly the class, less varied; sampling.model_latents)."""
    return draw(model, n, seed, variety, label, class_strength)[0]


def each_class(model: ModelRef, seed: int = 0, variety: float = 1.0, class_strength: float = 1.0
               ) -> tuple[list[np.ndarray], np.ndarray]:
    """A labelled model: one image of each class, all from the same seed (so they share what the model
    does not tie to a class), in class order, with their latents (K, latent_dim); class_strength as in
    generate."""
    m = image_model(model)
    if not m.classes:
        raise StudioError(f"{m.name} was not trained with classes; draw a grid instead.")
    seed = check_number("Seed", seed, 0, MAX_SEED, whole=True)
    k = len(m.classes)
    z = sampling.model_latents(m, [seed] * k, check_number("Variety", variety, 0.0, MAX_VARIETY), list(range(k)),
                               check_class_strength(m, class_strength))
    return sampling.decode(m, z), z.numpy()


def latent_classes(model: ModelRef, latents: np.ndarray) -> list[str | None]:
    """The class each latent (N, latent_dim) draws (None for unlabelled models)."""
    import torch

    m = image_model(model)
    rows = torch.stack([_latent(m, row) for row in np.asarray(latents, dtype=np.float32).reshape(-1, m.latent_dim)])
    return [m.classes[i] if i is not None else None for i in sampling.latent_labels(m, rows)]


def variations(model: ModelRef, seed: int, variety: float = 1.0, n: int = 8, strength: float = 0.3,
               variation_seed: int = 1, label: str | None = None) -> list[np.ndarray]:
    """n images like the one drawn from seed: strength 0 = the same image, 1 = unrelated (for a VAE
    with a fitted prior: fresh pictures of the same kind, from the seed's mixture component)."""
    m = image_model(model)
    seed = check_number("Seed", seed, 0, MAX_SEED, whole=True)
    variety = check_number("Variety", variety, 0.0, MAX_VARIETY)
    n = check_number("Number of variations", n, 1, MAX_IMAGES, whole=True)
    strength = check_number("Strength", strength, 0.0, 1.0)
    variation_seed = check_number("Variation seed", variation_seed, 0, MAX_SEED - MAX_IMAGES, whole=True)
    z = sampling.model_latents(m, [seed], variety, class_index(m, label))[0]
    return sampling.decode(m, sampling.variations(z, n, strength, variation_seed, sampling.prior_of(m),
                                                  m.class_tail))


def blend_seeds(model: ModelRef, seed_a: int, seed_b: int, steps: int = 8, mode: str = "smooth",
                variety: float = 1.0, loop: bool = False, label_a: str | None = None,
                label_b: str | None = None) -> list[np.ndarray]:
    """Frames from the image of seed_a to the image of seed_b (steps 2..120); loop adds the way back.
    label_a / label_b: their classes (labelled models); one seed with two labels turns one class into
    the other."""
    m = image_model(model)
    steps = check_number("Steps", steps, 2, MAX_BLEND_STEPS, whole=True)
    frames = sampling.blend_seeds(m, check_number("Seed A", seed_a, 0, MAX_SEED, whole=True),
                                  check_number("Seed B", seed_b, 0, MAX_SEED, whole=True), steps, _check_mode(mode),
                                  check_number("Variety", variety, 0.0, MAX_VARIETY),
                                  (class_index(m, label_a), class_index(m, label_b)))
    return sampling.ping_pong(frames) if loop else frames


def blend_images(model: ModelRef, image_a: np.ndarray, image_b: np.ndarray, steps: int = 8,
                 mode: str = "smooth", loop: bool = False, fit: str = "crop") -> list[np.ndarray]:
    """VAE only: frames from one picture to another through the model's latent space."""
    m = image_model(model)
    if m.kind != "vae":
        raise StudioError("Blending your own pictures needs a VAE model; pick a VAE or blend two seeds.")
    steps = check_number("Steps", steps, 2, MAX_BLEND_STEPS, whole=True)
    size = m.config.image_size
    frames = sampling.blend_images(m, fit_square(image_a, size, fit), fit_square(image_b, size, fit), steps,
                                   _check_mode(mode))
    return sampling.ping_pong(frames) if loop else frames


def reconstruct(model: ModelRef, image: np.ndarray, fit: str = "crop") -> np.ndarray:
    """VAE only: the picture as the model redraws it."""
    m = image_model(model)
    if m.kind != "vae":
        raise StudioError("Redrawing your own picture needs a VAE model.")
    return sampling.reconstruct(m, [fit_square(image, m.config.image_size, fit)])[0]


def grid(images: Sequence[np.ndarray], columns: int | None = None) -> np.ndarray:
    return sampling.grid(images, columns)


def strip(images: Sequence[np.ndarray]) -> np.ndarray:
    return sampling.strip(images)


def preset_names() -> list[str]:
    return list(PRESETS)


# ---- latents as numpy arrays, for the UI to remember what made each image ----------------------

def draw(model: ModelRef, n: int = 16, seed: int = 0, variety: float = 1.0, label: str | None = None,
         class_strength: float = 1.0) -> tuple[list[np.ndarray], np.ndarray]:
    """Like generate, also returning the latents (n, latent_dim) float32 so a pick can be varied or blended."""
    m = image_model(model)
    n = check_number("Number of images", n, 1, MAX_IMAGES, whole=True)
    seed = check_number("Seed", seed, 0, MAX_SEED - MAX_IMAGES, whole=True)
    z = sampling.model_latents(m, range(seed, seed + n), check_number("Variety", variety, 0.0, MAX_VARIETY),
                               class_index(m, label), check_class_strength(m, class_strength))
    return sampling.decode(m, z), z.numpy()


def _latent(m: LoadedModel, latent: np.ndarray) -> "torch.Tensor":
    import torch

    z = torch.as_tensor(np.asarray(latent, dtype=np.float32)).reshape(-1)
    if z.numel() != m.latent_dim or not torch.isfinite(z).all():
        raise StudioError("That image was made with a different model; generate it again with this one.")
    return z


def vary_latent(model: ModelRef, latent: np.ndarray, n: int = 8, strength: float = 0.3,
                variation_seed: int = 1) -> tuple[list[np.ndarray], np.ndarray]:
    """Variations around any latent (a seed's, a blend frame's, an encoded picture's)."""
    m = image_model(model)
    z = sampling.variations(_latent(m, latent), check_number("Number of variations", n, 1, MAX_IMAGES, whole=True),
                            check_number("Strength", strength, 0.0, 1.0),
                            check_number("Variation seed", variation_seed, 0, MAX_SEED - MAX_IMAGES, whole=True),
                            sampling.prior_of(m), m.class_tail)
    return sampling.decode(m, z), z.numpy()


def blend_between(model: ModelRef, latent_a: np.ndarray, latent_b: np.ndarray, steps: int = 8,
                  mode: str = "smooth", loop: bool = False) -> list[np.ndarray]:
    """Frames between two remembered latents (two gallery picks)."""
    m = image_model(model)
    frames = sampling.blend_latents(m, _latent(m, latent_a), _latent(m, latent_b),
                                    check_number("Steps", steps, 2, MAX_BLEND_STEPS, whole=True), _check_mode(mode))
    return sampling.ping_pong(frames) if loop else frames


def encode_picture(model: ModelRef, image: np.ndarray, fit: str = "crop") -> np.ndarray:
    """VAE only: a picture's latent (z_dim,) float32."""
    m = image_model(model)
    if m.kind != "vae":
        raise StudioError("Turning a picture into a starting point needs a VAE model.")
    return sampling.encode(m, [fit_square(image, m.config.image_size, fit)])[0].numpy()


# ---- keyframe paths and recipes (a looping walk through 2..8 images; redrawing from a latent) ----

MAX_PATH_SECONDS = 20.0
MAX_PATH_FPS = 30.0


def seed_latent(model: ModelRef, seed: int, variety: float = 1.0, label: str | None = None,
                class_strength: float = 1.0) -> np.ndarray:
    """The latent (latent_dim,) float32 of the image drawn from seed at variety (what draw would use)."""
    m = image_model(model)
    seed = check_number("Seed", seed, 0, MAX_SEED, whole=True)
    return sampling.model_latents(m, [seed], check_number("Variety", variety, 0.0, MAX_VARIETY),
                                  class_index(m, label), check_class_strength(m, class_strength))[0].numpy()


def decode_latents(model: ModelRef, latents: np.ndarray | Sequence[np.ndarray]) -> list[np.ndarray]:
    """Images from remembered latents (N, z_dim), N = 1..64: a favourite or a restored recipe redrawn."""
    import torch

    m = image_model(model)
    try:
        rows = np.asarray(latents, dtype=np.float32)
    except (TypeError, ValueError):
        raise StudioError("A latent must be a list of numbers.") from None
    rows = rows[None] if rows.ndim == 1 else rows
    if rows.ndim != 2 or not 1 <= len(rows) <= MAX_IMAGES:
        raise StudioError(f"Give 1 to {MAX_IMAGES} latents of {m.latent_dim} numbers each.")
    return sampling.decode(m, torch.stack([_latent(m, row) for row in rows]))


def blend_latents(model: ModelRef, latent_a: np.ndarray, latent_b: np.ndarray, steps: int = 8,
                  mode: str = "smooth") -> np.ndarray:
    """The latents (steps, z_dim) float32 of a blend's frames, the ends included: what blend_* decodes."""
    m = image_model(model)
    return sampling.interpolate(_latent(m, latent_a), _latent(m, latent_b),
                                check_number("Steps", steps, 2, MAX_BLEND_STEPS, whole=True), _check_mode(mode),
                                m.class_tail).numpy()


def render_path(model: ModelRef, latents: np.ndarray | Sequence[np.ndarray], seconds: float = 4.0,
                fps: float = 12.0, motion: str = "smooth",
                on_progress: Callable[[int, int], None] | None = None) -> list[np.ndarray]:
    """A looping path through 2..8 keyframe latents (K, z_dim): round(seconds * fps) frames, every
    keyframe one of them, the last frame leading back to the first. seconds 0.5..20, fps 1..30;
    motion "smooth" (glides through keyframes) or "ease" (slows into each one)."""
    m = image_model(model)
    keys = list(latents) if not isinstance(latents, np.ndarray) or latents.ndim == 2 else [latents]
    if not keyframes.MIN_KEYFRAMES <= len(keys) <= keyframes.MAX_KEYFRAMES:
        raise StudioError(f"A path needs {keyframes.MIN_KEYFRAMES} to {keyframes.MAX_KEYFRAMES} keyframes; "
                          f"it has {len(keys)}.")
    import torch

    z = torch.stack([_latent(m, key) for key in keys])  # (K, z_dim), each checked: size and finite
    seconds = check_number("Length (seconds)", seconds, 0.5, MAX_PATH_SECONDS)
    fps = check_number("Frames per second", fps, 1.0, MAX_PATH_FPS)
    if motion not in keyframes.MOTIONS:
        raise StudioError("The path's motion must be 'smooth' or 'ease'.")
    n = keyframes.frame_count(seconds, fps)
    if n < len(keys):
        raise StudioError(f"{len(keys)} keyframes need at least {len(keys)} frames; make the path longer or "
                          f"raise the frame rate.")
    return keyframes.render_path(m, z.numpy(), seconds, fps, motion, on_progress=on_progress)
