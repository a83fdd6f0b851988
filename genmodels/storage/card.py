"""The model card (README.md) written beside every model folder and pushed to the Hub.

The card is built from config.json's metadata only. It never contains training images, file
paths from the user's machine, or tokens.
"""
from __future__ import annotations

import re
from typing import Any

from huggingface_hub import ModelCardData

from ..models.texture import TextureConfig
from ..text import markdown_text

LIBRARY_NAME = "latent-studio"
_LICENSE_ID = re.compile(r"[a-z0-9][a-z0-9.+-]{0,63}")  # Hub license ids (mit, cc-by-4.0, apache-2.0, other)
_IMAGE_COUNT_KEYS = ("images_used", "image_count", "images", "n_images", "count")


def render_card(meta: dict[str, Any], has_samples: bool, repo_id: str | None = None,
                has_swatches: bool = False) -> str:
    """meta is config.json's content: kind, preset, config, name, and optional training/dataset/credit/license.

    repo_id, when the card is for a Hub repo, adds how to pull the model with Latent Studio. has_swatches:
    the folder keeps crops of its training pictures (a texture model's swatches.safetensors)."""
    kind = meta["kind"]
    name = meta.get("name") or "Latent Studio model"
    cfg = meta["config"]
    tags = ["latent-studio", kind, "unconditional-image-generation", "pytorch", "safetensors"]
    gan_arch = cfg.get("arch", "dcgan")  # folders from before the fastgan recipe have no "arch"
    tags.append({"gan": gan_arch, "vae": "variational-autoencoder", "texture": "texture-synthesis"}[kind])
    license_id = str(meta.get("license") or "other").strip().lower()
    if not _LICENSE_ID.fullmatch(license_id):
        license_id = "other"  # keep the YAML valid whatever a user typed
    gan_name = ({"dcgan": "DCGAN generator", "fastgan": "FastGAN-style generator (skip-layer excitation)"}
                .get(gan_arch, "GAN generator"))
    if kind == "gan" and cfg.get("base_size"):
        gan_name = (f"two-stage DCGAN generator ({cfg['base_size']} px GAN, then an adversarially trained "
                    "detail network)")
    arch = gan_name if kind == "gan" else (
        f"two-stage convolutional VAE ({cfg['base_size']} px layout, then an adversarially trained detail network)"
        if cfg.get("base_size") else "convolutional VAE")
    colour = "RGB" if cfg["channels"] == 3 else "grayscale"
    what = f"A {cfg.get('image_size')}x{cfg.get('image_size')} {colour} {arch}"
    if kind == "texture":
        step = TextureConfig(**cfg).size_step
        waves = (f", with {cfg['waves']} periodic inputs read from the pictures' regular repeats"
                 if cfg.get("waves") else "")
        scales = (", in two scales: the layout learnt from the crops at half scale, then a detail network"
                  if cfg.get("detail_width") else "")
        what = (f"A seamless-texture GAN ({colour}; a spatial GAN with circular padding{waves}, trained on "
                f"{cfg['crop_size']} px crops{scales}): it draws textures of any size from {max(64, step)} to 2048 "
                f"px in steps of {step} px, and each one tiles with no seam,")
    card_data = ModelCardData(library_name=LIBRARY_NAME, license=license_id,
                              pipeline_tag="unconditional-image-generation", tags=tags)
    lines = [
        "---",
        card_data.to_yaml(),
        "---",
        "",
        f"# {name}",
        "",
        f"{what} made with Latent Studio"
        f" (preset `{meta.get('preset') or 'custom'}`).",
        "",
    ]
    if has_samples:
        lines += ["![Samples drawn from this model](samples.png)", ""]
    classes = cfg.get("classes") or []
    if classes:
        lines += ["## Classes", "",
                  f"Trained on a labelled set: it draws any of its {len(classes)} classes on request (`label=` in "
                  "Python, `--label` on the command line, the class picker in the studio):",
                  "", "Classes: " + ", ".join(markdown_text(str(c)) for c in classes) + ".", "",
                  "A class strength above 1 (`class_strength=` in Python, `--class-strength` on the command "
                  "line, the Class strength slider in the studio; up to 3) draws each class more clearly, "
                  "with less variety between seeds.", ""]
        own = cfg.get("class_strengths") or []
        if len(own) == len(classes) and any(v != 1 for v in own):
            lines += ["At strength 1 each class draws at its own strength (a higher one raises it), the highest at "
                      "which its pictures kept most of their variety after training: "
                      + ", ".join(f"{markdown_text(str(c))} {v:g}" for c, v in zip(classes, own)) + ".", ""]
    training = meta.get("training")
    if training:
        lines += ["## Training", ""]
        lines += [f"- {key.replace('_', ' ')}: {value}" for key, value in training.items()]
        lines.append("")
    dataset = meta.get("dataset")
    if isinstance(dataset, dict) and dataset:
        # Only the report's summary and the image count: never the images or where they came from.
        lines += ["## Training data", ""]
        if dataset.get("summary"):
            lines += [str(dataset["summary"]), ""]
        count = next((dataset[k] for k in _IMAGE_COUNT_KEYS if isinstance(dataset.get(k), int)), None)
        if count is not None and not isinstance(count, bool):
            lines += [f"Trained on {count} images.", ""]
    quality = meta.get("quality")
    if isinstance(quality, dict) and "swd_x1000" in quality:
        lines += ["## Quality", "",
                  f"- sliced Wasserstein distance to the training pictures (x1000, lower is better): "
                  f"{quality['swd_x1000']}",
                  f"- the same distance between two halves of the pictures (the floor): {quality.get('swd_floor_x1000')}",
                  f"- near copies of a training picture among {quality.get('images')} drawn images: "
                  f"{quality.get('near_copy_rate', 0):.1%}", ""]
    lines += _prior_lines(meta)
    if has_swatches:
        lines += ["## Swatches", "",
                  "`swatches.safetensors` keeps small crops of the training pictures, from which textures are "
                  "drawn with crisp detail (the default in Python, on the command line and in the studio's Crisp "
                  "detail; `crisp=False` or `--no-crisp` draw without). Anyone who has this model can see them; "
                  "delete the file to share the model without them (it then draws without crisp detail).", ""]
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
        *_use_lines(repo_id, kind),
        "Weights are stored as safetensors only; nothing in this folder is ever unpickled.",
        "",
    ]
    return "\n".join(lines)


