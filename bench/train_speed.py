"""Training speed: images/s of our engine (genmodels.train.train) against a plain fp32 PyTorch loop of
the same networks, trained the way pytorch/examples trains them. Target: ours >= 2x plain.

The plain loop is pytorch/examples dcgan/main.py (and vae/main.py for the VAE) step for step:
torchvision ImageFolder over the same PNG folder with Resize, CenterCrop, ToTensor, Normalize;
DataLoader(batch_size=64, shuffle=True, num_workers=--workers, 2 = the example's default); fp32,
default memory format; D on the real batch (backward), D on G(z).detach() (backward), D step; then a
fresh D forward on G(z) for the G step (D's weights get gradients there too, as in the example);
BCE (the example's Sigmoid + BCELoss; our D returns logits, so BCE-with-logits, the same objective).
Same Generator / Discriminator / VAE classes (genmodels.gan, genmodels.vae), same batch size.

Ours: train() with the classic and the small-data recipe on the same folder (decoded once into memory,
bf16 autocast where the CPU has native bf16, channels_last), timed between its progress events.

Timing: the first chunk of each side is warm-up (one-off oneDNN kernel creation). Then the two sides
alternate in chunks of 5 steps, so that load from other processes hits both alike; the table shows
the median images/s of each side and the median of the per-chunk speed-ups. Each plain chunk takes a
fresh DataLoader iterator and one untimed step first (worker start-up, which the example pays once
per epoch, is left out: generous to the plain loop), and closes it after, so that its workers do not
decode ahead on the CPU while our engine is timed. On a shared machine read the load average printed
with the table; --threads 1 gives the steadiest numbers there.

    python -m bench.train_speed [--models dcgan-32,dcgan-64,vae-64] [--chunks 4] [--workers 2] [--threads N]
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path


import numpy as np
import torch
from PIL import Image, ImageDraw

from genmodels.data.dataset import load_dataset
from genmodels.models.gan import Discriminator, GANConfig, Generator
from genmodels.training.precision import pick_device, pick_precision
from genmodels.models.presets import get_preset
from genmodels.training.loop import PREVIEW_SEEDS, _Run, train
from genmodels.training.config import TrainConfig
from genmodels.models.vae import VAE, vae_loss

BATCH = 64
CHUNK = 5  # steps per timed chunk = train()'s PROGRESS_EVERY, so one chunk of ours is one progress event
TARGET = 2.0


def write_shapes(folder: Path, n: int = 512, size: int = 64, seed: int = 0) -> Path:
    """n PNGs of random coloured shapes on coloured backgrounds, in folder/shapes/ (ImageFolder wants
    a class folder). Varied enough that the dataset's near-duplicate filter keeps them."""
    out = folder / "shapes"
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(n):
        img = Image.new("RGB", (size, size), tuple(int(c) for c in rng.integers(0, 256, 3)))
        draw = ImageDraw.Draw(img)
        for _ in range(int(rng.integers(2, 5))):
            x0, y0 = (int(v) for v in rng.integers(0, size - 8, 2))
            x1, y1 = (int(v) for v in np.array([x0, y0]) + rng.integers(6, size // 2, 2))
            colour = tuple(int(c) for c in rng.integers(0, 256, 3))
            shape = rng.integers(0, 3)
            if shape == 0:
                draw.ellipse([x0, y0, x1, y1], fill=colour)
            elif shape == 1:
                draw.rectangle([x0, y0, x1, y1], fill=colour)
            else:
                draw.polygon([(x0, y1), ((x0 + x1) // 2, y0), (x1, y1)], fill=colour)
        Image.fromarray(np.asarray(img)).save(out / f"shape_{i:04d}.png")
    return folder


# ---- the plain loop (pytorch/examples) ------------------------------------------------------------

def plain_loader(root: Path, size: int, workers: int) -> torch.utils.data.DataLoader:
    import torchvision.datasets as dset
    import torchvision.transforms as T

    dataset = dset.ImageFolder(root=str(root), transform=T.Compose([
        T.Resize(size), T.CenterCrop(size), T.ToTensor(), T.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))]))
    return torch.utils.data.DataLoader(dataset, batch_size=BATCH, shuffle=True, num_workers=workers)


class PlainGAN:
    """pytorch/examples dcgan/main.py's networks, optimisers and inner-loop body."""

    def __init__(self, cfg: GANConfig):
        torch.manual_seed(0)
        self.z_dim = cfg.z_dim
        self.netG, self.netD = Generator(cfg).train(), Discriminator(cfg).train()
        self.criterion = torch.nn.BCEWithLogitsLoss()
        self.optimizerD = torch.optim.Adam(self.netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.optimizerG = torch.optim.Adam(self.netG.parameters(), lr=2e-4, betas=(0.5, 0.999))

    def step(self, real_cpu: torch.Tensor) -> None:
        netD, netG, criterion = self.netD, self.netG, self.criterion
        # (1) Update D network: maximize log(D(x)) + log(1 - D(G(z)))
        netD.zero_grad()
        b = real_cpu.size(0)
        label = torch.full((b,), 1.0)
        output = netD(real_cpu)
        errD_real = criterion(output, label)
        errD_real.backward()
        output.mean().item()
        noise = torch.randn(b, self.z_dim, 1, 1)
        fake = netG(noise)
        label.fill_(0.0)
        output = netD(fake.detach())
        errD_fake = criterion(output, label)
        errD_fake.backward()
        output.mean().item()
        self.optimizerD.step()
        # (2) Update G network: maximize log(D(G(z)))
        netG.zero_grad()
        label.fill_(1.0)
        output = netD(fake)
        errG = criterion(output, label)
        errG.backward()
        output.mean().item()
        self.optimizerG.step()


class PlainVAE:
    """pytorch/examples vae/main.py's train() loop body (Adam 1e-3)."""

    def __init__(self, cfg):
        torch.manual_seed(0)
        self.model = VAE(cfg).train()
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-3)

    def step(self, data: torch.Tensor) -> None:
        self.optimizer.zero_grad()
        loss = vae_loss(self.model, data, torch.randn(data.shape[0], self.model.cfg.z_dim))["loss"]
        loss.backward()
        loss.item()
        self.optimizer.step()


# ---- timing -----------------------------------------------------------------------------------------

def time_ours(events: Iterator) -> float:
    """Seconds until train() yields its next progress event (= CHUNK steps)."""
    start = time.perf_counter()
    for ev in events:
        if ev.kind == "progress":
            return time.perf_counter() - start
        if ev.kind in ("finished", "stopped", "diverged"):
            raise RuntimeError(f"training ended early: {ev.message}")
    raise RuntimeError("training ended early")


def time_plain(plain, loader) -> float:
    """Seconds for CHUNK steps of the plain loop, after one untimed step. A fresh DataLoader iterator
    per chunk (as the example gets one per epoch), closed afterwards: its worker processes would
    otherwise keep decoding ahead while our engine is timed, and steal its CPU."""
    batches = iter(loader)
    plain.step(next(batches)[0])  # worker start-up and the first batches: not timed
    start = time.perf_counter()
    for _ in range(CHUNK):
        plain.step(next(batches)[0])
    elapsed = time.perf_counter() - start
    del batches  # shuts the workers down
    return elapsed


def measure(preset: str, recipe: str, folder: Path, chunks: int, workers: int, out: Path) -> dict:
    model_cfg = get_preset(preset)
    dataset = load_dataset(folder, model_cfg.image_size, model_cfg.channels)
    cfg = TrainConfig(preset=preset, recipe=recipe, minutes=None, max_steps=CHUNK * (chunks + 2), batch_size=BATCH,
                      preview_every=10**6, checkpoint_minutes=0.0, seed=0)
    ours = train(cfg, dataset, out)
    loader = plain_loader(folder, model_cfg.image_size, workers)
    plain = PlainVAE(model_cfg) if preset.startswith("vae") else PlainGAN(model_cfg)
    time_ours(ours), time_plain(plain, loader)  # warm-up: one-off kernel creation on both sides
    ours_s, plain_s = [], []
    for _ in range(chunks):
        ours_s.append(time_ours(ours))
        plain_s.append(time_plain(plain, loader))
    ours.close()  # train() still exports the model folder on close: outside the timing
    ips = lambda s: CHUNK * BATCH / s  # noqa: E731
    return {"ours": statistics.median(map(ips, ours_s)), "plain": statistics.median(map(ips, plain_s)),
            "speedup": statistics.median(p / o for o, p in zip(ours_s, plain_s)), "images": len(dataset)}


def preview_seconds(preset: str, dataset, out: Path) -> float:
    """One preview grid (copy, BatchNorm recalibration, 16 samples): paid every preview_every steps."""
    run = _Run(TrainConfig(preset=preset, minutes=None, max_steps=1, batch_size=BATCH), dataset, out, resume=False)
    run.preview()
    start = time.perf_counter()
    run.preview()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="dcgan-32,dcgan-64,vae-64,vae-32")
    parser.add_argument("--recipes", default="classic,small-data", help="GAN recipes of our engine to time")
    parser.add_argument("--chunks", type=int, default=4, help=f"timed chunks of {CHUNK} steps per side")
    parser.add_argument("--workers", type=int, default=2, help="plain loop DataLoader workers (example: 2)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads for both sides (default: torch's)")
    parser.add_argument("--images", type=int, default=512)
    args = parser.parse_args()
    if args.images < (CHUNK + 1) * BATCH:
        parser.error(f"--images must be at least {(CHUNK + 1) * BATCH} (one plain chunk per epoch)")
    if any(get_preset(p).channels != 3 for p in args.models.split(",")):
        parser.error("--models: RGB presets only (the plain loop's ImageFolder yields RGB)")
    if args.threads:
        torch.set_num_threads(args.threads)
    device = pick_device("auto")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs, device {device}, "
          f"plain DataLoader workers {args.workers}, batch {BATCH}")
    print(f"our engine's precision: {pick_precision('auto', device)[1]}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_shapes(Path(tmp) / "pictures", n=args.images)
        for preset in args.models.split(","):
            recipes = ["vae"] if preset.startswith("vae") else args.recipes.split(",")
            for recipe in recipes:
                r = measure(preset, "small-data" if recipe == "vae" else recipe, folder, args.chunks, args.workers,
                            Path(tmp) / f"out-{preset}-{recipe}")
                rows.append((preset, recipe, r))
                print(f"  {preset} {recipe}: ours {r['ours']:.1f} img/s, plain {r['plain']:.1f} img/s, "
                      f"x{r['speedup']:.2f} ({r['images']} images)", flush=True)
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print()
        print(f"{'model':10} {'recipe':11} {'ours img/s':>10} {'plain img/s':>11} {'speed-up':>8} {'target':>7}")
        for preset, recipe, r in rows:
            verdict = "ok" if r["speedup"] >= TARGET else "SLOW"
            print(f"{preset:10} {recipe:11} {r['ours']:10.1f} {r['plain']:11.1f} {r['speedup']:7.2f}x "
                  f"{TARGET:5.1f}x {verdict}")
        print()
        for preset in dict.fromkeys(p for p, _, _ in rows):
            cfg = get_preset(preset)
            data = load_dataset(folder, cfg.image_size, cfg.channels)
            seconds = preview_seconds(preset, data, Path(tmp) / f"preview-{preset}")
            print(f"preview grid {preset}: {seconds * 1000:.0f} ms each ({len(PREVIEW_SEEDS)} samples + "
                  f"BatchNorm recalibration), paid every preview_every steps (default 100)")


if __name__ == "__main__":
    main()
