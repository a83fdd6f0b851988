"""Slow edit stacks run in a low-priority child process, so they cannot take the CPU from Generate.

A stack priced above INLINE_SECONDS (postprocess.stack_cost) is applied in a child process at nice 10:
when the server is busy the kernel gives it a small share of the cores, when it is idle all of them.
The child holds the stack's large intermediate pictures, so their memory goes back to the system when
it exits, and a visitor who leaves is stopped at once (the child is killed) rather than at the next
step. Children fork from a server process that has imported only postprocess (the "forkserver"
start method), so starting one takes milliseconds and never copies torch or the app's threads.
"""
from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Mapping

import numpy as np

import postprocess

INLINE_SECONDS = 1.0  # cheaper stacks run in the request's own thread: a child would cost more than it saves
NICENESS = 10
_POLL_S = 0.05


def _context():
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["postprocess", "studio.edit_worker"])
        return ctx
    return multiprocessing.get_context("spawn")


_CTX = None


def apply(stack: postprocess.EditStack, image: np.ndarray, references: Mapping[str, np.ndarray] | None,
          seconds: float, should_stop: Callable[[], bool], max_side: int | None = None) -> np.ndarray:
    """stack.apply(image, references, max_side=max_side), in a low-priority child when its price
    (`seconds`) is above INLINE_SECONDS; postprocess.EditCancelled as soon as should_stop() says the
    visitor has gone."""
    global _CTX
    if seconds <= INLINE_SECONDS:
        return stack.apply(image, references=references, should_stop=should_stop, max_side=max_side)
    if should_stop():
        raise postprocess.EditCancelled("The edits stopped before they began: nobody is waiting for them.")
    _CTX = _CTX or _context()
    receiver, sender = _CTX.Pipe(duplex=False)
    child = _CTX.Process(target=_run, args=(sender, stack.to_dict(), image, dict(references or {}), max_side),
                         name="latent-studio-edits", daemon=True)
    child.start()
    sender.close()
    try:
        while not receiver.poll(_POLL_S):
            if should_stop():
                raise postprocess.EditCancelled("The edits stopped: nobody is waiting for them any more.")
            if not child.is_alive() and not receiver.poll(0):
                raise postprocess.EditError("The edits could not finish (the worker ran out of memory or was "
                                            "stopped); try a smaller picture or fewer steps.")
        ok, value = receiver.recv()
    except EOFError:
        raise postprocess.EditError("The edits could not finish (the worker stopped); try a smaller picture "
                                    "or fewer steps.") from None
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join(5)
    if not ok:
        raise postprocess.EditError(value)
    return value


def _run(sender, stack: dict, image: np.ndarray, references: dict, max_side: int | None) -> None:
    """In the child: lower its priority, apply the stack, send back (True, picture) or (False, sentence)."""
    if hasattr(os, "nice"):
        os.nice(NICENESS)
    try:
        result = (True, postprocess.EditStack.from_dict(stack).apply(image, references=references, max_side=max_side))
    except postprocess.EditError as err:
        result = (False, str(err))
    sender.send(result)
    sender.close()
