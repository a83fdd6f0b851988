"""The registry of edits: one read-only table the UI builds controls from and the API validates against.

The table is assembled from each group module's `EDITS` tuple (the decorated functions carry their
specs), so an edit's code, docstring and parameter ranges live in one place. Building it is a pure
computation at import: no I/O, nothing mutable is exported.
"""
from __future__ import annotations

import difflib
from types import MappingProxyType
from typing import Any, Mapping

import numpy as np

from . import artistic, colour, palette, size, style, tiling, tone
from ._common import MAX_PIXELS, MAX_SIDE, EditError, check_image
from ._spec import GROUPS, Edit

_MODULES = (tone, style, artistic, tiling, colour, palette, size)  # display order within each group follows this


def _build() -> Mapping[str, Edit]:
    table: dict[str, Edit] = {}
    for module in _MODULES:
        for fn in module.EDITS:
            spec: Edit = fn.spec
            if spec.name in table:
                raise RuntimeError(f"duplicate edit name {spec.name!r}")
            table[spec.name] = spec
    ordered = sorted(table.values(), key=lambda e: GROUPS.index(e.group))  # stable: keeps module order
    return MappingProxyType({e.name: e for e in ordered})


EDITS: Mapping[str, Edit] = _build()


def edit_names() -> list[str]:
    """Every edit key, in display order (Tone, Style, Colour, Size)."""
    return list(EDITS)


def get_edit(name: str) -> Edit:
    """The spec of edit `name`, or EditError naming the closest match."""
    if not isinstance(name, str):
        raise EditError(f"An edit name must be text, not {type(name).__name__}.")
    try:
        return EDITS[name]
    except KeyError:
        close = difflib.get_close_matches(name, list(EDITS), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else f"; see list_edits() for the {len(EDITS)} edits"
        raise EditError(f"There is no edit called {name!r}{hint}.") from None


def list_edits(group: str | None = None) -> list[dict[str, Any]]:
    """A JSON-ready description of every edit (optionally one group), in display order.

    Each entry: name (stable key), label, group, description, changes_size, params (name, label,
    type, default, neutral, min, max, step, choices, required, description), defaults, neutral
    (settings that return the image unchanged) and references (names of reference-image params).
    """
    if group is not None and group not in GROUPS:
        raise EditError(f"There is no edit group called {group!r}; the groups are {', '.join(GROUPS)}.")
    return [e.to_dict() for e in EDITS.values() if group is None or e.group == group]


def limits() -> dict[str, int]:
    """Largest image a size edit may produce: {"max_side": 4096, "max_pixels": 16777216}."""
    return {"max_side": MAX_SIDE, "max_pixels": MAX_PIXELS}


def apply_edit(image: np.ndarray, name: str, params: Mapping[str, Any] | None = None) -> np.ndarray:
    """Apply edit `name` with `params` (missing ones take their defaults) and return a new image.

    Raises EditError with one sentence for an unknown edit or setting, a value of the wrong type,
    out of range, NaN or infinite, or a missing reference image. The input is never modified.
    """
    spec = get_edit(name)
    check_image(image)
    return spec.fn(image, **spec.resolve(params))
