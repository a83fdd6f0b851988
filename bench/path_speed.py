"""Keyframe path rendering speed: frames per second of genmodels.keyframes.render_path (decode only,
no GIF/MP4 encoding) and of the whole render + GIF + MP4 write, for a built-in model.

    python -m bench.path_speed [--model weights/emoji-gan-64] [--keys 4] [--seconds 4] [--fps 24] [--repeats 3]
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

import genmodels
from genmodels.generation.keyframes import frame_count, render_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT / "weights" / "emoji-gan-64"))
    parser.add_argument("--keys", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--fps", type=float, default=24.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import torch

    model = genmodels.get_model(args.model)
    _, keys = genmodels.draw(model, args.keys, 0)
    n = frame_count(args.seconds, args.fps)
    print(f"model {model.name}, {args.keys} keyframes, {n} frames, torch threads {torch.get_num_threads()}")
    print(f"{'motion':8} {'batch':>5} {'median s':>9} {'frames/s':>9}")
    for motion in ("smooth", "ease"):
        for batch in (8, 64):
            render_path(model, keys, args.seconds, args.fps, motion, batch)  # warm-up
            times = []
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                render_path(model, keys, args.seconds, args.fps, motion, batch)
                times.append(time.perf_counter() - t0)
            med = statistics.median(times)
            print(f"{motion:8} {batch:5d} {med:9.3f} {n / med:9.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        frames = render_path(model, keys, args.seconds, args.fps)
        t1 = time.perf_counter()
        genmodels.write_gif(frames, Path(tmp) / "p.gif", args.fps)
        t2 = time.perf_counter()
        genmodels.write_mp4(frames, Path(tmp) / "p.mp4", args.fps)
        t3 = time.perf_counter()
    print(f"end to end: render {t1 - t0:.2f} s, GIF {t2 - t1:.2f} s, MP4 {t3 - t2:.2f} s "
          f"({n / (t3 - t0):.1f} frames/s with both files)")


if __name__ == "__main__":
    main()
