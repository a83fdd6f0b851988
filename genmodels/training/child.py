"""Training in a child process, for the app: train() run by `python -m genmodels.training`.

A server runs each request in a worker thread, and torch runs slower there than on a process's main
thread: once two threads have started OpenMP work, libgomp counts more of its threads than there are
cores and stops spinning between parallel regions, so every small operation pays a thread wake-up (on
a 2-core laptop a third of the steps were lost). In its own process the run is the main thread again,
does not hold the server's interpreter lock between operations, and hands all its memory back when it
ends. Parent and child speak JSON and .npy over the child's stdin and stdout (no pickle either way):
the parent sends the config and the pictures, then "stop" when the designer presses Stop, and "share" /
"alone" while the server draws beside the run (training.cores); the child sends each TrainEvent, its
preview grid (if any) after it.
"""
from __future__ import annotations

import dataclasses
import io
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np
import torch
from numpy.lib.format import read_array, write_array

from ..data.dataset import Dataset, DatasetReport
from ..errors import StudioError
from .config import TrainConfig
from .cores import ALONE, SHARE, ChildLine, add_child, remove_child, shared_threads
from .loop import train
from .progress import TrainEvent

STOP = b"stop\n"
SAVE_GRACE_S = 120.0  # a run abandoned by its visitor gets this long to write its checkpoint and model
_ROOT = Path(__file__).resolve().parents[2]  # where `genmodels` is importable from


def train_in_child(cfg: TrainConfig, dataset: Dataset, out_dir: str | Path, stop: threading.Event,
                   resume: bool = False) -> Iterator[TrainEvent]:
    """train(cfg, dataset, out_dir, stop=stop, resume=resume), run by a child process. The same events
    come back; a StudioError in the child is raised here as one; a child that dies (out of memory) ends
    the stream with a StudioError that says so. Closing the stream stops the run, which saves its work."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(_ROOT), os.environ.get("PYTHONPATH")]))}
    child = subprocess.Popen([sys.executable, "-m", "genmodels.training"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, env=env)
    done, line = threading.Event(), ChildLine(child.stdin)
    try:
        _send_request(child.stdin, cfg, dataset, out_dir, resume)
        add_child(line)
        threading.Thread(target=_forward_stop, args=(stop, done, line), daemon=True).start()
        while (event := _read_event(child.stdout)) is not None:
            yield event
            if event.kind in ("finished", "stopped", "diverged"):
                return
        code = child.wait()
        raise StudioError(f"The training process ended without finishing (exit code {code}; perhaps it ran out "
                          "of memory). A stopped run's last checkpoint can be resumed.")
    finally:
        done.set()
        remove_child(line)
        _close(child, line)


def _send_request(pipe: BinaryIO, cfg: TrainConfig, dataset: Dataset, out_dir: str | Path, resume: bool) -> None:
    header = {"config": dataclasses.asdict(cfg), "out_dir": str(out_dir), "resume": bool(resume),
              "names": list(dataset.names), "report": dataclasses.asdict(dataset.report),
              "classes": list(dataset.classes), "labelled": dataset.labels is not None}
    try:
        pipe.write(json.dumps(header).encode() + b"\n")
        _write_array(pipe, dataset.images.numpy())
        if dataset.labels is not None:
            _write_array(pipe, dataset.labels.numpy())
        pipe.flush()
    except (BrokenPipeError, OSError):
        pass  # the child died at start; reading its (missing) events says so


def _forward_stop(stop: threading.Event, done: threading.Event, line: ChildLine) -> None:
    """Tell the child when Stop is pressed (until the run is over)."""
    while not done.is_set():
        if stop.wait(0.2):
            line.say(STOP)
            return


def _read_event(pipe: BinaryIO) -> TrainEvent | None:
    """The child's next event; None at its end of output. A refusal in the child is raised here."""
    line = pipe.readline()
    if not line:
        return None
    fields = json.loads(line)
    if "error" in fields:
        if fields.get("studio"):
            raise StudioError(fields["error"])
        raise RuntimeError(f"Training failed in its process: {fields['error']}")
    preview = _read_array(pipe) if fields.pop("has_preview") else None
    return TrainEvent(**fields, preview=preview)


