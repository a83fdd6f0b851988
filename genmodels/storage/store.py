"""The model folder format: config.json + model.safetensors + README.md (+ samples.png, directions.safetensors,
and for a texture model swatches.safetensors).

config.json holds {"format_version", "kind": "gan"|"vae"|"texture", "preset", "config": {dataclass fields}, "name",
and optional "training", "dataset", "credit", "license"}. model.safetensors holds the network that
draws images: the generator for a GAN or a texture model (the EMA copy when one was trained), the whole VAE.
Loading reads safetensors only and checks keys, shapes and finiteness before any use.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch import nn

from ..errors import StudioError
from ..models.gan import GANConfig, build_generator
from ..models.presets import ModelConfig, model_kind
from ..models.texture import TextureConfig, TextureGenerator
from ..models.texture_detail import TwoScaleTexture
from ..models.vae import VAE, VAEConfig
from .card import render_card
from .safe_tensors_io import (
    SafetensorsFileError,
    read_tensors,
    write_bytes_atomic,
    write_tensors_atomic,
)
from .swatches import SWATCHES_FILE, load_swatches, save_swatches

FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
CARD_FILE = "README.md"
SAMPLES_FILE = "samples.png"
DIRECTIONS_FILE = "directions.safetensors"  # the Explore tab's directions (directions.py), optional
MODEL_FILES = (CONFIG_FILE, WEIGHTS_FILE, CARD_FILE)  # what a folder must hold; samples.png is optional
# Every file that travels with a model (zips, Hub pushes and pulls); nothing else ever does.
PORTABLE_FILES = (CONFIG_FILE, WEIGHTS_FILE, CARD_FILE, SAMPLES_FILE, DIRECTIONS_FILE, SWATCHES_FILE)
PICKLE_SUFFIXES = (".pt", ".pth", ".bin", ".pkl", ".pickle", ".ckpt", ".joblib")
_CONFIG_TYPES = {"gan": GANConfig, "vae": VAEConfig, "texture": TextureConfig}
MAX_NAME = 100  # characters in a model's name
WEIGHT_DTYPES = (torch.float32, torch.float16, torch.bfloat16)  # what floating weights may be stored as

log = logging.getLogger(__name__)


class ModelLoadError(StudioError):
    """A model folder that cannot be used; the message is one sentence a designer can act on."""


@dataclass
class LoadedModel:
    """A ready-to-sample network (eval mode, CPU float32) plus what config.json says about it."""

    kind: str
    config: ModelConfig
    network: nn.Module
    meta: dict[str, Any] = field(default_factory=dict)
    swatches: torch.Tensor | None = None  # a texture model's crops of its pictures, for crisp detail

    @property
    def z_dim(self) -> int:
        """The noise's size: what seeds draw."""
        return self.config.z_dim

    @property
    def classes(self) -> tuple[str, ...]:
        """A labelled model's class names, in label order; () for an unlabelled one."""
        return getattr(self.config, "classes", ())

    @property
    def class_tail(self) -> int:
        """Class weights at the end of each latent: one per class for a labelled GAN, else 0 (a labelled
        VAE's class lives in where its latent is, through its prior)."""
        return len(self.classes) if self.kind == "gan" else 0

    @property
    def class_strengths(self) -> tuple[float, ...]:
        """A labelled GAN's own strength per class (GANConfig.class_strengths), () = 1 for every class."""
        return getattr(self.config, "class_strengths", ()) if self.class_tail else ()

    @property
    def latent_dim(self) -> int:
        """Numbers in one latent the network decodes: z_dim plus class_tail."""
        return self.config.z_dim + self.class_tail

    @property
    def name(self) -> str:
        return self.meta.get("name") or self.meta.get("preset") or self.kind

    @property
    def device(self) -> torch.device:
        """Where the network runs (CPU unless the caller moved it, e.g. api.use_device("cuda"))."""
        return next(self.network.parameters()).device


