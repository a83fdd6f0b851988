"""How far a training run is and how fast it goes (the loop's progress events and schedules)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


class RunProgress:
    """How far a run is and how fast it goes, by the run's clock (wall or CPU seconds)."""

    def __init__(self, clock: Callable[[], float], start_step: int, limit: int, budget_s: float | None,
                 window_steps: int):
        self.clock, self.start_step, self.limit, self.budget_s = clock, start_step, limit, budget_s
        self.window_steps = window_steps  # speed is re-measured every this many steps
        self.t0 = clock()
        # Speed is measured over the last progress interval, not since the start, so the first steps'
        # one-off kernel set-up does not skew it.
        self.window_t, self.window_step, self.steps_per_s = self.t0, start_step, 0.0

    def stats(self, step: int, batch: int) -> tuple[float, float, float | None, float]:
        """(elapsed seconds, fraction done 0..1, seconds left or None, images per second)."""
        now = self.clock()
        elapsed = now - self.t0
        if step - self.window_step >= self.window_steps:
            self.steps_per_s = (step - self.window_step) / (now - self.window_t)
            self.window_t, self.window_step = now, step
        fractions = [(step - self.start_step) / max(1, self.limit - self.start_step)]
        etas = [(self.limit - step) / self.steps_per_s] if self.steps_per_s > 0 else []
        if self.budget_s:
            fractions.append(elapsed / self.budget_s)
            etas.append(max(0.0, self.budget_s - elapsed))
        return elapsed, min(1.0, max(fractions)), min(etas) if etas else None, self.steps_per_s * batch

    def schedule(self, step: int) -> float:
        """How far the run is, for the resolution schedule: by step against a step/epoch limit (absolute,
        so a resumed run follows the same schedule as an unbroken one), or by the time budget."""
        fractions = [step / self.limit] if self.limit < 10**12 else []
        if self.budget_s:
            fractions.append((self.clock() - self.t0) / self.budget_s)
        return min(1.0, max(fractions)) if fractions else 1.0


@dataclass
class TrainEvent:
    """One thing worth showing. kind: "started", "progress", "preview", "checkpoint", "finished",
    "stopped" (stop button / Ctrl-C / time budget reached early) or "diverged"."""

    kind: str
    step: int
    epoch: int
    fraction: float  # 0..1 of the run's budget used
    elapsed_s: float
    eta_s: float | None
    images_per_s: float
    losses: dict[str, float] = field(default_factory=dict)
    preview: np.ndarray | None = None  # uint8 grid from fixed latents
    message: str = ""
    model_dir: str | None = None
