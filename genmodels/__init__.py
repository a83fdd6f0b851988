"""Latent Studio's model core: small DCGANs and VAEs, their folder format, sampling and blending.

The public surface is the facade in api.py (plain values in and out) plus the few types it returns.
"""
from .api import (
    blend_images,
    blend_seeds,
    describe,
    generate,
    get_model,
    grid,
    list_models,
    preset_names,
    reconstruct,
    strip,
    untrained_model,
    variations,
)
from .errors import StudioError
from .media import write_gif, write_mp4
from .presets import PRESETS
from .store import LoadedModel, ModelLoadError, load_model, save_model

__all__ = [
    "blend_images", "blend_seeds", "describe", "generate", "get_model", "grid", "list_models", "preset_names",
    "reconstruct", "strip", "untrained_model", "variations", "StudioError", "write_gif", "write_mp4", "PRESETS",
    "LoadedModel", "ModelLoadError", "load_model", "save_model",
]