def _prior_lines(meta: dict[str, Any]) -> list[str]:
    """How random images are drawn, for VAEs with a fitted mixture prior (vae_prior.py)."""
    cfg = meta["config"]
    if meta["kind"] != "vae" or cfg.get("prior") != "gmm":
        return []
    fit = meta.get("prior") if isinstance(meta.get("prior"), dict) else {}
    cov = {"full": "full-covariance ", "diag": "diagonal-covariance "}.get(fit.get("covariance"), "")
    images = f" of the {fit['images']} training pictures" if isinstance(fit.get("images"), int) else ""
    return ["## How random images are drawn", "",
            f"Not from N(0, I): after training, the encoder's means{images} were fitted with a "
            f"{cfg.get('prior_components')}-component {cov}Gaussian mixture (ex-post density estimation, "
            "Ghosh et al. 2020), stored with the weights (`prior.*`). Seed s draws one exact sample of that "
            "mixture; variety scales the spread inside its component (0 = the component's average picture). "
            "Redrawing and blending your own pictures uses the encoder and decoder only, as in any VAE.", ""]


def _use_lines(repo_id: str | None, kind: str = "gan") -> list[str]:
    """Three lines of Python, then the command line, with Latent Studio installed (`pip install .` in its
    folder gives the package and the latent-studio-* commands)."""
    where = repo_id or "PATH_TO_THIS_FOLDER"
    folder = repo_id.split("/")[-1] if repo_id else where
    pull = [f"latent-studio-hub pull {repo_id} --out {folder}"] if repo_id else []
    return [
        "With Latent Studio installed, in Python:",
        "",
        "```python",
        "from genmodels import LatentStudioModel",
        f'model = LatentStudioModel.from_pretrained("{where}")',
        *(["tile = model.draw_texture(seed=0, size=1024)  # uint8 1024x1024x3, tiles seamlessly"]
          if kind == "texture" else
          ["images = model.generate(16, seed=0)  # 16 uint8 HxWx3 arrays, the same for the same seed"]),
        "```",
        "",
        "or on the command line:",
        "",
        "```bash",
        *pull,
        f"latent-studio-sample --model {folder} --size 1024 --seed 0 --out tile.png" if kind == "texture" else
        f"latent-studio-sample --model {folder} --n 16 --seed 0 --out grid.png",
        "```",
        "",
    ]


def _json(value: Any) -> str:
    import json

    return json.dumps(value, indent=2, sort_keys=True)