def build_network(cfg: ModelConfig, init_seed: int = 0) -> nn.Module:
    """The network that draws images for a config: a Generator for a GAN, the VAE for a VAE, a
    TextureGenerator (or, with two scales, a TwoScaleTexture) for a texture model.

    Initialisation draws from its own seeded RNG, so building (or loading) a model never moves the
    caller's global RNG and the same init_seed always gives the same starting weights."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(init_seed)
        if isinstance(cfg, TextureConfig):
            return TwoScaleTexture(cfg) if cfg.detail_width else TextureGenerator(cfg)
        return build_generator(cfg) if isinstance(cfg, GANConfig) else VAE(cfg)


def save_model(folder: str | Path, network: nn.Module, cfg: ModelConfig, meta: dict[str, Any] | None = None,
               sample_grid: np.ndarray | None = None, half_precision: bool = False,
               swatches: torch.Tensor | None = None) -> Path:
    """Write a model folder. meta may carry name, preset, training, dataset, credit, license. swatches: a
    texture model's training crops, of which swatches.safetensors keeps what fits (swatches.py).

    half_precision stores floating weights as float16 (half the size; pixels move by < 1/8 of a level):
    the built-in models use it to fit the repository's size budget. Loading casts back to float32."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v for k, v in network.state_dict().items()}
    if not all(torch.isfinite(v).all() for v in state.values() if v.is_floating_point()):
        raise ModelLoadError("The model has non-finite weights (training diverged), so it was not saved.")
    if half_precision:
        state = {k: v.half() if v.is_floating_point() else v for k, v in state.items()}
    content = {**(meta or {}), "format_version": FORMAT_VERSION, "kind": model_kind(cfg),
               "config": dataclasses.asdict(cfg), "weights_dtype": "float16" if half_precision else "float32"}
    if "name" in content:  # a folder's name (any length, any characters) becomes one the loader accepts
        content["name"] = plain_name(content["name"])
    write_tensors_atomic(folder / WEIGHTS_FILE, state, metadata={"format": "pt", "kind": content["kind"]})
    if sample_grid is not None:
        write_bytes_atomic(folder / SAMPLES_FILE, _png_bytes(sample_grid))
    if swatches is not None:
        save_swatches(folder, swatches)
    has_samples = sample_grid is not None or (folder / SAMPLES_FILE).exists()
    card = render_card(content, has_samples, has_swatches=(folder / SWATCHES_FILE).is_file())
    write_bytes_atomic(folder / CARD_FILE, card.encode())
    write_bytes_atomic(folder / CONFIG_FILE, json.dumps(content, indent=2, sort_keys=True).encode())
    return folder


def _png_bytes(image: np.ndarray) -> bytes:
    import io

    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="PNG")
    return buf.getvalue()


