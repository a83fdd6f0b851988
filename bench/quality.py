"""The classic and the small-data GAN recipes, same network, same pictures, same time: which learns
the pictures better? Prints the SWD (x 1e3, Karras et al. 2018; lower is better) of each against the
data, the real-vs-real floor (two halves of the data), and the near-copy rate; saves a sample grid
of each. Target: small-data SWD <= 0.5 x classic SWD at equal time on the emoji set.

    python bench/quality.py [--minutes 10] [--preset dcgan-64] [--data ../shared/datasets/noto_emoji_64.npz]
                            [--images 512] [--out DIR]

Both recipes train the same preset (dcgan-64 by default: classic = the seed article's training, BCE and
a BatchNorm discriminator; small-data = DiffAugment + spectral norm + hinge + EMA) for the same CPU
time (process CPU seconds, all threads), one after the other, with the same seed. A CPU-time budget
rather than a wall-clock one keeps the comparison fair on a shared machine, where another process
can take the CPU from one run and not the other. The quality report draws --images images (seeds
0..N-1) from each model (genmodels/quality.py).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from genmodels import generate, grid  # noqa: E402
from genmodels.data import Dataset, dataset_from_arrays  # noqa: E402
from genmodels.presets import PRESETS, get_preset  # noqa: E402
from genmodels.quality import OriginalityIndex, quality_report  # noqa: E402
from genmodels.train import train  # noqa: E402
from genmodels.train_config import TrainConfig  # noqa: E402
from scripts.train_events import interruptible  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "datasets" / "noto_emoji_64.npz"
DEFAULT_OUT = Path(tempfile.gettempdir()) / "latent-studio-bench-quality"
RECIPES = ("classic", "small-data")
GRID_SEEDS = range(64)


def train_for(cfg: TrainConfig, dataset: Dataset, out: Path, cpu_seconds: float) -> dict:
    """Train until this process has used cpu_seconds of CPU (checked at every progress event, i.e.
    every few steps), printing a line a minute; returns steps, train()'s own elapsed seconds at its
    last event, and the wall and CPU seconds of the whole call (the budget plus warm-up and export)."""
    wall0, cpu0, last, steps, train_s = time.perf_counter(), time.process_time(), 0.0, 0, 0.0
    stop = threading.Event()
    for ev in interruptible(train(cfg, dataset, out, stop=stop), stop):
        steps, train_s = ev.step, ev.elapsed_s
        if time.process_time() - cpu0 >= cpu_seconds:
            stop.set()  # train() finishes the step, exports the model and yields its last event
        if ev.kind == "progress" and ev.elapsed_s - last >= 60:
            last = ev.elapsed_s
            print(f"  {cfg.recipe}: {ev.elapsed_s / 60:4.1f} min, step {ev.step}, {ev.images_per_s:.0f} img/s",
                  flush=True)
        elif ev.kind in ("started", "finished", "stopped", "diverged"):
            print(f"  {cfg.recipe}: {ev.message}", flush=True)
    return {"steps": steps, "train_s": train_s, "wall_s": time.perf_counter() - wall0,
            "cpu_s": time.process_time() - cpu0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0, help="CPU minutes per recipe (default 10)")
    parser.add_argument("--preset", default="dcgan-64", choices=[p for p in PRESETS if p.startswith("dcgan")])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="npz with `images` uint8 (N, H, W, 3)")
    parser.add_argument("--images", type=int, default=512, help="generated images per quality report")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where models and grids go")
    args = parser.parse_args()
    cfg_model = get_preset(args.preset)
    with np.load(args.data) as data:
        dataset = dataset_from_arrays(data["images"], cfg_model.image_size, cfg_model.channels, args.data.name)
    print(f"{args.preset}, {args.minutes:g} CPU minutes per recipe, seed {args.seed}. {dataset.report.summary()}")
    index = OriginalityIndex(dataset.images)  # built once, used by both reports
    results = {}
    for recipe in RECIPES:
        cfg = TrainConfig(preset=args.preset, recipe=recipe, minutes=None, max_steps=10_000_000, seed=args.seed,
                          checkpoint_minutes=0.0)
        folder = args.out / f"{args.preset}-{recipe}"
        run = train_for(cfg, dataset, folder, cpu_seconds=args.minutes * 60)
        report = quality_report(folder, dataset, n=args.images, seed=0, index=index)
        grid_path = args.out / f"{args.preset}-{recipe}-grid.png"
        Image.fromarray(grid(generate(folder, n=len(GRID_SEEDS), seed=GRID_SEEDS[0]))).save(grid_path)
        results[recipe] = (run, report, grid_path)

    floor = results[RECIPES[0]][1]["swd_floor"]
    levels = list(floor["levels"]) if floor else list(results[RECIPES[0]][1]["swd"]["levels"])
    print(f"\nSWD x 1e3 against the data ({args.images} generated images; lower is better)")
    print(f"{'':18} {'steps':>6} {'run s':>7} {'CPU s':>7} " + " ".join(f"{lv + ' px':>8}" for lv in levels)
          + f" {'mean':>8} {'near copies':>12}")
    if floor:
        print(f"{'real vs real':18} {'':>6} {'':>7} {'':>7} " + " ".join(f"{floor['levels'][lv]:8.1f}" for lv in levels)
              + f" {floor['mean']:8.1f}")
    for recipe, (run, report, _) in results.items():
        s = report["swd"]
        print(f"{recipe:18} {run['steps']:6d} {run['train_s']:7.0f} {run['cpu_s']:7.0f} "
              + " ".join(f"{s['levels'][lv]:8.1f}" for lv in levels)
              + f" {s['mean']:8.1f} {report['originality']['near_copy_rate']:12.1%}")
    print("(run s: train() from start to its last event; CPU s: all threads, the budget plus first-step"
          " warm-up and export)")
    ratio = results["small-data"][1]["swd"]["mean"] / results["classic"][1]["swd"]["mean"]
    print(f"\nsmall-data / classic SWD = {ratio:.2f} (target <= 0.5: {'met' if ratio <= 0.5 else 'NOT met'})")
    for recipe, (_, _, grid_path) in results.items():
        print(f"sample grid ({recipe}, seeds 0-63): {grid_path}")


if __name__ == "__main__":
    main()
