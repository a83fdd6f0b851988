"""Write directions.safetensors (the main directions of variation, genmodels/explore/directions.py) into each
built-in model folder, so the Explore tab's sliders appear instantly. Deterministic: rerunning gives
the same bytes for the same weights.

    python -m scripts.build_directions [--weights-dir weights] [--force]
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path


import genmodels
from genmodels.explore import directions as dirs

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights-dir", type=Path, default=ROOT / "weights")
    parser.add_argument("--force", action="store_true", help="recompute even when a valid file is there")
    args = parser.parse_args()
    for name, folder in genmodels.list_models(args.weights_dir).items():
        path = Path(folder) / dirs.DIRECTIONS_FILE
        if args.force:
            path.unlink(missing_ok=True)
        start = time.perf_counter()
        info = genmodels.find_directions(folder)  # loads a valid file, else computes and writes it
        print(f"{name}: {info['count']} directions, {path.stat().st_size} bytes, {time.perf_counter() - start:.1f} s "
              f"(top explains {100 * info['explained'][0]:.1f}% of {info['layer']})")


if __name__ == "__main__":
    main()
