"""Median milliseconds to generate 16 images with each preset on this CPU (random weights: speed
does not depend on what the weights learned). Targets: <= 10 ms at 32x32, <= 40 ms at 64x64.

    python -m bench.sample_speed [--repeats 30]
"""
from __future__ import annotations

import argparse
import statistics
import time


import torch

from genmodels import PRESETS, generate, untrained_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"{'preset':16} {'median ms / 16 images':>22} {'target':>8}")
    for name, cfg in PRESETS.items():
        model = untrained_model(name)
        generate(model, n=16, seed=0)  # warm-up: first call allocates and picks kernels
        times = []
        for r in range(args.repeats):
            start = time.perf_counter()
            generate(model, n=16, seed=r)
            times.append((time.perf_counter() - start) * 1000)
        target = 10 if cfg.image_size == 32 else 40
        median = statistics.median(times)
        print(f"{name:16} {median:22.2f} {target:>6} {'ok' if median <= target else 'SLOW'}")


if __name__ == "__main__":
    main()
