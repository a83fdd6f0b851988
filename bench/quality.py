"""Which recipe learns the pictures best in the same CPU time? Trains every GAN recipe (and the VAE) on
the same pictures with the same seed for the same CPU-time budget, one torch thread each, and prints a
table per image size: SWD (x 1e3, Karras et al. 2018; lower is better) per pyramid level and mean, the
real-vs-real floor (two halves of the data), the near-copy rate, training images/s, and the training
step's GFLOP/s with its share of this CPU's measured fp32 matmul peak. Saves a 64-image grid per run.

    python -m bench.quality [--minutes 10] [--sizes 64 32] [--recipes two-stage classic small-data lite ...]
                            [--ablations-everywhere] [--vae | --no-vae] [--vae-ablations]
                            [--jobs 2] [--images 512] [--data NPZ] [--out DIR] [--precision fp32]

VAE rows: "vae" is the vae-64 preset as shipped (two stages: a 32 px VAE drawing from its fitted mixture,
then the adversarially trained detail network); --vae-ablations adds "vae-one-stage" (the one-stage
64 px VAE of earlier releases) and "vae-lap1" (plus the Laplacian-pyramid L1 term, laplacian_weight = 1).

Targets (issue 13; 10 CPU-minutes, one thread, emoji set): the default (two-stage) at 64 px mean SWD <= 35; at 32 px
within 1.5x of the floor; VAE-64 random draws <= 3x the floor; the default recipe's step at >= 75 % of
the fp32 matmul peak.

Why CPU time: the budget and the resolution schedule count process CPU seconds (train(clock=
time.process_time)), so runs sharing the machine (--jobs 2 runs two at once, one per core) or a busy
machine cannot favour one recipe. FLOPs come from torch.utils.flop_counter on one full-size training
step (matmuls and convolutions, forward and backward); GFLOP/s = FLOPs per step x steps per CPU second,
timed over a few extra full-size steps after training (a two-stage recipe's GAN and detail steps apart,
weighed by their shares of the run). The peak is a 2048 x 2048 fp32 matmul on one
thread, measured here at start-up: compare numbers within one run of this script, not across machines.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import numpy as np


REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "datasets" / "noto_emoji_64.npz"
DEFAULT_OUT = Path(tempfile.gettempdir()) / "latent-studio-bench-quality"
DEFAULT_RECIPES = ("two-stage", "classic", "small-data", "lite", "fastgan", "lite-lr-decay", "lite-r3",
                   "fastgan-r3", "fastgan-full-size", "fastgan-no-reconstruction")
VAE_VARIANTS = {"vae": {}, "vae-one-stage": {"base_size": 0, "z_dim": 128},
                "vae-lap1": {"laplacian_weight": 1.0}}  # name -> VAEConfig changes
GRID_SEEDS = range(64)
TIMED_STEPS = 4  # full-size steps timed after training for GFLOP/s


@dataclass(frozen=True)
class Job:
    size: int
    recipe: str  # a GAN recipe, or a key of VAE_VARIANTS
    minutes: float
    data: Path
    images: int
    seed: int
    out: Path
    precision: str = "auto"

    @property
    def is_vae(self) -> bool:
        return self.recipe in VAE_VARIANTS

    @property
    def name(self) -> str:
        return f"{'vae' if self.is_vae else 'gan'}-{self.size}-{self.recipe}"

    @property
    def preset(self) -> str:
        return f"vae-{self.size}" if self.is_vae else f"dcgan-{self.size}"


def matmul_peak_gflops(n: int = 2048, repeats: int = 5) -> float:
    """This CPU's fp32 matmul speed on one thread, GFLOP/s (best of a few)."""
    import torch

    torch.set_num_threads(1)
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    best = float("inf")
    for _ in range(repeats):  # CPU time of this process: another process on the machine does not lower it
        t = time.process_time()
        a @ b
        best = min(best, time.process_time() - t)
    return 2 * n ** 3 / best / 1e9


