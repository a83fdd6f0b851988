"""Rebuild a built-in model in weights/ from the Noto Emoji data set: one command per model.

    python -m scripts.build_builtin_models emoji-gan-64             # two-stage DCGAN (lr decay), 64 px, 60 min
    python -m scripts.build_builtin_models emoji-vae-64             # VAE + fitted prior, 64 px, 30 min
    python -m scripts.build_builtin_models emoji-dcgan-32-classic   # the seed article's DCGAN, 32 px, 10 min
    python -m scripts.build_builtin_models all                      # the three, one after the other
    python -m scripts.build_builtin_models emoji-vae-64 --refit-prior   # keep the trained VAE, refit its
                                                                        # random-draw prior, re-measure it

Budgets are CPU minutes of this process, which trains on one thread (train(clock=time.process_time)),
so a build that shares the machine still gets all of its training. Options: --minutes M (training budget;
default per model, as above), --recipe R (GANs: try another recipe), --data NPZ (default
../shared/datasets/noto_emoji_64.npz: `images` uint8 (N, 64, 64, 3)), --weights DIR (default weights/),
--seed S (default 0), --report-images N (images drawn for the quality report, default 512).

Each model trains with genmodels.train in a temporary folder (its checkpoint stays there), then
weights/NAME is replaced by a folder holding only the model files: config.json, model.safetensors,
README.md (the card: sample grid, settings, training time, data summary, the credit
"Noto Emoji (Google), Apache-2.0") and samples.png; config.json also gets license "apache-2.0" and
the quality report's figures under "quality". The script prints the wall time of the whole build
and the size of every built-in model (the budget is 25 MB for all of them together).
"""
from __future__ import annotations

import argparse
import dataclasses
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image


from genmodels.data.dataset import Dataset, dataset_from_arrays
from genmodels.models.presets import get_preset
from genmodels.evaluation.quality import quality_report
from genmodels.storage.store import CONFIG_FILE, SAMPLES_FILE, load_model, read_config, save_model
from genmodels.training.loop import train
from genmodels.training.config import TrainConfig
from scripts.train_events import interruptible

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "datasets" / "noto_emoji_64.npz"
DEFAULT_WEIGHTS = REPO / "weights"
CREDIT = "Noto Emoji (Google), Apache-2.0"
LICENSE = "apache-2.0"
SIZE_BUDGET = 25_000_000  # bytes, all built-in models together (issue 7: <= 25 MB)


@dataclass(frozen=True)
class Builtin:
    preset: str
    recipe: str  # GANs: a key of genmodels.recipes.GAN_RECIPES; VAEs ignore it
    minutes: float


BUILTINS = {
    # two-stage with a rate decaying over its GAN stage: the first build to reach 1.5x the floor (1.30x) and
    # the one with the most faces. Figures of each build tried: README "Built-in models".
    "emoji-gan-64": Builtin("dcgan-64", "two-stage-lr-decay", 60.0),
    "emoji-vae-64": Builtin("vae-64", "small-data", 30.0),
    "emoji-dcgan-32-classic": Builtin("dcgan-32", "classic", 10.0),
}


def load_npz_dataset(path: Path, image_size: int, channels: int) -> Dataset:
    """The npz's `images` (uint8 (N, H, W, 3)) as a Dataset at the model's size, with its report."""
    with np.load(path) as data:
        images = data["images"]
    return dataset_from_arrays(images, image_size, channels, path.name)


def run_training(cfg: TrainConfig, dataset: Dataset, out: Path, label: str) -> None:
    """train() with a progress line every 30 s; Ctrl-C stops early and keeps the model."""
    stop, last = threading.Event(), -30.0
    for ev in interruptible(train(cfg, dataset, out, stop=stop, clock=time.process_time), stop):
        if ev.kind == "progress" and ev.elapsed_s - last >= 30:
            last = ev.elapsed_s
            losses = " ".join(f"{k}={v:.3f}" for k, v in ev.losses.items())
            print(f"  {label}: {ev.elapsed_s / 60:5.1f} min, step {ev.step}, {ev.images_per_s:.0f} img/s, {losses}",
                  flush=True)
        elif ev.kind in ("started", "finished", "stopped", "diverged"):
            print(f"  {label}: {ev.message}", flush=True)


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def build(name: str, minutes: float, data: Path, weights: Path, seed: int, report_images: int,
          recipe: str | None = None) -> Path:
    spec = BUILTINS[name]
    if recipe:
        spec = dataclasses.replace(spec, recipe=recipe)
    model_cfg = get_preset(spec.preset)
    start = time.perf_counter()
    dataset = load_npz_dataset(data, model_cfg.image_size, model_cfg.channels)
    print(f"{name}: {spec.preset}, {spec.recipe if spec.preset.startswith('dcgan') else 'VAE'}, {minutes:g} min. "
          f"{dataset.report.summary()}", flush=True)
    cfg = TrainConfig(preset=spec.preset, recipe=spec.recipe, minutes=minutes, seed=seed, checkpoint_minutes=0.0)
    with tempfile.TemporaryDirectory(prefix="latent-studio-build-") as tmp:
        trained = Path(tmp) / name  # the folder's name becomes the model's name
        run_training(cfg, dataset, trained, name)
        model = load_model(trained)
        meta = {k: v for k, v in read_config(trained).items() if k not in ("format_version", "kind", "config")}
        samples = np.asarray(Image.open(trained / SAMPLES_FILE).convert("RGB"))
    meta.update(credit=CREDIT, license=LICENSE, quality=quality_meta(model, dataset, report_images))
    final = weights / name
    _replace_folder(final, lambda staging: save_model(staging, model.network, model.config, meta, samples,
                                                                half_precision=True))
    wall = time.perf_counter() - start
    print(f"{name}: wrote {final} ({folder_bytes(final) / 1e6:.2f} MB: "
          + ", ".join(f"{p.name} {p.stat().st_size / 1e6:.2f} MB" for p in sorted(final.iterdir())) + ")")
    print(f"{name}: wall time {wall / 60:.1f} min ({wall:.0f} s) for training + report + export", flush=True)
    return final


