"""Where a training step's FLOPs run slowly: GFLOP/s of each convolution of the default recipe's GAN
networks (forward + backward, channels_last, one torch thread), beside this CPU's fp32 matmul peak.

bench/quality.py reports a whole step's GFLOP/s as a share of the matmul peak; this shows which layers
hold it down on a CPU path (the 3-channel layers at either end, the 4 x 4 layer that reads the 1 x 1
noise, D's 1-logit head) and what the wide middle layers reach, which bounds the share any step of
these networks can have, whatever else the step does.

    python -m bench.layer_speed [--size 32] [--batch 32] [--precision fp32|bf16] [--repeats 10]
"""
from __future__ import annotations

import argparse
import time

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from bench.quality import matmul_peak_gflops
from genmodels.models.gan import GANConfig, build_discriminator, build_generator
from genmodels.training.recipes import get_recipe


def layer_speed(layer: nn.Module, x: torch.Tensor, precision: str, repeats: int) -> tuple[float, float]:
    """(FLOPs, CPU seconds) of one forward + backward of layer on x, best of `repeats`."""
    layer = layer.to(memory_format=torch.channels_last)
    x = x.detach().contiguous(memory_format=torch.channels_last).requires_grad_(True)

    def once() -> None:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            out = layer(x)
        out.float().sum().backward()

    once()  # warm-up: oneDNN picks and builds its kernels
    with FlopCounterMode(display=False) as counter:
        once()
    best = float("inf")
    for _ in range(repeats):
        t = time.process_time()
        once()
        best = min(best, time.process_time() - t)
    return counter.get_total_flops(), best


def convolutions(net: nn.Sequential, x: torch.Tensor):
    """(label, layer, its input) for each convolution of a sequential network, run forward on x."""
    for layer in net:
        if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d)):
            yield f"{type(layer).__name__}({layer.in_channels} -> {layer.out_channels}, stride {layer.stride[0]})", \
                layer, x
        with torch.no_grad():
            x = layer(x)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, choices=(32, 64), default=32,
                   help="picture size the GAN trains at (default 32: the default recipe's first stage)")
    p.add_argument("--batch", type=int, default=32, help="batch size (default 32: lite's on a CPU)")
    p.add_argument("--precision", choices=("fp32", "bf16"), default="fp32")
    p.add_argument("--repeats", type=int, default=10)
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    spec = get_recipe("lite")  # the default recipe's GAN (two-stage trains lite at 32 px first)
    cfg = GANConfig(image_size=args.size, g_width=spec.width, d_width=spec.width, d_norm=spec.d_norm)
    gen, disc = build_generator(cfg), build_discriminator(cfg)
    peak = matmul_peak_gflops()
    rows = [("G " + label, *layer_speed(layer, x, args.precision, args.repeats))
            for label, layer, x in convolutions(gen.net, torch.randn(args.batch, cfg.z_dim, 1, 1))]
    rows += [("D " + label, *layer_speed(layer, x, args.precision, args.repeats))
             for label, layer, x in convolutions(disc.net, torch.randn(args.batch, 3, args.size, args.size))]
    print(f"lite networks at {args.size} px, batch {args.batch}, {args.precision}, one thread; "
          f"fp32 matmul peak {peak:.1f} GFLOP/s")
    print(f"{'convolution':<48} {'MFLOP':>8} {'ms':>7} {'GFLOP/s':>8} {'of peak':>8}")
    for label, flops, seconds in rows:
        print(f"{label:<48} {flops / 1e6:8.1f} {seconds * 1e3:7.2f} {flops / seconds / 1e9:8.1f} "
              f"{flops / seconds / 1e9 / peak:8.0%}")
    flops, seconds = sum(r[1] for r in rows), sum(r[2] for r in rows)
    print(f"{'all convolutions':<48} {flops / 1e6:8.1f} {seconds * 1e3:7.2f} {flops / seconds / 1e9:8.1f} "
          f"{flops / seconds / 1e9 / peak:8.0%}")


if __name__ == "__main__":
    main()
