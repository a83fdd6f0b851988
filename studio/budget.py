"""Work budgets: what one request may ask of the server, priced before any work starts.

An edit stack comes from a visitor (the Edit tab, a dropped PNG, the browser's favourites), so its
cost is worked out from sizes alone (postprocess.stack_cost) and refused in one sentence when it is
over; a request's stacks share one budget, so 48 favourites cost what one download may. The heavy
handlers run on their own queue line (HEAVY_LINE, one at a time), so a visitor's slow edits wait
for each other instead of in front of everyone's Generate, and they stop when the visitor who asked
has gone (client_left; studio/edit_worker.py runs the slow ones at low priority).
"""
from __future__ import annotations

from collections.abc import Callable

import postprocess

from genmodels.errors import StudioError

MAX_REQUEST_SECONDS = 30.0  # estimated seconds of a 2-core laptop's time for the edits of one request
MAX_REQUEST_PIXELS = 3 * postprocess.MAX_PIXELS  # pictures one request may make, in total (~150 MB)
# The queue line (Gradio concurrency id) of every handler that applies a visitor's edit stack at full
# size: one runs at a time, whoever asked.
HEAVY_LINE = {"concurrency_id": "edit-full", "concurrency_limit": 1}
# The Edit tab's live view (at most 768 px after every step) has a line of its own, also one at a time,
# so dragging a slider never waits behind someone's full-size download.
PREVIEW_LINE = {"concurrency_id": "edit", "concurrency_limit": 1}


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} seconds" if seconds < 120 else f"{seconds / 60:.0f} minutes"


class RequestBudget:
    """The work one request has left. charge() prices a stack on a picture's size and takes it from
    the budget, or refuses with one sentence and takes nothing; should_stop is for EditStack.apply."""

    def __init__(self) -> None:
        self.seconds_left = MAX_REQUEST_SECONDS
        self.pixels_left = MAX_REQUEST_PIXELS
        self.should_stop = client_left()

    def charge(self, stack: postprocess.EditStack, height: int, width: int,
               what: str = "These edits") -> postprocess.StackCost:
        cost = postprocess.stack_cost(stack, height, width)
        if cost.seconds > self.seconds_left:
            spent = MAX_REQUEST_SECONDS - self.seconds_left
            limit = (f"one request may use {_duration(MAX_REQUEST_SECONDS)}" if spent < 0.05 else
                     f"this request has {_duration(self.seconds_left)} of its {_duration(MAX_REQUEST_SECONDS)} left")
            out_h, out_w = cost.output
            raise StudioError(f"{what} would take about {_duration(cost.seconds)} of computer time (from a "
                              f"{width} x {height} px picture to a {out_w} x {out_h} px one), and {limit}: remove "
                              "a slow step (denoise 'best', painterly, watercolour) or work on a smaller picture.")
        if cost.output_pixels > self.pixels_left:
            raise StudioError(f"{what} would make more picture than one request may "
                              f"({MAX_REQUEST_PIXELS / 1e6:.0f} megapixels in all): make the pictures smaller.")
        self.seconds_left -= cost.seconds
        self.pixels_left -= cost.output_pixels
        return cost

    def check_left(self) -> None:
        """Between pieces of work: postprocess.EditCancelled once the visitor who asked has gone."""
        if self.should_stop():
            raise postprocess.EditCancelled("Stopped: nobody is waiting for this any more.")


def client_left() -> Callable[[], bool]:
    """A should_stop for the current queued request: True once its visitor has gone.

    Gradio marks a running event not alive when its page's event stream closes (the tab was closed,
    the connection dropped) and takes it out of the running jobs when the client cancels it; a plain
    function cannot be interrupted, so the work asks between steps. No public API says whether a
    running event's client is still there, so this reads Gradio's queue (LocalContext, active_jobs and
    Event.alive, which gradio/queueing.py itself uses to stop generators);
    tests/studio/test_work_budget.py catches a Gradio that changes them. Outside a queued request
    (a direct call, a test) nobody can leave: always False."""
    try:
        from gradio.context import LocalContext
    except ImportError:
        return lambda: False
    blocks, event_id = LocalContext.blocks.get(None), LocalContext.event_id.get(None)
    queue = getattr(blocks, "_queue", None)
    jobs = getattr(queue, "active_jobs", None)
    if jobs is None or event_id is None:
        return lambda: False
    event = next((e for job in jobs if job for e in job if getattr(e, "_id", None) == event_id), None)
    if event is None or not hasattr(event, "alive"):
        return lambda: False
    return lambda: not event.alive or not any(job and event in job for job in queue.active_jobs)
