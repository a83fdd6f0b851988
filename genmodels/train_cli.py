"""`python -m genmodels.train`: train a model folder from a folder or zip of pictures, with a tqdm bar.

Also runs unchanged under `torchrun --nproc_per_node=N -m genmodels.train ...` (DistributedDataParallel;
rank 0 prints, checkpoints and exports).
"""
from __future__ import annotations

import argparse
import threading
from pathlib import Path

from tqdm import tqdm

from . import distributed as dist
from .cli_common import OneLineParser
from .data import load_dataset
from .fit import FITS
from .presets import PRESETS, get_preset
from .train import train
from .recipes import DEFAULT_RECIPE, GAN_RECIPES
from .train_config import PRECISIONS, RECIPES, TrainConfig


def build_parser() -> OneLineParser:
    p = OneLineParser(prog="python -m genmodels.train", description=(
        "Train a GAN or VAE on your pictures and export a model folder (config.json + model.safetensors + "
        "README.md). Ctrl-C stops cleanly and keeps the model; --resume continues from the last checkpoint."))
    p.add_argument("--data", required=True, type=Path, help="a folder (searched recursively) or a .zip of pictures")
    p.add_argument("--out", required=True, type=Path, help="the model folder to write, e.g. weights/my-model")
    p.add_argument("--model", default="dcgan-64", choices=list(PRESETS), metavar="PRESET",
                   help=f"model preset (default dcgan-64): {', '.join(PRESETS)}")
    p.add_argument("--recipe", default=None, choices=RECIPES, metavar="RECIPE",
                   help=f"GAN recipe (default: the recommended one, {DEFAULT_RECIPE}): " + "; ".join(
                       f"{name}: {spec.summary}" for name, spec in GAN_RECIPES.items()))
    p.add_argument("--minutes", type=float, default=10.0, help="time budget, fractions allowed (default 10)")
    p.add_argument("--epochs", type=int, default=None, help="stop after this many epochs (optional)")
    p.add_argument("--steps", type=int, default=None, help="stop after this many steps (optional)")
    p.add_argument("--batch-size", type=int, default=None,
                   help="images per step (default: automatic, the recipe's choice for this device)")
    p.add_argument("--lr", type=float, default=None, help="Adam learning rate (default: the recipe's, e.g. fastgan 1e-3 decaying to 2e-4, classic 2e-4; VAE 1e-3)")
    p.add_argument("--seed", type=int, default=0, help="seed for weights, data order and noise (default 0)")
    p.add_argument("--fit", choices=FITS, default="crop", help="crop to square (default) or pad on white")
    p.add_argument("--preview-every", type=int, default=100, help="steps between preview grids (default 100)")
    p.add_argument("--checkpoint-minutes", type=float, default=2.0, help="minutes between checkpoints (default 2)")
    p.add_argument("--precision", choices=PRECISIONS, default="auto", help="auto (bf16 where native), fp32, bf16")
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda, cuda:1 ...")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    dist.init_from_env()
    try:  # every rank, rank 0 included, leaves the process group however training ends
        return _train(args, lead=dist.rank() == 0)
    finally:
        dist.shutdown()


def _train(args: argparse.Namespace, lead: bool) -> int:
    cfg = TrainConfig(preset=args.model, recipe=args.recipe, minutes=args.minutes, epochs=args.epochs,
                      max_steps=args.steps, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                      preview_every=args.preview_every, checkpoint_minutes=args.checkpoint_minutes,
                      precision=args.precision, device=args.device)
    model_cfg = get_preset(cfg.preset)
    dataset = load_dataset(args.data, model_cfg.image_size, model_cfg.channels, args.fit)
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
    from .cli_common import run_cli

    run_cli(main)


if __name__ == "__main__":
    cli()
