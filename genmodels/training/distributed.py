"""Multi-process training with torchrun: DistributedDataParallel (gloo on CPU, NCCL on GPU).

Single-process runs never touch torch.distributed: every helper here is a no-op then.

What keeps the ranks identical (the contract tests/genmodels/training/test_distributed.py checks):
- parameters: DDP broadcasts rank 0's at wrap time, then averages gradients; every rank takes the
  same optimizer step on the same gradient, so weights and Adam states stay bit-identical;
- buffers (BatchNorm running statistics, spectral-norm u/v vectors): average_buffers() after every
  step (see its docstring for why, rather than DDP's buffer broadcast or SyncBatchNorm);
- the EMA generator: updated from identical weights and buffers, so identical;
- decisions (stop, time budget, divergence): any_rank_each(), so every rank leaves the loop at the
  same step and no rank is left waiting in a collective.
What differs per rank, on purpose: each takes its slice of the same global batch and draws its own
latents, noise and augmentations (loop._Run._batch, latents.step_generator). Only rank 0 reports
progress, previews, writes checkpoints and exports, none of which is a collective, so the other
ranks simply wait at the next step's all-reduce meanwhile.
"""
from __future__ import annotations

import inspect
import os
from collections.abc import Iterable, Sequence

import torch
import torch.distributed as td
from torch import nn


def launched_by_torchrun() -> bool:
    return "RANK" in os.environ and "WORLD_SIZE" in os.environ


def init_from_env() -> None:
    """Join the process group torchrun describes (env://). gloo serves CPU tensors; with CUDA the
    group also gets NCCL for CUDA tensors (so small CPU flag tensors still work on a GPU machine)."""
    if launched_by_torchrun() and not td.is_initialized():
        if torch.cuda.is_available():
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))  # before NCCL creates its comms
            td.init_process_group(backend="cpu:gloo,cuda:nccl")
        else:
            td.init_process_group(backend="gloo")


def shutdown() -> None:
    """Leave the process group (a no-op when there is none)."""
    if td.is_available() and td.is_initialized():
        td.destroy_process_group()


def active() -> bool:
    return td.is_available() and td.is_initialized() and td.get_world_size() > 1


def world_size() -> int:
    return td.get_world_size() if active() else 1


def rank() -> int:
    return td.get_rank() if active() else 0


def wrap(module: nn.Module, ignore_prefix: str | None = None) -> nn.Module:
    """The module to call in training steps: DDP-wrapped when distributed, else itself. Parameters whose
    names start with ignore_prefix are left out of DDP's gradient all-reduce (ones other steps train).

    DDP's per-forward buffer broadcast is off. The classic recipe calls D twice (real, then fake)
    before one backward, as the seed article does, so that BatchNorm normalises each batch alone.
    DDP allows that: both uses feed one AccumulateGrad per parameter, so each gradient hook fires once
    and the all-reduce carries the whole gradient (checked: bit-equal to the mean of the per-rank
    gradients, fp32 and bf16 autocast). But broadcasting buffers at the second forward would
    overwrite running statistics in place between two forwards of one graph and make them rank 0's
    alone. We average buffers after each step instead (average_buffers). At wrap time the buffers are
    equal anyway: every rank builds the networks from the same seed.
    """
    if not active():
        return module
    ddp = nn.parallel.DistributedDataParallel
    if ignore_prefix:
        ddp._set_params_and_buffers_to_ignore_for_model(
            module, [name for name, _ in module.named_parameters() if name.startswith(ignore_prefix)])
    if "forward_sync_buffers" in inspect.signature(ddp.__init__).parameters:  # newer torch renamed it
        return ddp(module, forward_sync_buffers=False)
    return ddp(module, broadcast_buffers=False)


@torch.no_grad()
def average_buffers(modules: Iterable[nn.Module]) -> None:
    """Replace every floating-point buffer with its mean over the ranks (one all-reduce per dtype).

    Why average, and why after every step: BatchNorm's running statistics are an exponential moving
    average, linear in the per-batch statistics, so averaging the per-shard running means after each
    step gives exactly the running mean of the global batch (and the mean of the shard variances),
    not rank 0's shard alone as DDP's broadcast would. Training-mode forwards never read them, so
    averaging does not change the trajectory, and afterwards every rank holds the same buffers: any
    snapshot, checkpoint or preview taken on rank 0 is the state of every rank. Spectral-norm u/v
    vectors are already identical on every rank (power iteration on identical weights); the average
    keeps them so even if a kernel were not bit-reproducible. SyncBatchNorm would change the maths
    (global-batch normalisation) and runs only on accelerators, not with gloo on CPU.
    Integer buffers (BatchNorm's num_batches_tracked) count forwards, which all ranks share.
    """
    if not active():
        return
    by_dtype: dict[torch.dtype, list[torch.Tensor]] = {}
    for module in modules:
        for buf in module.buffers():
            if buf.is_floating_point():
                by_dtype.setdefault(buf.dtype, []).append(buf)
    world = td.get_world_size()
    for bufs in by_dtype.values():
        flat = torch.cat([b.reshape(-1) for b in bufs])  # (total,)
        td.all_reduce(flat)
        flat.div_(world)
        for b, part in zip(bufs, flat.split([b.numel() for b in bufs])):
            b.copy_(part.view_as(b))


def any_rank_each(flags: Sequence[bool]) -> list[bool]:
    """Element-wise: flag i is true if it is true on any process. One all-reduce for all flags, so
    every rank makes the same decision at the same step (and none waits in a collective alone)."""
    if not active():
        return [bool(f) for f in flags]
    t = torch.tensor([1.0 if f else 0.0 for f in flags])  # CPU: gloo, also on a GPU machine
    td.all_reduce(t, op=td.ReduceOp.MAX)
    return [bool(v) for v in t.tolist()]


def any_rank(flag: bool) -> bool:
    """True if flag is true on any process, so all ranks stop at the same step."""
    return any_rank_each([flag])[0]