def _close(child: subprocess.Popen, line: ChildLine) -> None:
    """The child is done, or the stream was abandoned: ask it to stop, let it save, never leave it running."""
    if child.poll() is None:
        line.say(STOP)
        try:  # read on, so a child writing its last events never blocks on a full pipe
            drain = threading.Thread(target=child.stdout.read, daemon=True)
            drain.start()
            child.wait(SAVE_GRACE_S)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        drain.join(5)
    for pipe in (child.stdin, child.stdout):
        try:
            pipe.close()
        except OSError:
            pass


def serve() -> None:
    """In the child: read the request, train, write each event; "stop" (or the parent gone) stops the run."""
    events = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a stray print() must not corrupt the event stream
    # unbuffered: the stop watcher below is still blocked reading when the run ends, and a thread blocked in a
    # buffered reader holds its lock, over which the interpreter's shutdown aborts (exit code -6)
    source = os.fdopen(os.dup(0), "rb", buffering=0)
    try:
        cfg, dataset, out_dir, resume = _read_request(source)
        stop, sharing = threading.Event(), threading.Event()
        threading.Thread(target=_watch_parent, args=(source, stop, sharing), daemon=True).start()
        threads = _Threads(sharing)
        for event in train(cfg, dataset, out_dir, stop=stop, resume=resume):
            threads.follow()
            _write_event(events, event)
    except StudioError as err:
        _write(events, {"error": str(err), "studio": True})
    except Exception as err:
        _write(events, {"error": f"{type(err).__name__}: {err}"})
        raise  # the traceback goes to the server's log
    finally:
        events.close()


def _read_request(source: BinaryIO) -> tuple[TrainConfig, Dataset, str, bool]:
    header = json.loads(source.readline())
    images = torch.from_numpy(_read_array(source))
    labels = torch.from_numpy(_read_array(source)) if header["labelled"] else None
    raw = header["report"]
    report = DatasetReport(**{**raw, "skipped": [tuple(s) for s in raw["skipped"]]})
    dataset = Dataset(images, header["names"], report, labels, tuple(header["classes"]))
    return TrainConfig(**header["config"]), dataset, header["out_dir"], header["resume"]


def _watch_parent(source: BinaryIO, stop: threading.Event, sharing: threading.Event) -> None:
    for line in source:
        if line == STOP:
            break
        if line == SHARE:
            sharing.set()
        elif line == ALONE:
            sharing.clear()
    stop.set()  # "stop", or the parent closed the pipe (it went away): either way, save and end


class _Threads:
    """The run's torch threads: all it started with, half while the server works (the parent says
    "share"). Set on the training thread itself, between steps: torch's thread count is per thread."""

    def __init__(self, sharing: threading.Event):
        self.sharing, self.full = sharing, torch.get_num_threads()
        self.now = self.full

    def follow(self) -> None:
        wanted = shared_threads(self.full) if self.sharing.is_set() else self.full
        if wanted != self.now:
            torch.set_num_threads(wanted)
            self.now = wanted


def _write_event(out: BinaryIO, event: TrainEvent) -> None:
    fields = {f.name: getattr(event, f.name) for f in dataclasses.fields(event) if f.name != "preview"}
    _write(out, {**fields, "has_preview": event.preview is not None}, event.preview)


def _write(out: BinaryIO, fields: dict, array: np.ndarray | None = None) -> None:
    out.write(json.dumps(fields).encode() + b"\n")
    if array is not None:
        _write_array(out, array)
    out.flush()


def _write_array(out: BinaryIO, array: np.ndarray) -> None:
    """An .npy blob after its length: numpy reads .npy from a real file by its file position, which a
    pipe does not have."""
    blob = io.BytesIO()
    write_array(blob, np.ascontiguousarray(array), allow_pickle=False)
    out.write(blob.getbuffer().nbytes.to_bytes(8, "little"))
    out.write(blob.getbuffer())


def _read_array(source: BinaryIO) -> np.ndarray:
    size = int.from_bytes(_read_exactly(source, 8), "little")
    return read_array(io.BytesIO(_read_exactly(source, size)), allow_pickle=False)


def _read_exactly(source: BinaryIO, size: int) -> bytearray:
    """size bytes; an unbuffered pipe returns what has arrived, so read on until all have."""
    data, got = bytearray(size), 0
    view = memoryview(data)
    while got < size:
        n = source.readinto(view[got:])
        if not n:
            raise EOFError("the other process closed the pipe mid-message")
        got += n
    return data