def quality_meta(model, dataset: Dataset, report_images: int) -> dict:
    print(f"quality report on {report_images} images...", flush=True)
    report = quality_report(model, dataset, n=report_images, seed=0)
    print(f"  {report['summary']}", flush=True)
    return {"swd_x1000": round(report["swd"]["mean"], 2),
            "swd_levels_x1000": {k: round(v, 2) for k, v in report["swd"]["levels"].items()},
            "swd_floor_x1000": round(report["swd_floor"]["mean"], 2), "swd_ratio": report["swd_ratio"],
            "near_copy_rate": report["originality"]["near_copy_rate"], "images": report["images"],
            "note": "SWD of generated images vs half of the data set; floor = the other half vs that half "
                    "(genmodels/evaluation/quality.py)."}


def refit_prior(name: str, data: Path, weights: Path, report_images: int) -> Path:
    """Refit a built-in VAE's mixture prior on the data set (the trained weights stay), then measure it
    again: the way to give a VAE trained before the prior existed data-like random draws."""
    from genmodels.training.vae_prior import fit_prior

    folder = weights / name
    cfg = load_model(folder).config
    dataset = load_npz_dataset(data, cfg.image_size, cfg.channels)
    info = fit_prior(folder, dataset)
    print(f"{name}: prior refitted ({info['components']} components, {info['covariance']} covariance, "
          f"{info['fit_seconds']} s)", flush=True)
    model = load_model(folder)
    meta = {k: v for k, v in read_config(folder).items() if k not in ("format_version", "kind", "config")}
    meta["quality"] = quality_meta(model, dataset, report_images)
    samples = np.asarray(Image.open(folder / SAMPLES_FILE).convert("RGB"))
    _replace_folder(folder, lambda staging: save_model(staging, model.network, model.config, meta, samples,
                                                                 half_precision=True))
    return folder


def _replace_folder(final: Path, write) -> None:
    """Write into a hidden staging folder, then swap it in: a failed build never leaves half a model."""
    final.parent.mkdir(parents=True, exist_ok=True)
    staging, old = final.parent / f".{final.name}.partial", final.parent / f".{final.name}.old"
    for p in (staging, old):
        shutil.rmtree(p, ignore_errors=True)
    write(staging)
    if final.exists():
        final.rename(old)
    staging.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def print_sizes(weights: Path) -> None:
    total = 0
    for name in BUILTINS:
        folder = weights / name
        if (folder / CONFIG_FILE).is_file():
            size = folder_bytes(folder)
            total += size
            print(f"  {name:26} {size / 1e6:6.2f} MB")
    verdict = "within" if total <= SIZE_BUDGET else "OVER"
    print(f"  {'built-in models together':26} {total / 1e6:6.2f} MB "
          f"({verdict} the {SIZE_BUDGET / 1e6:.0f} MB budget)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", choices=[*BUILTINS, "all"], help="which built-in model to rebuild")
    parser.add_argument("--minutes", type=float, default=None, help="training budget (default: per model)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the Noto Emoji npz")
    parser.add_argument("--weights", type=Path, default=DEFAULT_WEIGHTS, help="where the model folders go")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--recipe", default=None,
                        help="GANs: train with this recipe instead of the model's own (to try one for a rebuild)")
    parser.add_argument("--report-images", type=int, default=512, help="images drawn for the quality report")
    parser.add_argument("--refit-prior", action="store_true",
                        help="VAEs: keep the trained weights, refit the random-draw prior and re-measure")
    args = parser.parse_args()
    if not args.data.is_file():
        raise SystemExit(f"error: {args.data} not found (see ../shared/datasets/README.md)")
    import torch

    # One thread: the budgets are CPU minutes of one thread, as in bench/quality.py, and a second thread
    # would fight any other work on a 2-core machine (OpenMP threads spin while they wait for each other).
    torch.set_num_threads(1)
    names = list(BUILTINS) if args.model == "all" else [args.model]
    start = time.perf_counter()
    for name in names:
        if args.refit_prior:
            if not BUILTINS[name].preset.startswith("vae"):
                continue
            refit_prior(name, args.data, args.weights, args.report_images)
            continue
        build(name, args.minutes or BUILTINS[name].minutes, args.data, args.weights, args.seed, args.report_images,
              args.recipe)
    if len(names) > 1:
        print(f"all: wall time {(time.perf_counter() - start) / 60:.1f} min")
    print("sizes:")
    print_sizes(args.weights)


if __name__ == "__main__":
    main()
