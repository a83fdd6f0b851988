"""Driving genmodels.train() from a long-running script: shared by scripts/build_builtin_models.py and
bench/quality.py."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import TypeVar

Event = TypeVar("Event")


def interruptible(events: Iterator[Event], stop: threading.Event) -> Iterator[Event]:
    """train()'s events, one by one. Ctrl-C while train() is working sets `stop` instead of unwinding:
    train() then finishes its step, exports the model so far and yields its last event, so a long run
    stopped by hand keeps what it learned. (`stop` is the Event given to that train() call.)"""
    while True:
        try:
            ev = next(events)
        except StopIteration:
            return
        except KeyboardInterrupt:
            stop.set()
            continue
        yield ev
