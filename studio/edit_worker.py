"""Slow edit stacks run in a low-priority child process, so they cannot take the CPU from Generate.

A stack priced above INLINE_SECONDS (postprocess.stack_cost) is applied by `python -m
studio.edit_worker` at nice 10: when the server is busy the kernel gives it a small share of the
cores, when it is idle all of them. The child imports only postprocess (about a quarter of a second
to start, never torch or the app), holds the stack's large intermediate pictures, so their memory goes
back to the system when it exits, and is killed the moment its visitor leaves rather than at the next
step. Parent and child speak JSON and .npy over the child's stdin and stdout (no pickle either way).
"""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
from numpy.lib.format import read_array, write_array

import postprocess

INLINE_SECONDS = 1.0  # cheaper stacks run in the request's own thread: a child would cost more than it saves
NICENESS = 10
_POLL_S = 0.05
_ROOT = Path(__file__).resolve().parent.parent  # where `studio` and `postprocess` are importable from


def apply(stack: postprocess.EditStack, image: np.ndarray, references: Mapping[str, np.ndarray] | None,
          seconds: float, should_stop: Callable[[], bool], max_side: int | None = None) -> np.ndarray:
    """stack.apply(image, references, max_side=max_side), in a low-priority child when its price
    (`seconds`) is above INLINE_SECONDS; postprocess.EditCancelled as soon as should_stop() says the
    visitor has gone."""
    if seconds <= INLINE_SECONDS:
        return stack.apply(image, references=references, should_stop=should_stop, max_side=max_side)
    if should_stop():
        raise postprocess.EditCancelled("The edits stopped before they began: nobody is waiting for them.")
    references = dict(references or {})
    request = io.BytesIO()
    header = {"stack": stack.to_dict(), "max_side": max_side, "references": list(references)}
    request.write(json.dumps(header).encode() + b"\n")
    for array in (image, *references.values()):
        write_array(request, np.ascontiguousarray(array), allow_pickle=False)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(_ROOT), os.environ.get("PYTHONPATH")]))}
    child = subprocess.Popen([sys.executable, "-m", "studio.edit_worker"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    reply: list[bytes] = []
    talk = threading.Thread(target=lambda: reply.append(child.communicate(request.getvalue())[0]), daemon=True)
    talk.start()
    try:
        while talk.is_alive():
            talk.join(_POLL_S)
            if talk.is_alive() and should_stop():
                raise postprocess.EditCancelled("The edits stopped: nobody is waiting for them any more.")
    finally:
        if child.poll() is None:
            child.kill()
        talk.join(5)
    return _answer(reply[0] if reply else b"")


def _answer(data: bytes) -> np.ndarray:
    """The child's reply: the picture, or its refusal raised as the EditError it was."""
    head, _, body = data.partition(b"\n")
    try:
        status = json.loads(head)
    except ValueError:
        raise postprocess.EditError("The edits could not finish (the worker stopped, perhaps out of memory); "
                                    "try a smaller picture or fewer steps.") from None
    if not status.get("ok"):
        raise postprocess.EditError(str(status.get("error", "The edits could not finish.")))
    return read_array(io.BytesIO(body), allow_pickle=False)


def _serve() -> None:
    """In the child: lower its priority, read the request from stdin, write the reply to stdout."""
    if hasattr(os, "nice"):
        os.nice(NICENESS)
    source = io.BytesIO(sys.stdin.buffer.read())  # numpy cannot read arrays straight from a pipe
    header = json.loads(source.readline())
    image = read_array(source, allow_pickle=False)
    references = {name: read_array(source, allow_pickle=False) for name in header["references"]}
    out = sys.stdout.buffer
    try:
        stack = postprocess.EditStack.from_dict(header["stack"])
        result = stack.apply(image, references=references, max_side=header["max_side"])
    except postprocess.EditError as err:
        out.write(json.dumps({"ok": False, "error": str(err)}).encode() + b"\n")
    else:
        out.write(b'{"ok": true}\n')
        write_array(out, result, allow_pickle=False)
    out.flush()


if __name__ == "__main__":
    _serve()
