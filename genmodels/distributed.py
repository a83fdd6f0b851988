"""Multi-process training with torchrun: DistributedDataParallel (gloo on CPU, NCCL on GPU).

Single-process runs never touch torch.distributed: every helper here is a no-op then.
"""
from __future__ import annotations

import os

import torch
import torch.distributed as td
from torch import nn


def launched_by_torchrun() -> bool:
    return "RANK" in os.environ and "WORLD_SIZE" in os.environ


def init_from_env() -> None:
    """Join the process group torchrun describes (env://); gloo on CPU, NCCL when CUDA is present."""
    if launched_by_torchrun() and not td.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        td.init_process_group(backend=backend)
        if torch.cuda.is_available():
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))


def active() -> bool:
    return td.is_available() and td.is_initialized() and td.get_world_size() > 1


def world_size() -> int:
    return td.get_world_size() if active() else 1


def rank() -> int:
    return td.get_rank() if active() else 0


def wrap(module: nn.Module) -> nn.Module:
    """The module to call in training steps: DDP-wrapped when distributed, else itself."""
    if not active():
        return module
    return nn.parallel.DistributedDataParallel(module, broadcast_buffers=False)


def any_rank(flag: bool) -> bool:
    """True if flag is true on any process, so all ranks stop at the same step."""
    if not active():
        return flag
    t = torch.tensor([1.0 if flag else 0.0])
    td.all_reduce(t, op=td.ReduceOp.MAX)
    return bool(t.item())
