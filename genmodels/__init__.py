"""Latent Studio's model core: small DCGANs and VAEs, their folder format, sampling and blending,
datasets and training, model zips and the Hub.

The public surface is the facade (api.py, api_train.py, model_zip.py, hub.py: plain values in and
out) plus the few types it returns. The UI imports only this.
"""
from .api import (
    MAX_IMAGES,
    MAX_SEED,
    blend_between,
    blend_images,
    blend_latents,
    blend_seeds,
    decode_latents,
    describe,
    draw,
    encode_picture,
    generate,
    get_model,
    grid,
    list_models,
    preset_names,
    reconstruct,
    render_path,
    seed_latent,
    strip,
    untrained_model,
    use_device,
    variations,
    vary_latent,
)
from .api_explore import direction_strips, find_directions, find_in_model, move_along
from .errors import StudioError
from .media import write_gif, write_mp4
from .model_zip import export_zip as export_model_zip
from .model_zip import import_zip as import_model_zip
from .presets import PRESETS
from .recipes import GAN_RECIPES, MAIN_RECIPES, RECIPE_LABELS, RECOMMENDED_CHOICE
from .safe_image import load_image
from .store import LoadedModel, ModelLoadError, load_model, save_model

# Modules that are also command-line entry points (python -m genmodels.train / .hub) are imported on
# first use: importing them here would make `python -m` load them twice (runpy's RuntimeWarning).
_LAZY = {
    "SAMPLE_IMAGES": "api_train", "can_resume": "api_train", "dataset_views": "api_train",
    "prepare_dataset": "api_train", "preset_name": "api_train", "run_training": "api_train",
    "quality_summary": "api_train", "originality_index": "api_train", "nearest_training": "api_train",
    "pull_model": "hub", "push_model": "hub", "LatentStudioModel": "hub_model",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'genmodels' has no attribute {name!r}")

__all__ = [
    "MAX_IMAGES", "MAX_SEED", "blend_between", "blend_images", "blend_seeds", "describe", "draw", "encode_picture", "generate", "get_model",
    "grid", "list_models", "preset_names", "reconstruct", "strip", "untrained_model", "use_device", "variations", "vary_latent",
    "SAMPLE_IMAGES", "can_resume", "dataset_views", "prepare_dataset", "preset_name", "run_training",
    "StudioError", "pull_model", "push_model", "LatentStudioModel", "write_gif", "write_mp4", "export_model_zip", "import_model_zip",
    "PRESETS", "RECOMMENDED_CHOICE", "GAN_RECIPES", "MAIN_RECIPES", "RECIPE_LABELS", "load_image", "LoadedModel", "ModelLoadError", "load_model", "save_model",
    "direction_strips", "find_directions", "find_in_model", "move_along",
    "blend_latents", "decode_latents", "render_path", "seed_latent",
]
