"""Timing helpers the benches share."""
from __future__ import annotations

import statistics
import time
from typing import Callable


def median_ms(fn: Callable[[], object], repeats: int) -> float:
    """Median wall time of fn() over `repeats` calls, in milliseconds, after one untimed call."""
    fn()  # warm-up: first-call costs (allocations, cached tables) are not the steady state
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(times)