def read_config(folder: str | Path) -> dict[str, Any]:
    """Parse and check config.json; returns its content with "config" still a dict."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ModelLoadError(f"{folder.name or folder} is not a model folder.")
    path = folder / CONFIG_FILE
    if not path.is_file():
        raise ModelLoadError(f"The model folder {folder.name} has no {CONFIG_FILE}.")
    if path.stat().st_size > 1 << 20:
        raise ModelLoadError(f"{CONFIG_FILE} in {folder.name} is too large to be a model config.")
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ModelLoadError(f"{CONFIG_FILE} in {folder.name} is not valid JSON.") from None
    if not isinstance(content, dict):
        raise ModelLoadError(f"{CONFIG_FILE} in {folder.name} is not a model config.")
    version = content.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ModelLoadError(f"{CONFIG_FILE} in {folder.name} has no valid format_version.")
    if version > FORMAT_VERSION:
        raise ModelLoadError(f"{folder.name} was saved by a newer Latent Studio (format {version}); please update.")
    if content.get("kind") not in _CONFIG_TYPES or not isinstance(content.get("config"), dict):
        raise ModelLoadError(f"{CONFIG_FILE} in {folder.name} does not say which kind of model it holds.")
    name = content.get("name")
    if name is not None and not _plain_name(name):
        raise ModelLoadError(f"{CONFIG_FILE} in {folder.name} has a name that is not plain text of 1 to "
                             f"{MAX_NAME} characters.")
    return content


def plain_name(name: Any) -> str:
    """Any name as a model name the loader accepts: printable characters only, trimmed, cut to MAX_NAME."""
    text = "".join(ch for ch in str(name) if ch.isprintable()).strip()[:MAX_NAME].strip()
    return text or "model"


def _plain_name(name: Any) -> bool:
    """A model name is shown in pickers, captions and messages: a short single line of printable text."""
    return isinstance(name, str) and 1 <= len(name) <= MAX_NAME and name.isprintable() and name.strip() == name


def _check_types(cls: type, values: dict[str, Any]) -> None:
    """config.json's values have the types their dataclass fields declare (JSON has no int/float split,
    and a float where an int belongs would fail deep inside a layer): one sentence otherwise."""
    for f in dataclasses.fields(cls):
        if f.name not in values:
            continue
        value, kind = values[f.name], str(f.type)
        ok = {"int": lambda v: isinstance(v, int) and not isinstance(v, bool),
              "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v),
              "str": lambda v: isinstance(v, str),
              "bool": lambda v: isinstance(v, bool),
              "tuple[str, ...]": lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
              "tuple[float, ...]": lambda v: isinstance(v, list) and all(
                  isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in v)}.get(kind)
        if ok is not None and not ok(value):
            wanted = {"int": "a whole number", "float": "a number", "str": "text", "bool": "true or false",
                      "tuple[str, ...]": "a list of names", "tuple[float, ...]": "a list of numbers"}[kind]
            raise ModelLoadError(f"The model config's {f.name} must be {wanted}.")


def config_from_dict(kind: str, values: dict[str, Any]) -> ModelConfig:
    cls = _CONFIG_TYPES[kind]
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(values) - names
    if unknown:
        shown = ", ".join(sorted(str(k)[:40] for k in unknown)[:5])
        raise ModelLoadError(f"The model config has unknown settings: {shown}.")
    _check_types(cls, values)
    try:
        return cls(**values)
    except (TypeError, ValueError) as exc:
        raise ModelLoadError(f"The model config is invalid: {exc}.") from None


def load_model(folder: str | Path) -> LoadedModel:
    """Load a model folder (safetensors only) into a LoadedModel. Raises ModelLoadError."""
    folder = Path(folder)
    weights = folder / WEIGHTS_FILE
    if folder.is_dir() and not weights.is_file():
        pickles = sorted(p.name for p in folder.iterdir() if p.suffix.lower() in PICKLE_SUFFIXES)
        if pickles:
            raise ModelLoadError(f"{folder.name} holds only pickle weights ({pickles[0]}), which are never loaded "
                                 f"because they can run code; export them as {WEIGHTS_FILE}.")
    content = read_config(folder)
    cfg = config_from_dict(content["kind"], content["config"])
    if not weights.is_file():
        raise ModelLoadError(f"The model folder {folder.name} has no {WEIGHTS_FILE}.")
    try:
        tensors = read_tensors(weights)
    except SafetensorsFileError as exc:
        raise ModelLoadError(str(exc)) from None
    network = build_network(cfg)
    _check_state(network, tensors, folder.name)
    network.load_state_dict(tensors, strict=True)
    network.eval()
    return LoadedModel(kind=content["kind"], config=cfg, network=network, meta=content,
                       swatches=_swatches(folder) if content["kind"] == "texture" else None)


def _swatches(folder: Path) -> torch.Tensor | None:
    """A texture model's swatches; an unreadable file costs crisp detail, not the model (logged)."""
    try:
        return load_swatches(folder)
    except SafetensorsFileError as exc:
        log.warning("%s: %s It draws without crisp detail.", folder.name, exc)
        return None


def _check_state(network: nn.Module, tensors: dict[str, torch.Tensor], name: str) -> None:
    expected = network.state_dict()
    missing = sorted(set(expected) - set(tensors))
    extra = sorted(set(tensors) - set(expected))
    if missing or extra:
        detail = f"missing {missing[0]}" if missing else f"unexpected {extra[0]}"
        raise ModelLoadError(f"The weights in {name} do not match its config ({detail}).")
    for key, value in tensors.items():
        want = expected[key].dtype
        allowed = WEIGHT_DTYPES if want.is_floating_point else (want,)
        if value.dtype not in allowed:
            raise ModelLoadError(f"The weights in {name} have the wrong number type ({key} is {value.dtype}, "
                                 f"expected {' or '.join(str(d) for d in allowed)}).")
        if value.shape != expected[key].shape:
            raise ModelLoadError(f"The weights in {name} do not match its config ({key} has shape "
                                 f"{tuple(value.shape)}, expected {tuple(expected[key].shape)}).")
        if value.is_floating_point() and not torch.isfinite(value).all():
            raise ModelLoadError(f"The weights in {name} contain NaN or infinite values ({key}).")
