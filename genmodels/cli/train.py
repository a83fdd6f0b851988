"""`python -m genmodels.train`: train a model folder from a folder or zip of pictures, with a tqdm bar.

Also runs unchanged under `torchrun --nproc_per_node=N -m genmodels.train ...` (DistributedDataParallel;
rank 0 prints, checkpoints and exports).
"""
from __future__ import annotations

import argparse
import dataclasses
import threading
from pathlib import Path

from tqdm import tqdm

from ..data.dataset import load_dataset
from ..data.texture_crops import DEFAULT_SCALE, MAX_SCALE, MIN_SCALE, load_texture_dataset
from ..imaging.fit import FITS
from ..models.presets import get_preset
from ..training import distributed as dist
from ..training.config import TrainConfig
from ..training.loop import train
from ..training.recipes import DEFAULT_RECIPE, GAN_RECIPES
from .common import OneLineParser, run_cli


def build_parser() -> OneLineParser:
    """--data, --out, --fit and --resume, then one flag per TrainConfig field with its default and help."""
    p = OneLineParser(prog="python -m genmodels.train", description=(
        "Train a GAN or VAE on your pictures, or a seamless-texture model (--model texture) on one to twenty "
        "pictures of a texture, and export a model folder (config.json + model.safetensors + README.md). "
        "Ctrl-C stops cleanly and keeps the model; --resume continues from the last checkpoint."))
    p.add_argument("--data", required=True, type=Path,
                   help="a folder (searched recursively) or a .zip of pictures; sub-folders (2-100, at least 5 "
                        "pictures each) become classes the model learns to draw on request; for --model "
                        "texture also one picture")
    p.add_argument("--out", required=True, type=Path, help="the model folder to write, e.g. weights/my-model")
    for f in dataclasses.fields(TrainConfig):
        flag = f.metadata["flag"] or "--" + f.name.replace("_", "-")
        choices = f.metadata["choices"]
        help_text = f.metadata["help"]
        if f.name == "recipe":
            summaries = "; ".join(f"{name}: {spec.summary}" for name, spec in GAN_RECIPES.items())
            help_text += f", {DEFAULT_RECIPE}. Recipes: {summaries}"
        elif choices:
            help_text += f": {', '.join(choices)}"
        if f.default is not None:
            help_text += f" (default {f.default})"
        p.add_argument(flag, dest=f.name, default=f.default, type=_value_type(f.type), choices=choices,
                       metavar=(f.name if choices else flag[2:]).upper().replace("-", "_"), help=help_text)
    p.add_argument("--fit", choices=FITS, default="crop", help="crop to square (default) or pad on white")
    p.add_argument("--scale", type=int, default=DEFAULT_SCALE,
                   help=f"texture models: shrink each picture's short side to at most this many px first "
                        f"({MIN_SCALE}-{MAX_SCALE}, and at least texture-large's 128 px crops; default {DEFAULT_SCALE}); "
                        "lower = larger texture elements")
    p.add_argument("--no-labels", dest="labels", action="store_false",
                   help="train on every picture as one set, even when they sit in class sub-folders")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint")
    return p


def _value_type(annotation: str):
    """A TrainConfig annotation ("float | None", "int", "str") -> the argparse type."""
    return float if "float" in annotation else int if "int" in annotation else str


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    dist.init_from_env()
    try:  # every rank, rank 0 included, leaves the process group however training ends
        return _train(args, lead=dist.rank() == 0)
    finally:
        dist.shutdown()


def _train(args: argparse.Namespace, lead: bool) -> int:
    cfg = TrainConfig(**{f.name: getattr(args, f.name) for f in dataclasses.fields(TrainConfig)})
    model_cfg = get_preset(cfg.preset)
    if cfg.kind == "texture":
        dataset = load_texture_dataset(args.data, model_cfg.crop_size, args.scale, seed=cfg.seed)
    else:
        dataset = load_dataset(args.data, model_cfg.image_size, model_cfg.channels, args.fit, labels=args.labels)
    if lead:
        print(dataset.report.summary())
        for name, reason in dataset.report.skipped[:10]:
            print(f"  skipped {name}: {reason}")
    stop = threading.Event()
    bar = tqdm(total=1000, unit="‰", disable=not lead, bar_format="{l_bar}{bar}| {elapsed}<{remaining} {postfix}")
    events = train(cfg, dataset, args.out, stop=stop, resume=args.resume)
    while True:
        try:
            ev = next(events)
        except StopIteration:
            break
        except KeyboardInterrupt:  # Ctrl-C outside the training step: ask the loop to stop and save
            stop.set()
            continue
        bar.n = int(ev.fraction * 1000)
        if ev.losses:
            bar.set_postfix_str(" ".join(f"{k}={v:.3f}" for k, v in ev.losses.items())
                                + f" {ev.images_per_s:.0f} img/s step {ev.step}")
        bar.refresh()
        if lead and ev.kind in ("started", "checkpoint", "finished", "stopped", "diverged"):
            tqdm.write(ev.message)
        if ev.model_dir:
            tqdm.write(f"model folder: {ev.model_dir}")
    bar.close()
    return 0


def cli() -> None:
    """The installed command's entry point (pyproject.toml [project.scripts])."""
    run_cli(main)

