"""Explore's speed on this CPU: computing a 64 px model's main directions, finding a picture in it
(target <= 20 s at 64x64, with its similarity score), and keyframe-path rendering in frames per second.

    python -m bench.explore_speed [--model weights/emoji-gan-64] [--threads 1 2] [--pictures 2]

Directions are computed from scratch (not read from the model folder's directions.safetensors); the
file-read time is printed beside it. "own image" is one the GAN drew itself (seed 123), so a perfect
search can reach 100%; the emoji are real pictures from samples/emoji, which a small GAN can only
approximate.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import tempfile
import time
from pathlib import Path


import numpy as np
import torch

import genmodels
from genmodels.explore import directions as dirs
from genmodels.explore import invert as inv
from genmodels.imaging.fit import fit_square

ROOT = Path(__file__).resolve().parent.parent
TARGET_FIND_S = 20.0


def directions_time(folder: Path) -> None:
    model = genmodels.get_model(folder)
    dirs.compute_directions(model, k=2, n_samples=64)  # warm-up: kernels, allocator
    start = time.perf_counter()
    found = dirs.compute_directions(model)
    took = time.perf_counter() - start
    print(f"directions  {found.k} from {found.n_samples} samples of {found.layer}: {took:.2f} s compute")
    print(f"            explained variance of the layer: "
          f"{', '.join(f'{100 * v:.1f}%' for v in found.explained.tolist())}")
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "model.safetensors").write_bytes((folder / "model.safetensors").read_bytes())
        dirs.save_directions(tmp, dataclasses.replace(found, weights_sha256=dirs.weights_digest(tmp)))
        start = time.perf_counter()
        dirs.load_directions(tmp, model.z_dim, dirs.weights_digest(tmp))
        print(f"            read back from {dirs.DIRECTIONS_FILE} (with the weights' sha256 check): "
              f"{1000 * (time.perf_counter() - start):.1f} ms, "
              f"{(Path(tmp) / dirs.DIRECTIONS_FILE).stat().st_size} bytes")


def find_times(folder: Path, threads: list[int], n_pictures: int) -> None:
    pictures = [("own image (seed 123)", genmodels.generate(folder, n=1, seed=123)[0])]
    for path in sorted((ROOT / "samples" / "emoji").glob("*.png"))[:n_pictures]:
        pictures.append((path.name, genmodels.load_image(path)))
    model = genmodels.get_model(folder)
    for n in threads:
        settings = inv.InvertSettings(threads=n)  # the facade uses the default, threads=1
        for name, picture in pictures:
            start = time.perf_counter()
            found = inv.invert(model, fit_square(picture, model.config.image_size), seed=0, settings=settings)
            took = time.perf_counter() - start
            q = {"score": found.score, "psnr": found.psnr}
            verdict = "ok" if took <= TARGET_FIND_S else "SLOW"
            print(f"find        {n} thread{'s' if n > 1 else ' '} {name:22} {took:6.2f} s (target <= "
                  f"{TARGET_FIND_S:g} s: {verdict})  similarity {q['score']:5.1f}%  PSNR {q['psnr']:.1f} dB")


# ---- keyframe paths (genmodels/generation/keyframes.py, built by the Paths work) ------------------------------

def path_fps(folder: Path, seconds: float = 4.0, fps: float = 24.0, keys: int = 4) -> None:
    """Frames per second of genmodels.keyframes.render_path through `keys` seeds (decoding only;
    bench/path_speed.py also times the GIF and MP4 writing)."""
    from genmodels.generation.keyframes import render_path

    model = genmodels.get_model(folder)
    latents = np.stack([genmodels.draw(model, n=1, seed=s)[1][0] for s in range(keys)])
    render_path(model, latents, 0.5, fps)  # warm-up
    start = time.perf_counter()
    frames = render_path(model, latents, seconds, fps)
    took = time.perf_counter() - start
    print(f"path        {len(frames)} frames through {keys} keyframes in {took:.2f} s: "
          f"{len(frames) / took:.0f} frames per second")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=ROOT / "weights" / "emoji-gan-64")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="torch threads to try for find")
    parser.add_argument("--pictures", type=int, default=2, help="emoji from samples/emoji to find (besides one "
                                                                 "of the model's own images)")
    args = parser.parse_args()
    info = genmodels.describe(args.model)
    print(f"torch {torch.__version__}, {os.cpu_count()} CPUs, model {info['summary']}")
    torch.set_num_threads(min(args.threads))
    directions_time(args.model)
    find_times(args.model, args.threads, args.pictures)
    torch.set_num_threads(min(args.threads))
    path_fps(args.model)


if __name__ == "__main__":
    main()
