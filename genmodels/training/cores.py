"""Sharing the CPU's cores between a training child and the server's own work.

The app trains in a child process (training.child) with a torch thread per core, and draws in the
server's worker threads with as many again. When both run at once, each process's OpenMP threads spin
waiting for cores the other holds, and both crawl (README, "Sharing the cores"). So while the server
works on a visitor's request and a run trains, each side takes half the cores: the request's thread
sets its own torch threads, and each child is told over its stdin ("share" / "alone") and sets its
own between steps. A process without training children changes nothing.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

import torch

SHARE = b"share\n"
ALONE = b"alone\n"

_FULL = torch.get_num_threads()  # the server's threads with the CPU to itself (torch's default, or OMP_NUM_THREADS)
_lock = threading.Lock()
_children: set[ChildLine] = set()
_busy = 0  # requests at work now


class ChildLine:
    """A child's stdin, written from several threads (Stop, sharing) one whole line at a time."""

    def __init__(self, pipe: BinaryIO):
        self._pipe, self._lock = pipe, threading.Lock()

    def say(self, line: bytes) -> None:
        with self._lock:
            try:
                self._pipe.write(line)
                self._pipe.flush()
            except (BrokenPipeError, OSError, ValueError):  # already gone or closed
                pass


def shared_threads(full: int) -> int:
    """A training child's threads while the server works: half of full (at least 1)."""
    return max(1, full // 2)


def server_threads(full: int, training: bool) -> int:
    """A request's threads: full alone, the rest of the cores beside a training child."""
    return max(1, full - full // 2) if training else full


def add_child(line: ChildLine) -> None:
    """A child starts training: it shares at once if a request is at work."""
    with _lock:
        _children.add(line)
        if _busy:
            line.say(SHARE)


def remove_child(line: ChildLine) -> None:
    with _lock:
        _children.discard(line)


@contextmanager
def sharing_cores() -> Iterator[None]:
    """Around a request's work in the server. Sets this thread's torch threads every time (a worker thread
    keeps what it was last given), and tells the children to share while any request is at work."""
    global _busy
    with _lock:  # said under the lock, so a "share" and an "alone" from two threads arrive in their order
        _busy += 1
        training = bool(_children)
        if _busy == 1:
            for line in _children:
                line.say(SHARE)
    torch.set_num_threads(server_threads(_FULL, training))
    try:
        yield
    finally:
        with _lock:
            _busy -= 1
            if _busy == 0:
                for line in _children:
                    line.say(ALONE)
