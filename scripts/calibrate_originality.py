"""Where the originality check's near-copy threshold comes from: how its similarity scores
(a) each training image's slight variants, which must be flagged, and (b) each training image's most
similar *other* training image, the hardest case that should usually not be flagged.

    python -m scripts.calibrate_originality [--data ../shared/datasets/noto_emoji_64.npz] [--queries 400]

Prints the score distribution for each, the share flagged at NEAR_COPY_THRESHOLD, and the threshold
that would flag 2 / 5 / 10 % of (b) with the share of (a) it catches. Run time: about a minute.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np


from genmodels.evaluation.originality import NEAR_COPY_THRESHOLD, OriginalityIndex

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "datasets" / "noto_emoji_64.npz"


def _move(img: np.ndarray, dx: int, dy: int) -> np.ndarray:
    m = np.float32([[1, 0, dx], [0, 1, dy]])
    return cv2.warpAffine(img, m, img.shape[1::-1], borderMode=cv2.BORDER_REPLICATE)


def _scale(img: np.ndarray, gain: float, offset: float = 0.0) -> np.ndarray:
    return np.clip(img.astype(np.float32) * gain + offset, 0, 255).astype(np.uint8)


def _jpeg(img: np.ndarray, quality: int) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)


def slight_variants(rng: np.random.Generator) -> dict:
    """name -> function(uint8 HxWx3) -> uint8 HxWx3: edits that leave a copy a copy."""
    return {
        "moved 2 px": lambda x: _move(x, 2, 0),
        "moved 2,2 px": lambda x: _move(x, 2, 2),
        "moved 3,-1 px": lambda x: _move(x, 3, -1),
        "moved 4 px": lambda x: _move(x, 0, 4),
        "brighter 10%": lambda x: _scale(x, 1.1),
        "darker 15%": lambda x: _scale(x, 0.85),
        "+20 levels": lambda x: _scale(x, 1.0, 20),
        "contrast 0.8": lambda x: _scale(x, 0.8, 0.2 * 128),
        "noise sigma 6": lambda x: np.clip(x + rng.normal(0, 6, x.shape), 0, 255).astype(np.uint8),
        "blur sigma 0.8": lambda x: cv2.GaussianBlur(x, (0, 0), 0.8),
        "JPEG q70": lambda x: _jpeg(x, 70),
        "moved 2,1 + 8% brighter": lambda x: _scale(_move(x, 2, 1), 1.08),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="an .npz with `images` uint8 (N, H, W, 3)")
    parser.add_argument("--queries", type=int, default=400, help="training images used as queries")
    args = parser.parse_args()
    images = np.load(args.data)["images"]
    start = time.perf_counter()
    index = OriginalityIndex(images)
    queries = np.random.default_rng(0).choice(len(images), min(args.queries, len(images)), replace=False)

    # (b) the most similar other training image: the best neighbour that is not the image itself.
    found = index.query(images[queries], top_k=2)
    others = np.array([next(n["similarity"] for n in r["neighbours"] if n["index"] != q)
                       for r, q in zip(found, queries)])
    print(f"{len(images)} training images, {len(queries)} queries, threshold {NEAR_COPY_THRESHOLD}")
    print(f"{'case':28} {'min':>6} {'5%':>6} {'median':>6} {'found':>6} {'flagged':>8}")
    print(f"{'most similar other image':28} {others.min():6.3f} {np.percentile(others, 5):6.3f} "
          f"{np.median(others):6.3f} {'':>6} {np.mean(others >= NEAR_COPY_THRESHOLD):8.1%}")

    # (a) slight variants of the query itself: found = the nearest is the original.
    variants = {}
    for name, edit in slight_variants(np.random.default_rng(1)).items():
        res = index.query(np.stack([edit(images[q]) for q in queries]))
        sims = np.array([r["similarity"] for r in res])
        hit = np.mean([r["index"] == q for r, q in zip(res, queries)])
        variants[name] = sims
        print(f"{name:28} {sims.min():6.3f} {np.percentile(sims, 5):6.3f} {np.median(sims):6.3f} "
              f"{hit:6.1%} {np.mean(sims >= NEAR_COPY_THRESHOLD):8.1%}")

    every = np.concatenate(list(variants.values()))
    print("\nthreshold that flags a share of 'most similar other image', and what it catches:")
    for share in (0.02, 0.05, 0.10):
        t = float(np.quantile(others, 1 - share))
        worst = min(float(np.mean(v >= t)) for v in variants.values())
        print(f"  {share:4.0%} -> {t:.3f}: catches {np.mean(every >= t):.1%} of all variants, "
              f"{worst:.1%} of the hardest kind")
    print(f"({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
