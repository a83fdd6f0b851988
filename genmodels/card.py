"""The model card (README.md) written beside every model folder and pushed to the Hub.

The card is built from config.json's metadata only. It never contains training images, file
paths from the user's machine, or tokens.
"""
from __future__ import annotations

from typing import Any

LIBRARY_NAME = "latent-studio"


def _yaml_list(items: list[str]) -> str:
    return "\n".join(f"- {item}" for item in items)


def render_card(meta: dict[str, Any], has_samples: bool) -> str:
    """meta is config.json's content: kind, preset, config, name, and optional training/dataset/credit/license."""
    kind = meta["kind"]
    name = meta.get("name") or "Latent Studio model"
    cfg = meta["config"]
    tags = ["latent-studio", kind, "unconditional-image-generation", "pytorch", "safetensors"]
    tags.append("dcgan" if kind == "gan" else "variational-autoencoder")
    license_id = meta.get("license", "other")
    arch = "DCGAN generator" if kind == "gan" else "convolutional VAE"
    colour = "RGB" if cfg["channels"] == 3 else "grayscale"
    lines = [
        "---",
        f"library_name: {LIBRARY_NAME}",
        f"license: {license_id}",
        "pipeline_tag: unconditional-image-generation",
        "tags:",
        _yaml_list(tags),
        "---",
        "",
        f"# {name}",
        "",
        f"A {cfg['image_size']}x{cfg['image_size']} {colour} {arch} made with Latent Studio"
        f" (preset `{meta.get('preset') or 'custom'}`).",
        "",
    ]
    if has_samples:
        lines += ["![Samples drawn from this model](samples.png)", ""]
    training = meta.get("training")
    if training:
        lines += ["## Training", ""]
        lines += [f"- {key.replace('_', ' ')}: {value}" for key, value in training.items()]
        lines.append("")
    dataset = meta.get("dataset")
    if dataset:
        lines += ["## Training data", "", str(dataset.get("summary", "")), ""]
    if meta.get("credit"):
        lines += ["## Credits", "", str(meta["credit"]), ""]
    lines += [
        "## Settings",
        "",
        "```json",
        _json(cfg),
        "```",
        "",
        "## How to use",
        "",
        "```bash",
        "python -m genmodels.sample --model PATH_TO_THIS_FOLDER --n 16 --seed 0 --out grid.png",
        "```",
        "",
        "```python",
        "from genmodels import load_model, generate",
        "model = load_model('PATH_TO_THIS_FOLDER')",
        "images = generate(model, n=16, seed=0)  # 16 uint8 HxWx3 arrays",
        "```",
        "",
        "Weights are stored as safetensors only; nothing in this folder is ever unpickled.",
        "",
    ]
    return "\n".join(lines)


def _json(value: Any) -> str:
    import json

    return json.dumps(value, indent=2, sort_keys=True)
