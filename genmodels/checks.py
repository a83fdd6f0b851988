"""The one range check for numbers a user or an API caller sends: refused with one sentence, never a traceback.

JSON gives floats where integers belong (2.0) and lets NaN and booleans through; every facade function
and TrainConfig check their numbers here so the rules and the sentences are the same everywhere.
"""
from __future__ import annotations

import math

from .errors import StudioError


def check_number(name: str, value: int | float, low: int | float, high: int | float, whole: bool = False
                 ) -> int | float:
    """value as an int (whole=True; 2.0 is accepted as 2) or a float, if it is a finite number in
    [low, high]; otherwise a StudioError naming `name` and the range."""
    kind = "a whole number" if whole else "a number"
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not _finite(value):
        raise StudioError(f"{name} must be {kind} between {low} and {high}.")
    if whole and value != int(value):
        raise StudioError(f"{name} must be {kind} between {low} and {high}.")
    number = int(value) if whole else float(value)
    if not low <= number <= high:
        raise StudioError(f"{name} must be between {low} and {high}, got {number}.")
    return number


def _finite(value: int | float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an int beyond any float (10**400, which JSON can carry)
        return False
