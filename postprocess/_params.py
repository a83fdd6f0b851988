"""Parameter specs: the types an edit setting can have, their ranges, and value validation.

Each Param knows how to check and normalise one value ("between 0 and 3", "#aabbcc", ...) and how
to describe itself as JSON for the UI. The small builders at the bottom keep declarations short.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ._common import EditError, check_image, parse_color

ParamType = Literal["float", "int", "bool", "choice", "color", "palette", "image"]

_TYPE_WORDS = {
    "float": "a number", "int": "a whole number", "bool": "true or false", "choice": "one of the options",
    "color": "a colour like \"#aabbcc\"", "palette": "a list of colours like [\"#aabbcc\", \"#112233\"]",
    "image": "a reference image (uint8 H x W x 3 RGB array)",
}


def _num(x: float) -> str:
    """Short display of a bound: 3 not 3.0, 0.25 not 0.25000000001."""
    return f"{x:g}"


@dataclass(frozen=True)
class Param:
    """One keyword parameter of an edit.

    neutral: the value that, with the edit's other parameters at their neutral values, returns the
    image unchanged; None when the parameter has no effect of its own (e.g. a radius that only matters
    when strength > 0). For "palette", min/max bound the number of colours. "image" parameters take a
    reference array in direct calls and a reference *name* inside an EditStack (see stack.py).
    """

    name: str
    label: str
    type: ParamType
    default: Any = None
    neutral: Any = None
    min: float | None = None
    max: float | None = None
    step: float | None = None
    choices: tuple[Any, ...] | None = None
    description: str = ""

    @property
    def required(self) -> bool:
        return self.default is None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description for UIs and API docs."""
        return {
            "name": self.name, "label": self.label, "type": self.type, "default": _plain(self.default),
            "neutral": _plain(self.neutral), "min": self.min, "max": self.max, "step": self.step,
            "choices": list(self.choices) if self.choices is not None else None,
            "required": self.required, "description": self.description,
        }

    def check(self, value: Any, owner: str) -> Any:
        """Return `value` normalised to this parameter's type, or raise EditError (one sentence)."""
        where = f"{owner}: {self.label} ('{self.name}')"
        kind = self.type
        if kind in ("float", "int"):
            return self._check_number(value, where)
        if kind == "bool":
            if isinstance(value, (bool, np.bool_)):
                return bool(value)
        elif kind == "choice":
            if isinstance(value, str) and value in self.choices:
                return value
            options = ", ".join(f"'{c}'" for c in self.choices)
            raise EditError(f"{where} must be one of {options} (got {value!r}).")
        elif kind == "color":
            colour = parse_color(value)
            if colour is not None:
                return colour
        elif kind == "palette":
            return self._check_palette(value, where)
        elif kind == "image":
            if isinstance(value, np.ndarray):
                return check_image(value, f"{where}")
        raise EditError(f"{where} must be {_TYPE_WORDS[kind]} (got {_short(value)}).")

    def _check_number(self, value: Any, where: str) -> float | int:
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise EditError(f"{where} must be {_TYPE_WORDS[self.type]} (got {_short(value)}).")
        try:
            number = float(value)
        except OverflowError:  # an int with hundreds of digits, e.g. from JSON
            number = math.inf
        if not math.isfinite(number):
            raise EditError(f"{where} must be a finite number (got {_short(value)}).")
        if self.type == "int":
            if not number.is_integer():
                raise EditError(f"{where} must be a whole number (got {_short(value)}).")
            number = int(number)
        if (self.min is not None and number < self.min) or (self.max is not None and number > self.max):
            raise EditError(f"{where} must be between {_num(self.min)} and {_num(self.max)} (got {_num(number)}).")
        return number

    def _check_palette(self, value: Any, where: str) -> list[str]:
        # A pasted "#aabbcc, #112233" string is accepted too: designers copy palettes as text.
        items = value.replace(",", " ").split() if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)):
            raise EditError(f"{where} must be {_TYPE_WORDS['palette']} (got {_short(value)}).")
        colours = []
        for item in items:
            colour = parse_color(item)
            if colour is None:
                raise EditError(f"{where} contains {_short(item)}, which is not a colour like \"#aabbcc\".")
            colours.append(colour)
        if not (self.min <= len(colours) <= self.max):
            raise EditError(f"{where} needs {_num(self.min)} to {_num(self.max)} colours (got {len(colours)}).")
        return colours


def _short(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


# Builders keep the per-edit declarations short and uniform.

def number(name: str, label: str, lo: float, hi: float, step: float, default: float,
           neutral: float | None = None, description: str = "") -> Param:
    return Param(name, label, "float", float(default), None if neutral is None else float(neutral),
                 float(lo), float(hi), float(step), None, description)


def integer(name: str, label: str, lo: int, hi: int, default: int, neutral: int | None = None,
            description: str = "") -> Param:
    return Param(name, label, "int", int(default), neutral, int(lo), int(hi), 1, None, description)


def flag(name: str, label: str, default: bool, neutral: bool | None = None, description: str = "") -> Param:
    return Param(name, label, "bool", default, neutral, description=description)


def choice(name: str, label: str, options: tuple[str, ...], default: str, neutral: str | None = None,
           description: str = "") -> Param:
    return Param(name, label, "choice", default, neutral, choices=options, description=description)


def color(name: str, label: str, default: str, description: str = "") -> Param:
    return Param(name, label, "color", default, description=description)


def palette(name: str, label: str, default: tuple[str, ...], lo: int = 1, hi: int = 32,
            description: str = "") -> Param:
    return Param(name, label, "palette", default, None, lo, hi, 1, None, description)


def reference(name: str, label: str, description: str) -> Param:
    return Param(name, label, "image", None, description=description)


def strength(default: float = 1.0) -> Param:
    """The shared style-filter dial: 0 = original, 1 = full effect."""
    return number("strength", "Strength", 0.0, 1.0, 0.01, default, neutral=0.0,
                  description="0 = original, 1 = full effect")