def step_speed(cfg, dataset, folder: Path) -> float:
    """FLOP/s of cfg's training step over a run, through the trainer's own step (genmodels.train._Run, the
    object train() drives) so the measured code is the trained code: FLOPs per step (FlopCounterMode) over
    CPU seconds per step. A two-stage recipe's two kinds of step are measured apart and weighed by the share
    of the run each gets."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from genmodels.training.loop import _Run

    run = _Run(cfg, dataset, folder, resume=False)
    share = cfg.recipe_spec.detail_from
    stages = [(0.0, share), (1.0, 1 - share)] if run.two_stage_gan else [(1.0, 1.0)]
    rate = 0.0
    for progress, share in stages:
        run._one_step(progress=progress)  # warm-up: kernel selection, allocations
        with FlopCounterMode(display=False) as counter:
            run._one_step(progress=progress)
        t = time.process_time()
        for _ in range(TIMED_STEPS):
            run._one_step(progress=progress)
        torch.cpu.synchronize()
        rate += share * counter.get_total_flops() / ((time.process_time() - t) / TIMED_STEPS)
    return rate


def run_job(job: Job) -> dict:
    """Train one recipe for job.minutes CPU minutes on one thread; measure it. Runs in a worker process."""
    import torch

    torch.set_num_threads(1)
    from PIL import Image

    from genmodels import generate, grid
    from genmodels.data.dataset import dataset_from_arrays
    from genmodels.evaluation.quality import quality_report
    from genmodels.training.loop import train
    from genmodels.training.config import TrainConfig
    from scripts.train_events import interruptible

    if VAE_VARIANTS.get(job.recipe):  # an ablation: this worker process's own copy of the preset table
        from genmodels.models import presets

        presets.PRESETS[job.preset] = dataclasses.replace(presets.PRESETS[job.preset], **VAE_VARIANTS[job.recipe])
    with np.load(job.data) as data:
        dataset = dataset_from_arrays(data["images"], job.size, 3, job.data.name)
    cfg = TrainConfig(preset=job.preset, recipe="lite" if job.is_vae else job.recipe,
                      minutes=job.minutes, max_steps=10_000_000, seed=job.seed, checkpoint_minutes=0.0,
                      precision=job.precision, preview_every=1_000_000)
    folder = job.out / job.name
    stop, cpu0, last = threading.Event(), time.process_time(), None
    for ev in interruptible(train(cfg, dataset, folder, stop=stop, clock=time.process_time), stop):
        last = ev
        if ev.kind in ("started", "finished", "stopped", "diverged"):
            print(f"  {job.name}: {ev.message}", flush=True)
    train_cpu = time.process_time() - cpu0
    report = quality_report(folder, dataset, n=job.images, seed=0)
    grid_path = job.out / f"{job.name}-grid.png"
    Image.fromarray(grid(generate(folder, n=len(GRID_SEEDS), seed=GRID_SEEDS[0]))).save(grid_path)
    flop_rate = step_speed(cfg, dataset, job.out / f"{job.name}-speed")
    return {"job": job, "steps": last.step, "train_cpu_s": train_cpu, "seconds": last.elapsed_s,
            "images_per_s": last.step * _batch_of(folder) / max(last.elapsed_s, 1e-9),
            "report": report, "grid": grid_path, "gflops": flop_rate / 1e9, "message": last.message}


def _batch_of(folder: Path) -> int:
    from genmodels.storage.store import read_config

    return int(read_config(folder)["training"]["batch_size"])


def print_table(size: int, results: list[dict], peak: float) -> None:
    floor = results[0]["report"]["swd_floor"]
    levels = list(floor["levels"])
    print(f"\n{size} px: SWD x 1e3 against the data ({results[0]['report']['images']} generated images; lower is better)")
    head = (f"{'':26} {'steps':>6} {'CPU s':>6} " + " ".join(f"{lv + ' px':>7}" for lv in levels)
            + f" {'mean':>7} {'x floor':>8} {'copies':>7} {'img/s':>6} {'GFLOP/s':>8} {'peak':>5}")
    print(head)
    print(f"{'real vs real (floor)':26} {'':>6} {'':>6} " + " ".join(f"{floor['levels'][lv]:7.1f}" for lv in levels)
          + f" {floor['mean']:7.1f}")
    for r in results:
        s, rep = r["report"]["swd"], r["report"]
        print(f"{r['job'].recipe:26} {r['steps']:6d} {r['seconds']:6.0f} "
              + " ".join(f"{s['levels'][lv]:7.1f}" for lv in levels)
              + f" {s['mean']:7.1f} {s['mean'] / floor['mean']:8.2f} {rep['originality']['near_copy_rate']:7.1%}"
              + f" {r['images_per_s']:6.0f} {r['gflops']:8.1f} {r['gflops'] / peak:5.0%}")


def main() -> None:
    from genmodels.training.recipes import GAN_RECIPES, MAIN_RECIPES

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0, help="CPU minutes per run (default 10)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 32], choices=[32, 64])
    parser.add_argument("--recipes", nargs="*", default=list(DEFAULT_RECIPES), choices=list(GAN_RECIPES))
    parser.add_argument("--ablations-everywhere", action="store_true",
                        help="run the ablations (recipes beyond the Train tab's four) at every size, "
                             "not only the first")
    parser.add_argument("--vae", action=argparse.BooleanOptionalAction, default=True,
                        help="also train vae-64 and score its random draws (default on)")
    parser.add_argument("--vae-ablations", action="store_true", help="also train the VAE ablations (vae-lap1)")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="runs at once, one thread each")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="npz with `images` uint8 (N, H, W, 3)")
    parser.add_argument("--images", type=int, default=512, help="generated images per quality report")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--precision", choices=["auto", "fp32"], default="auto",
                        help="fp32 trains as a CPU without native bf16 does (default: auto, bf16 where native)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where models and grids go")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    peak = matmul_peak_gflops()
    import torch

    from genmodels.training.precision import pick_precision

    precision = pick_precision(args.precision, torch.device("cpu"))[1]
    print(f"{args.minutes:g} CPU minutes per run, one thread each, {args.jobs} at once, seed {args.seed}, "
          f"data {args.data.name}. Training precision: {precision}. fp32 matmul peak: {peak:.1f} GFLOP/s "
          f"(one thread).", flush=True)
    jobs = [Job(size, recipe, args.minutes, args.data, args.images, args.seed, args.out, args.precision)
            for k, size in enumerate(args.sizes) for recipe in args.recipes
            if k == 0 or recipe in MAIN_RECIPES or args.ablations_everywhere]
    if args.vae:
        jobs += [Job(64, name, args.minutes, args.data, args.images, args.seed, args.out, args.precision)
                 for name in VAE_VARIANTS if name == "vae" or args.vae_ablations]
    env_threads = os.environ.get("OMP_NUM_THREADS")
    os.environ["OMP_NUM_THREADS"] = "1"  # for the workers' OpenMP pools; torch.set_num_threads(1) in each too
    results = []
    with ProcessPoolExecutor(max_workers=args.jobs, mp_context=get_context("spawn")) as pool:
        for future in as_completed([pool.submit(run_job, job) for job in jobs]):
            r = future.result()
            s = r["report"]["swd"]
            print(f"  {r['job'].name}: {r['steps']} steps, SWD {s['mean']:.1f} "
                  f"({r['report']['swd_ratio']:.2f}x floor), {r['gflops']:.1f} GFLOP/s", flush=True)
            results.append(r)
    order = {job: k for k, job in enumerate(jobs)}
    results.sort(key=lambda r: order[r["job"]])
    if env_threads is None:
        os.environ.pop("OMP_NUM_THREADS")
    for size in args.sizes:
        gans = [r for r in results if r["job"].size == size and not r["job"].is_vae]
        if gans:
            print_table(size, gans, peak)
    vaes = [r for r in results if r["job"].is_vae]
    if vaes:
        print_table(64, vaes, peak)
        print("(VAE rows: random draws from each model's fitted prior; GFLOP/s of its training step)")
    print("\nGrids (seeds 0-63):")
    for r in results:
        print(f"  {r['job'].name}: {r['grid']}")


if __name__ == "__main__":
    main()
