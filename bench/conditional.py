"""Does a labelled model draw the class it is asked for? Trains the default GAN (dcgan-64, lite) on the
emoji grouped by Unicode block, with the blocks as classes, and the same recipe without labels, for the
same CPU time; then scores:

- class fidelity: a small classifier trained on 80 % of the real pictures (its accuracy on the held-out
  20 % is printed) labels the pictures each class draws; fidelity = the share it puts in the class asked
  for, per class and averaged over classes (target, issue 17: >= 80 % after the default 10 minutes);
- per-class SWD (x 1e3): a class's draws against half of its real pictures, beside that class's floor
  (its other half against the same half);
- spread: how different a class's draws are from each other (mean L1 distance between pairs, pictures
  averaged down to 32 px) as a share of how different its real pictures are: 1 = as varied as the
  real ones, low = near copies (what a designer asking for variations would get);
- overall SWD of the labelled model (classes drawn in the data's proportions) and of the unlabelled
  model, against the same half of the data, beside the floor.

Fidelity, SWD and spread are printed for each --class-strength (a labelled model's draw setting, 1 = as
trained; sampling.model_latents), by default 1 and 2.

    python -m bench.conditional [--minutes 10] [--vae] [--jobs 2] [--per-class 100] [--class-strength 1 2]
                                [--data NPZ] [--out DIR] [--reuse]

--vae also trains the labelled vae-64 (its class-aware prior) and scores it the same way. Budgets are
CPU seconds of one torch thread per run (train(clock=time.process_time)), as in bench.quality.
"""
from __future__ import annotations

import argparse
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from bench.quality import DEFAULT_DATA

DEFAULT_OUT = Path("/tmp/latent-studio-bench-conditional")
# Unicode blocks (first, last code point, class name) with at least 50 emoji in the set; the rest
# (a few geometric shapes and private-use flags) are left out.
BLOCKS = (
    (0x2000, 0x2BFF, "Symbols and arrows"),
    (0x1F000, 0x1F2FF, "Enclosed and cards"),
    (0x1F300, 0x1F5FF, "Miscellaneous Symbols and Pictographs"),
    (0x1F600, 0x1F64F, "Emoticons"),
    (0x1F680, 0x1F6FF, "Transport and Map Symbols"),
    (0x1F900, 0x1F9FF, "Supplemental Symbols and Pictographs"),
    (0x1FA70, 0x1FAFF, "Symbols and Pictographs Extended-A"),
)
HELD_OUT = 0.2
CLASSIFIER_SIZE = 32  # px the classifier reads (the pictures averaged down): fast, and enough for blocks


