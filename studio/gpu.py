"""Using a GPU when the Space (or laptop) has one.

- CUDA present: models load onto it (genmodels.use_device), so drawing, blends, paths and "Find in
  model" run there; training already picks it (TrainConfig.device = "auto").
- ZeroGPU Spaces lend a GPU per call to functions decorated with `@spaces.GPU(duration=...)` and run
  them in a worker process. So only pure computations are decorated (arguments in, pictures and
  latents out), never a handler that changes the visitor's session: a change made in the worker would
  be lost. Training does not fit a ZeroGPU call's time limit and runs on the CPU there (the Train tab
  says so).
- Without the `spaces` package (a laptop, a CPU Space) nothing is decorated and nothing changes.
"""
from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from typing import TypeVar

import genmodels

DRAW_SECONDS = 20  # a ZeroGPU call's budget for drawing up to 64 images, a blend or a path
SEARCH_SECONDS = 60  # "Find in model": a few hundred optimisation steps
F = TypeVar("F", bound=Callable)


def _spaces():
    try:
        return importlib.import_module("spaces")
    except ImportError:
        return None


def on_zero_gpu() -> bool:
    """A ZeroGPU Space: the `spaces` package is there and the Space set SPACES_ZERO_GPU."""
    return _spaces() is not None and os.environ.get("SPACES_ZERO_GPU", "").lower() in ("1", "true")


def task(seconds: int) -> Callable[[F], F]:
    """Decorator for a pure computation that may run on a lent GPU: `@spaces.GPU(duration=seconds)` when
    the `spaces` package is importable (it does nothing off ZeroGPU), else the function unchanged."""
    spaces = _spaces()

    def wrap(fn: F) -> F:
        return spaces.GPU(duration=seconds)(fn) if spaces is not None else fn

    return wrap


def use_best_device() -> str:
    """At launch: models run on CUDA when torch sees it (on ZeroGPU, inside the decorated calls)."""
    return genmodels.use_device("auto")
