"""Training checkpoints: networks, EMA, optimizer states, step and RNG seed in ONE safetensors file.

The JSON part (step, epoch, configs, optimizer hyper-parameters, elapsed time) rides in the
safetensors header's __metadata__, so the tensors and the JSON can never disagree, and one
os.replace makes the whole checkpoint appear at once: a run killed mid-save leaves the previous
checkpoint intact (safe_tensors_io.write_bytes_atomic), and the next run in that folder (a --resume)
deletes the half-written temp file first (safe_tensors_io.remove_stale_temps). A readable copy of the
JSON is written beside it for people; the loader never trusts that copy.

Randomness needs no saved generator state: every step draws from a generator seeded by
(run seed, step), so (seed, step) *is* the RNG state, and both are in the JSON.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..errors import StudioError
from ..storage.safe_tensors_io import (
    read_tensors,
    write_bytes_atomic,
    write_tensors_atomic,
)

CHECKPOINT_FILE = "checkpoint.safetensors"
CHECKPOINT_VERSION = 1
_META_KEY = "latent_studio_checkpoint"


class CheckpointError(StudioError):
    """A checkpoint that cannot be resumed from."""


def flatten_state(modules: dict[str, nn.Module], optimizers: dict[str, torch.optim.Optimizer]
                  ) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """-> (tensors, json_part). Tensors are detached CPU clones, so the result is a snapshot."""
    tensors: dict[str, torch.Tensor] = {}
    for name, module in modules.items():
        for key, value in module.state_dict().items():
            tensors[f"{name}/{key}"] = value.detach().to("cpu", copy=True)
    groups: dict[str, Any] = {}
    for name, opt in optimizers.items():
        sd = opt.state_dict()
        groups[name] = sd["param_groups"]
        for idx, state in sd["state"].items():
            for key, value in state.items():
                if not torch.is_tensor(value):
                    value = torch.tensor(value)
                tensors[f"opt.{name}/{idx}/{key}"] = value.detach().to("cpu", copy=True)
    return tensors, {"optimizer_groups": groups}


def restore_state(tensors: dict[str, torch.Tensor], json_part: dict[str, Any], modules: dict[str, nn.Module],
                  optimizers: dict[str, torch.optim.Optimizer], optional: tuple[str, ...] = ()) -> None:
    """Load a flatten_state() result back into live modules and optimizers (strict: every key). Modules
    named in optional may be missing from the tensors altogether (state a recipe gained after the
    checkpoint was written) and then keep their starting state."""
    for name, module in modules.items():
        prefix = f"{name}/"
        sd = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
        if not sd and name in optional:
            continue
        try:
            module.load_state_dict(sd, strict=True)
        except RuntimeError:
            raise CheckpointError(f"The checkpoint does not match this model ({name}).") from None
    for name, opt in optimizers.items():
        prefix = f"opt.{name}/"
        state: dict[int, dict[str, torch.Tensor]] = {}
        for key, value in tensors.items():
            if key.startswith(prefix):
                idx, field = key[len(prefix):].split("/", 1)
                state.setdefault(int(idx), {})[field] = value
        try:
            opt.load_state_dict({"state": state, "param_groups": json_part["optimizer_groups"][name]})
        except (KeyError, ValueError, RuntimeError):
            raise CheckpointError(f"The checkpoint's optimizer state does not match ({name}).") from None


def save_checkpoint(folder: str | Path, tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> Path:
    """Atomically write folder/checkpoint.safetensors (+ a readable checkpoint.json)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for key, value in tensors.items():
        if value.is_floating_point() and not torch.isfinite(value).all():
            raise CheckpointError(f"Refusing to write a checkpoint with non-finite values ({key}).")
    meta = {**meta, "checkpoint_version": CHECKPOINT_VERSION}
    text = json.dumps(meta, sort_keys=True)
    path = folder / CHECKPOINT_FILE
    write_tensors_atomic(path, tensors, metadata={_META_KEY: text})
    write_bytes_atomic(folder / "checkpoint.json", json.dumps(meta, indent=2, sort_keys=True).encode())
    return path


def load_checkpoint(folder: str | Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """-> (tensors, meta) from folder/checkpoint.safetensors. Raises CheckpointError."""
    path = Path(folder) / CHECKPOINT_FILE
    if not path.is_file():
        raise CheckpointError(f"There is no checkpoint to resume from in {Path(folder).name}.")
    from safetensors import safe_open

    tensors = read_tensors(path)  # validates the header and offsets first
    with safe_open(str(path), framework="pt") as f:
        text = (f.metadata() or {}).get(_META_KEY)
    if not text:
        raise CheckpointError(f"{path.name} is not a Latent Studio checkpoint.")
    meta = json.loads(text)
    if meta.get("checkpoint_version", 0) > CHECKPOINT_VERSION:
        raise CheckpointError("This checkpoint was written by a newer Latent Studio.")
    return tensors, meta