def emoji_classes(codepoints: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Block index per picture (-1 = in no listed block) and the block names."""
    labels = np.full(len(codepoints), -1)
    for k, (first, last, _) in enumerate(BLOCKS):
        labels[(codepoints >= first) & (codepoints <= last)] = k
    return labels, [name for _, _, name in BLOCKS]


@dataclass(frozen=True)
class Job:
    name: str  # "labelled gan", "unlabelled gan", "labelled vae"
    preset: str
    labelled: bool
    minutes: float
    data: Path
    seed: int
    out: Path


def load_set(data: Path, labelled: bool):
    from genmodels.data.dataset import dataset_from_arrays

    with np.load(data) as d:
        images, codepoints = d["images"], d["codepoints"]
    labels, names = emoji_classes(codepoints)
    keep = labels >= 0
    return dataset_from_arrays(images[keep], 64, 3, data.name, labels=labels[keep] if labelled else None,
                               classes=names if labelled else ())


def train_job(job: Job) -> dict:
    """Train one model for job.minutes CPU minutes on one thread. Runs in a worker process."""
    import torch

    torch.set_num_threads(1)
    from genmodels.training.config import TrainConfig
    from genmodels.training.loop import train
    from scripts.train_events import interruptible

    dataset = load_set(job.data, job.labelled)
    cfg = TrainConfig(preset=job.preset, minutes=job.minutes, max_steps=10_000_000, seed=job.seed,
                      checkpoint_minutes=0.0, preview_every=1_000_000)
    folder = job.out / job.name.replace(" ", "-")
    stop, last = threading.Event(), None
    for ev in interruptible(train(cfg, dataset, folder, stop=stop, clock=time.process_time), stop):
        last = ev
        if ev.kind in ("started", "finished", "stopped", "diverged"):
            print(f"  {job.name}: {ev.message}", flush=True)
    return {"job": job, "folder": folder, "steps": last.step, "seconds": last.elapsed_s}


def _reused(job: Job) -> dict:
    """A model trained by an earlier run of this script (--reuse), with the steps and time its config records."""
    from genmodels.storage.store import read_config

    folder = job.out / job.name.replace(" ", "-")
    training = read_config(folder)["training"]
    return {"job": job, "folder": folder, "steps": training["steps"], "seconds": training["training_seconds"]}


# ---- the classifier ------------------------------------------------------------------------------

def _classifier(n_classes: int):
    from torch import nn

    def block(c_in: int, c_out: int) -> list:
        return [nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU(True), nn.MaxPool2d(2)]

    return nn.Sequential(*block(3, 32), *block(32, 64), *block(64, 128), *block(128, 128),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.3), nn.Linear(128, n_classes))


def _as_input(images: np.ndarray):
    """uint8 (N, 64, 64, 3) -> float (N, 3, 32, 32) in [-1, 1]."""
    import torch
    import torch.nn.functional as F

    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float() / 127.5 - 1
    return F.adaptive_avg_pool2d(x, CLASSIFIER_SIZE)


def train_classifier(images: np.ndarray, labels: np.ndarray, n_classes: int, seed: int, epochs: int = 40):
    """A small CNN on (images, labels), class-balanced loss, random shifts of up to 3 px. -> model (eval)."""
    import torch
    import torch.nn.functional as F

    torch.manual_seed(seed)
    net = _classifier(n_classes)
    opt = torch.optim.Adam(net.parameters(), lr=2e-3, weight_decay=1e-4)
    x, y = _as_input(images), torch.as_tensor(labels, dtype=torch.long)
    weight = 1.0 / torch.bincount(y, minlength=n_classes).clamp_min(1).float()
    weight = weight / weight.mean()
    gen = torch.Generator().manual_seed(seed)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 2e-3, total_steps=epochs * ((len(x) + 63) // 64))
    net.train()
    for _ in range(epochs):
        for idx in torch.randperm(len(x), generator=gen).split(64):
            dx, dy = (int(v) for v in torch.randint(-3, 4, (2,), generator=gen))
            batch = torch.roll(F.pad(x[idx], (3, 3, 3, 3), value=1.0), (dy, dx), (2, 3))[:, :, 3:-3, 3:-3]
            loss = F.cross_entropy(net(batch), y[idx], weight=weight)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    return net.eval()


def predict(net, images: np.ndarray) -> np.ndarray:
    import torch

    with torch.no_grad():
        return torch.cat([net(c).argmax(1) for c in _as_input(images).split(256)]).numpy()


# ---- scoring --------------------------------------------------------------------------------------

def score(folder: Path, real: np.ndarray, labels: np.ndarray, names: list[str], classifier, per_class: int,
          seed: int, class_strength: float = 1.0) -> dict:
    """Class fidelity, per-class SWD and spread of a labelled model folder."""
    from genmodels.evaluation.swd import swd

    rows = []
    for k, name in enumerate(names):
        drawn = _many(folder, per_class, seed, [name] * per_class, class_strength)
        hits = float((predict(classifier, drawn) == k).mean())
        mine = real[labels == k]
        half = len(mine) // 2
        rows.append({"class": name, "real": len(mine), "fidelity": hits,
                     "swd": swd(mine[half:], drawn[:half], seed=seed)["mean"],
                     "floor": swd(mine[half:], mine[:half], seed=seed)["mean"],
                     "spread": spread(drawn) / spread(mine)})
    return {"rows": rows, "fidelity": float(np.mean([r["fidelity"] for r in rows])),
            "spread": float(np.mean([r["spread"] for r in rows]))}


def spread(images: np.ndarray, n: int = 100) -> float:
    """Mean L1 distance (0..255) between pairs of the first n pictures, averaged down to 32 px: the measure
    a labelled GAN chooses its classes' own strengths by (training/class_strengths.py)."""
    from genmodels.training.class_strengths import spread as model_spread

    return model_spread(_as_input(images[:n])) * 127.5  # [-1, 1] -> 0..255 steps


def overall_swd(folder: Path, real: np.ndarray, labels: np.ndarray | None, names: list[str], n: int,
                seed: int) -> float:
    """SWD of n draws against the second half of the data; a labelled model draws the classes in the
    data's proportions (a seeded shuffle of the real labels)."""
    from genmodels.evaluation.swd import swd

    picks = None if labels is None else [names[k] for k in np.random.default_rng(seed).permutation(labels)[:n]]
    drawn = _many(folder, n, seed, picks)
    return swd(real[len(real) // 2:], drawn, seed=seed)["mean"]


def _many(folder: Path, n: int, seed: int, labels: list[str] | None, class_strength: float = 1.0) -> np.ndarray:
    """n draws from seeds seed.. (64 per call, the facade's maximum), of labels[i] for seed + i; a class
    strength other than 1 only for a labelled model (every model draws at 1)."""
    from functools import partial

    from genmodels import generate as plain

    generate = partial(plain, class_strength=class_strength)
    if labels is None:
        return np.stack([img for s in range(seed, seed + n, 64) for img in generate(folder, min(64, seed + n - s), s)])
    if len(set(labels)) == 1:
        return np.stack([img for s in range(seed, seed + n, 64)
                         for img in generate(folder, min(64, seed + n - s), s, label=labels[0])])
    return np.stack([generate(folder, 1, seed + i, label=lab)[0] for i, lab in enumerate(labels)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0, help="CPU minutes per run (default 10)")
    parser.add_argument("--vae", action="store_true", help="also train and score the labelled vae-64")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--per-class", type=int, default=100, help="drawn pictures per class for fidelity")
    parser.add_argument("--overall", type=int, default=512, help="drawn pictures for the overall SWD")
    parser.add_argument("--class-strength", type=float, nargs="+", default=[1.0, 2.0],
                        help="labelled models' class strengths to score at (default 1 2)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--reuse", action="store_true", help="score the models already in --out, no training")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    import torch

    from genmodels import describe
    from genmodels.training.precision import pick_precision

    with np.load(args.data) as d:
        images, codepoints = d["images"], d["codepoints"]
    labels, names = emoji_classes(codepoints)
    real, labels = images[labels >= 0], labels[labels >= 0]
    print(f"{args.minutes:g} CPU minutes per run, one thread each, seed {args.seed}; "
          f"{pick_precision('auto', torch.device('cpu'))[1]}. {len(real)} emoji in {len(names)} classes: "
          + ", ".join(f"{n} ({int((labels == k).sum())})" for k, n in enumerate(names)), flush=True)
    jobs = [Job("labelled gan", "dcgan-64", True, args.minutes, args.data, args.seed, args.out),
            Job("unlabelled gan", "dcgan-64", False, args.minutes, args.data, args.seed, args.out)]
    if args.vae:
        jobs.append(Job("labelled vae", "vae-64", True, args.minutes, args.data, args.seed, args.out))
    env_threads = os.environ.get("OMP_NUM_THREADS")
    os.environ["OMP_NUM_THREADS"] = "1"
    trained = {}
    if args.reuse:
        trained = {job.name: _reused(job) for job in jobs}
    else:
        with ProcessPoolExecutor(max_workers=args.jobs, mp_context=get_context("spawn")) as pool:
            for future in as_completed([pool.submit(train_job, job) for job in jobs]):
                r = future.result()
                trained[r["job"].name] = r
    if env_threads is None:
        os.environ.pop("OMP_NUM_THREADS")
    torch.set_num_threads(os.cpu_count() or 1)

    rng = np.random.default_rng(args.seed)
    test = np.zeros(len(real), bool)
    for k in range(len(names)):  # stratified: 20 % of every class held out
        idx = np.flatnonzero(labels == k)
        test[rng.choice(idx, max(1, round(HELD_OUT * len(idx))), replace=False)] = True
    t = time.perf_counter()
    classifier = train_classifier(real[~test], labels[~test], len(names), args.seed)
    held = predict(classifier, real[test])
    per_class_real = _per_class_accuracy(held, labels[test], len(names))
    print(f"\nClassifier (trained on {int((~test).sum())} real pictures in {time.perf_counter() - t:.0f} s): "
          f"held-out accuracy {float((held == labels[test]).mean()):.1%}, mean over classes "
          f"{np.mean(per_class_real):.1%}")
    # What fidelity means: new pictures as typical of their class as the held-out ones score the line above;
    # the classifier knows its own training pictures, so a model that copied the data would score these.
    seen, every = predict(classifier, real[~test]), predict(classifier, real)
    on_seen = np.mean(_per_class_accuracy(seen, labels[~test], len(names)))
    on_all = np.mean(_per_class_accuracy(every, labels, len(names)))
    print(f"  the same, mean over classes, on its own training pictures {on_seen:.1%}, on all real pictures "
          f"{on_all:.1%} (a model that copied its pictures)")

    floor = overall_swd_floor(real, args.seed)
    for name, r in trained.items():
        if not r["job"].labelled:
            continue
        strengths = args.class_strength if describe(r["folder"])["class_strength"] else [1.0]
        for strength in strengths:
            s = score(r["folder"], real, labels, names, classifier, args.per_class, args.seed, strength)
            print(f"\n{name} ({r['steps']} steps, {r['seconds']:.0f} CPU s), class strength {strength:g}: class "
                  f"fidelity {s['fidelity']:.1%} (mean over classes; target >= 80 %), spread {s['spread']:.2f}")
            print(f"  {'class':40} {'real':>5} {'held-out acc':>12} {'fidelity':>9} {'SWD':>7} {'floor':>7} "
                  f"{'spread':>7}")
            for k, row in enumerate(s["rows"]):
                print(f"  {row['class']:40} {row['real']:5d} {per_class_real[k]:12.1%} {row['fidelity']:9.1%} "
                      f"{row['swd']:7.1f} {row['floor']:7.1f} {row['spread']:7.2f}")
    print(f"\nOverall SWD against half the data ({args.overall} drawn; floor {floor:.1f}):")
    for name, r in trained.items():
        value = overall_swd(r["folder"], real, labels if r["job"].labelled else None, names, args.overall, args.seed)
        print(f"  {name:16} {value:7.1f} ({value / floor:.2f}x floor), {r['steps']} steps")
    print("\nModels:", ", ".join(str(r["folder"]) for r in trained.values()))


def _per_class_accuracy(predicted: np.ndarray, labels: np.ndarray, n_classes: int) -> list[float]:
    """The share of each class's pictures predicted as that class."""
    return [float((predicted[labels == k] == k).mean()) for k in range(n_classes)]


def overall_swd_floor(real: np.ndarray, seed: int) -> float:
    from genmodels.evaluation.swd import swd

    half = len(real) // 2
    return swd(real[half:], real[:half], seed=seed)["mean"]


if __name__ == "__main__":
    main()
