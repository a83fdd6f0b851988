"""Latent Studio's model core: small DCGANs and VAEs, their folder format, sampling and blending,
datasets and training, model zips and the Hub.

The public surface is the facade (api/, plus model zips and the Hub's push and pull: plain values in
and out) plus the few types it returns. The UI imports only this.
"""
from .api import *  # noqa: F403  (the facade: api/__init__.py lists it)
from .api import __all__ as _facade
from .checks import check_number
from .data.safe_image import load_image
from .errors import StudioError
from .generation.media import write_gif, write_mp4
from .hub.client import pull_model, push_model
from .hub.model import LatentStudioModel
from .models.presets import PRESETS
from .storage.model_zip import export_zip as export_model_zip
from .storage.model_zip import import_zip as import_model_zip
from .storage.store import LoadedModel, ModelLoadError, load_model, save_model
from .text import markdown_text
from .training.recipes import (
    GAN_RECIPES,
    MAIN_RECIPES,
    RECIPE_LABELS,
    RECOMMENDED_CHOICE,
)

__all__ = [
    *_facade,
    "StudioError", "check_number", "write_gif", "write_mp4", "export_model_zip", "import_model_zip", "PRESETS",
    "GAN_RECIPES", "MAIN_RECIPES", "RECIPE_LABELS", "RECOMMENDED_CHOICE", "load_image", "LoadedModel", "ModelLoadError",
    "load_model", "save_model", "pull_model", "push_model", "LatentStudioModel", "markdown_text",
]
