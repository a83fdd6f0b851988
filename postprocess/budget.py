"""What an edit stack will cost before it runs, so a server can refuse work it cannot afford.

Each edit declares its cost in milliseconds per megapixel on a 2-core laptop (`@edit(cost=...)`;
`python -m bench.edit_speed --costs` measures each edit at its dearest settings beside what it
declares) and, for size edits, the size it makes. `stack_cost` walks the stack on sizes alone: no pixel is touched, so pricing a 64-step stack
of upscales and slow filters takes microseconds. An output above the size limit is refused here,
before any work, with the same sentence the edit itself would give.
"""
from __future__ import annotations

from dataclasses import dataclass

from ._common import EditError, check_output_size, working_size
from .registry import get_edit
from .stack import EditStack

STEP_MS = 5.0  # a step's fixed cost whatever the size (buffers, colour conversions, Python)


@dataclass(frozen=True)
class StackCost:
    """What applying a stack to one picture costs: estimated seconds of a 2-core laptop's time, the
    result's (height, width), and the largest picture any step holds (pixels)."""

    seconds: float
    output: tuple[int, int]
    peak_pixels: int

    @property
    def output_pixels(self) -> int:
        return self.output[0] * self.output[1]


def stack_cost(stack: EditStack, height: int, width: int, max_side: int | None = None) -> StackCost:
    """The cost of `stack.apply(max_side=max_side)` on a height x width picture; EditError if a step
    would make a picture above the size limit (4096 px a side, 16.8 Mpx)."""
    if height < 1 or width < 1:
        raise EditError(f"A picture has at least one pixel a side, not {width} x {height}.")
    ms, peak = 0.0, height * width
    for index, (name, params) in enumerate(stack.steps):
        spec = get_edit(name)
        new_h, new_w = spec.shape_after(height, width, params)
        try:
            check_output_size(new_h, new_w, spec.label)
        except EditError as err:
            raise EditError(f"Edit stack step {index + 1}: {err}") from None
        pixels = max(height * width, new_h * new_w)
        ms += STEP_MS + spec.cost_ms_per_mpx(params) * pixels / 1e6
        peak = max(peak, pixels)
        height, width = (new_h, new_w) if max_side is None else working_size(new_h, new_w, max_side)
    return StackCost(ms / 1000.0, (height, width), peak)
