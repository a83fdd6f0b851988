"""An honest quality report for a trained model, with no download: how close its images are to the
training pictures in patch statistics (multi-scale SWD, swd.py), against the best any model could
do (two halves of the pictures compared with each other), and how many of its images are near
copies of a training picture (originality.py).

    report = quality_report("weights/emoji-gan-64", dataset)   # a JSON-ready dict
    report["summary"]   # one paragraph for the Train tab

For the Generate tab, nearest_training_picture(image, dataset) returns the training picture closest
to one generated image, with its similarity; build an OriginalityIndex once per dataset to reuse.
"""
from __future__ import annotations

import time

import cv2
import numpy as np
import torch

from ..data.dataset import Dataset
from ..errors import StudioError
from ..generation import sampling
from ..storage.cache import ModelRef, get_model
from .originality import (
    NEAR_COPY_THRESHOLD,
    OriginalityIndex,
    nearest_training_images,
    originality_summary,
)
from .swd import swd

MAX_REPORT_IMAGES = 4096
MAX_LISTED_COPIES = 20

__all__ = ["quality_report", "nearest_training_picture", "training_picture", "swd", "nearest_training_images",
           "originality_summary", "OriginalityIndex", "NEAR_COPY_THRESHOLD"]


def training_picture(dataset: Dataset, index: int) -> np.ndarray:
    """Training picture `index` as the model saw it: uint8 (S, S, 3) (grey repeated to RGB)."""
    img = dataset.images[int(index)]  # (C, S, S) uint8
    return img.expand(3, -1, -1).permute(1, 2, 0).contiguous().numpy()


def _real_images(dataset: Dataset, size: int) -> np.ndarray:
    """The dataset as uint8 (N, size, size, 3), resized (area / cubic) if the model's size differs."""
    x = dataset.images.expand(-1, 3, -1, -1).permute(0, 2, 3, 1).contiguous().numpy()  # (N, S, S, 3)
    if x.shape[1] == size:
        return x
    interp = cv2.INTER_AREA if x.shape[1] > size else cv2.INTER_CUBIC
    return np.stack([cv2.resize(img, (size, size), interpolation=interp) for img in x])


def quality_report(model: ModelRef, dataset: Dataset, n: int = 512, seed: int = 0,
                   index: OriginalityIndex | None = None) -> dict:
    """Draw n images (seeds seed .. seed+n-1) and measure them against the dataset the model learned.

    SWD (x 1e3, lower = closer): the generated images against one half of the pictures ("swd"), and
    the other half against that same half ("swd_floor": what a perfect model would score, since two
    samples of the same pictures differ too); both with k = min(n, half) images, so the two numbers
    are like for like. "swd_ratio" = swd / floor (1 = as good as real pictures). A dataset of one
    picture has no floor (None). Originality: every generated image against every training picture
    (see originality.py); "near_copies" lists the worst (seed, training picture, similarity).
    n: 1..4096. index: an OriginalityIndex of dataset.images, to reuse one already built.
    Takes about 10-20 s for n = 512 on a laptop CPU. Returns a JSON-ready dict.
    """
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_REPORT_IMAGES:
        raise StudioError(f"The number of images for the quality report must be 1 to {MAX_REPORT_IMAGES}.")
    start = time.perf_counter()
    m = get_model(model)
    size = m.config.image_size
    fakes = np.stack(sampling.generate(m, range(seed, seed + n)))  # (n, size, size, 3)
    real = _real_images(dataset, size)
    perm = torch.randperm(len(real), generator=torch.Generator().manual_seed(seed)).numpy()
    half = len(real) // 2
    if half:
        first, second = real[perm[:half]], real[perm[half:2 * half]]
        k = min(n, half)
        model_swd, floor = swd(second, fakes[:k], seed), swd(second, first[:k], seed)
    else:
        model_swd, floor = swd(real, fakes, seed), None
    ratio = model_swd["mean"] / floor["mean"] if floor and floor["mean"] > 0 else None

    index = index or OriginalityIndex(dataset.images)
    found = index.query(fakes)
    originality = originality_summary(found)
    copies = sorted(({"seed": seed + i, "training_index": r["index"], "training_name": dataset.names[r["index"]],
                      "similarity": r["similarity"]} for i, r in enumerate(found) if r["near_copy"]),
                    key=lambda c: -c["similarity"])
    report = {"model": m.name, "kind": m.kind, "image_size": size, "images": n, "first_seed": seed,
              "training_images": len(dataset), "swd": model_swd, "swd_floor": floor,
              "swd_ratio": round(ratio, 3) if ratio is not None else None,
              "originality": {k: v for k, v in originality.items() if k != "flagged"},
              "near_copies": copies[:MAX_LISTED_COPIES], "seconds": round(time.perf_counter() - start, 1)}
    report["summary"] = _summary(report)
    return report


def _summary(r: dict) -> str:
    o = r["originality"]
    text = [f"Distance to your pictures (SWD x 1000, lower is better): {r['swd']['mean']:.1f}"]
    if r["swd_floor"] is not None:
        text[0] += (f"; two halves of your pictures are {r['swd_floor']['mean']:.1f} apart, about the best a "
                    f"model can reach ({r['swd_ratio']:.1f}x that).")
    else:
        text[0] += "."
    text.append(f"{o['near_copies']} of {o['images']} images ({o['near_copy_rate']:.1%}) look like near copies "
                f"of a training picture (similarity {o['threshold']:.2f} or more)"
                + (f"; avoid seeds {', '.join(str(c['seed']) for c in r['near_copies'][:5])}"
                   + ("..." if o["near_copies"] > 5 else "") + "." if r["near_copies"] else "."))
    return " ".join(text)


def nearest_training_picture(image: np.ndarray, dataset: Dataset, index: OriginalityIndex | None = None
                             ) -> dict:
    """The training picture closest to one generated uint8 (H, W, 3) image: {"image": uint8 (S, S, 3),
    "index", "name", "similarity" (0..1), "near_copy"}. Pass index (an OriginalityIndex of
    dataset.images) to avoid rebuilding it for every image."""
    index = index or OriginalityIndex(dataset.images)
    found = index.query([image])[0]
    return {"image": training_picture(dataset, found["index"]), "index": found["index"],
            "name": dataset.names[found["index"]], "similarity": found["similarity"],
            "near_copy": found["near_copy"]}
