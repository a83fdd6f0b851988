"""Tiny synthetic picture sets for training tests (never the shared data set)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def write_discs(folder: Path, n: int = 24, size: int = 40, seed: int = 0) -> Path:
    """n PNGs of coloured discs of different sizes and places on white."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    for i in range(n):
        img = np.full((size, size, 3), 255, np.uint8)
        cy, cx = rng.integers(size // 3, 2 * size // 3, 2)
        radius = rng.integers(size // 8, size // 3)
        img[(yy - cy) ** 2 + (xx - cx) ** 2 < radius**2] = rng.integers(0, 255, 3)
        img[rng.integers(0, size), :] = rng.integers(0, 255, 3)  # a stripe keeps them apart for dedupe
        Image.fromarray(img).save(folder / f"disc_{i:03d}.png")
    return folder


def train_in_two_halves(cfg, dataset, folder: Path, stop_after: int) -> None:
    """The run cfg describes, stopped after step `stop_after` and then resumed to its end, in folder: what a
    resume test compares with the same run trained in one go."""
    import threading

    from genmodels.training.loop import train

    stop = threading.Event()
    for ev in train(cfg, dataset, folder, stop=stop):
        if ev.kind == "progress" and ev.step == stop_after:
            stop.set()
    list(train(cfg, dataset, folder, resume=True))


def assert_resume_is_exact(cfg, dataset, tmp_path: Path, stop_after: int) -> None:
    """The run cfg describes, trained in one go and in two halves (stopped after `stop_after`, resumed):
    both end with the same checkpoint, tensor for tensor."""
    import torch

    from genmodels.training.checkpoint import load_checkpoint
    from genmodels.training.loop import train

    list(train(cfg, dataset, tmp_path / "straight"))
    train_in_two_halves(cfg, dataset, tmp_path / "split", stop_after=stop_after)
    a, _ = load_checkpoint(tmp_path / "straight" / "checkpoint")
    b, _ = load_checkpoint(tmp_path / "split" / "checkpoint")
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a), [k for k in a if not torch.equal(a[k], b[k])][:3]


def texture_folder(folder: Path, name: str = "t", swatches=None) -> Path:
    """An untrained `texture` model folder (fixed weights, no samples.png), with swatches if given."""
    import torch

    from genmodels.models.presets import PRESETS
    from genmodels.models.texture import TextureGenerator
    from genmodels.storage.store import save_model

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        network = TextureGenerator(PRESETS["texture"]).eval()
    return save_model(folder, network, PRESETS["texture"], {"name": name, "preset": "texture"}, swatches=swatches)
