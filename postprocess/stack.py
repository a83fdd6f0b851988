"""EditStack: an ordered, validated, JSON-serialisable list of (edit name, params), applied in one call.

Reference images (the "image" parameters of colour transfer and histogram matching) are arrays, so
they cannot live in JSON. Inside a stack such a parameter holds a *reference name* (any short
string; `reference_id(image)` gives a content-based one), and the arrays are passed separately to
`apply(image, references={name: array})`. The JSON records which reference was used without
embedding the picture; applying a stack without a reference it needs is refused with a clear error.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any, Callable, Iterable, Iterator, Mapping

import numpy as np

from ._common import EditCancelled, EditError, check_image, shrink
from .registry import get_edit

FORMAT = "latent_studio.edit_stack"
VERSION = 1
MAX_STEPS = 64  # a guard for API input; a designer's stack is a handful of steps
_MAX_JSON_CHARS = 1_000_000


def reference_id(image: np.ndarray) -> str:
    """A stable name for a reference image: "sha256:" + the first 16 hex digits of its pixel hash."""
    check_image(image, "The reference image")
    digest = hashlib.sha256(np.ascontiguousarray(image).tobytes())
    digest.update(repr(image.shape).encode())
    return "sha256:" + digest.hexdigest()[:16]


def _step_parts(item: Any, index: int) -> tuple[Any, Any]:
    """Accept (name, params), [name, params], {"name": ..., "params": ...} or a bare name."""
    if isinstance(item, str):
        return item, None
    if isinstance(item, Mapping) and "name" in item and set(item) <= {"name", "params"}:
        return item["name"], item.get("params")
    if isinstance(item, (tuple, list)) and len(item) == 2:
        return item[0], item[1]
    raise EditError(f"Edit stack step {index + 1} must be [name, params] or {{\"name\", \"params\"}}, "
                    f"not {type(item).__name__}.")


class EditStack:
    """An immutable ordered list of validated edits; `add`/`remove`/`replace` return new stacks.

    Every step is checked when the stack is built (edit name, setting names, types, ranges), and
    missing settings are filled with their defaults, so the saved JSON reproduces the result even
    if a default changes later.
    """

    def __init__(self, steps: Iterable[Any] = ()) -> None:
        if isinstance(steps, (str, bytes, Mapping)):
            raise EditError("An edit stack is built from a list of steps; use EditStack.from_json for JSON text.")
        resolved: list[tuple[str, dict[str, Any]]] = []
        for index, item in enumerate(steps):
            if index >= MAX_STEPS:
                raise EditError(f"An edit stack may have at most {MAX_STEPS} steps.")
            name, params = _step_parts(item, index)
            try:
                spec = get_edit(name)
                resolved.append((spec.name, spec.resolve(params, references_as_names=True)))
            except EditError as err:
                raise EditError(f"Edit stack step {index + 1}: {err}") from None
        self._steps: tuple[tuple[str, dict[str, Any]], ...] = tuple(resolved)

    # -- a small immutable sequence -------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._steps)

    def __iter__(self) -> Iterator[tuple[str, dict[str, Any]]]:
        return iter(self.steps)

    @property
    def steps(self) -> list[tuple[str, dict[str, Any]]]:
        """The steps as (name, params) pairs; copies, so callers cannot change the stack."""
        return [(name, json.loads(json.dumps(params))) for name, params in self._steps]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, EditStack) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"EditStack({[name for name, _ in self._steps]})"

    def add(self, name: str, params: Mapping[str, Any] | None = None) -> "EditStack":
        """A new stack with one more step at the end."""
        return EditStack([*self._steps, (name, params)])

    def remove(self, index: int) -> "EditStack":
        """A new stack without step `index` (0-based)."""
        self._check_index(index)
        return EditStack([s for i, s in enumerate(self._steps) if i != index])

    def replace(self, index: int, name: str, params: Mapping[str, Any] | None = None) -> "EditStack":
        """A new stack with step `index` (0-based) replaced."""
        self._check_index(index)
        return EditStack([(name, params) if i == index else s for i, s in enumerate(self._steps)])

    def _check_index(self, index: int) -> None:
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(self._steps):
            raise EditError(f"The edit stack has no step {index!r}; it has {len(self._steps)} steps.")

    # -- references -----------------------------------------------------------------------------
    def references_needed(self) -> list[str]:
        """Names of the reference images `apply` must be given, in first-use order."""
        names: list[str] = []
        for name, params in self._steps:
            for key in get_edit(name).reference_params:
                if params[key] not in names:
                    names.append(params[key])
        return names

    # -- JSON -----------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """{"format": "latent_studio.edit_stack", "version": 1, "edits": [{"name", "params"}, ...]}"""
        return {"format": FORMAT, "version": VERSION,
                "edits": [{"name": name, "params": params} for name, params in self.steps]}

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_dict(cls, data: Any) -> "EditStack":
        """Build from to_dict() output, or from a bare list of steps."""
        if isinstance(data, list):
            return cls(data)
        if not isinstance(data, Mapping) or data.get("format") != FORMAT or "edits" not in data:
            raise EditError(f"This is not a Latent Studio edit stack (expected \"format\": \"{FORMAT}\").")
        if not isinstance(data.get("version"), int) or data["version"] > VERSION:
            raise EditError(f"This edit stack has version {data.get('version')!r}; this app reads up to {VERSION}.")
        if not isinstance(data["edits"], list):
            raise EditError("The edit stack's \"edits\" must be a list.")
        return cls(data["edits"])

    @classmethod
    def from_json(cls, text: str | bytes) -> "EditStack":
        """Parse and validate JSON written by to_json (or a bare JSON list of steps)."""
        if not isinstance(text, (str, bytes)) or len(text) > _MAX_JSON_CHARS:
            raise EditError("An edit stack must be JSON text of at most 1 MB.")
        try:
            data = json.loads(text, parse_constant=_refuse_constant)
        except (ValueError, RecursionError) as err:
            raise EditError(f"The edit stack is not valid JSON ({err}).") from None
        return cls.from_dict(data)

    # -- applying -------------------------------------------------------------------------------
    def apply(self, image: np.ndarray, references: Mapping[str, np.ndarray] | None = None,
              should_stop: Callable[[], bool] | None = None, max_side: int | None = None) -> np.ndarray:
        """Run every step in order on a copy of `image` and return the result (input untouched).

        references: {reference name: uint8 H x W x 3 array} for steps that need a reference image.
        should_stop: asked before each step; when it says True, EditCancelled is raised there (a server
        stops the work of a visitor who has left). max_side: for a preview, a step's result larger than
        this is shrunk before the next step, so a stack of upscales costs what the screen can show.
        An empty stack returns a copy of the image.
        """
        check_image(image)
        references = references or {}
        result = image
        for index, (name, params) in enumerate(self._steps):
            if should_stop is not None and should_stop():
                raise EditCancelled(f"The edits stopped before step {index + 1}: nobody is waiting for them.")
            spec = get_edit(name)
            kwargs = dict(params)
            try:
                for key in spec.reference_params:
                    ref_name = params[key]
                    if ref_name not in references:
                        raise EditError(f"{spec.label} needs the reference image {ref_name!r}; "
                                        f"pass it in references={{{ref_name!r}: image}}.")
                    kwargs[key] = check_image(references[ref_name], f"Reference image {ref_name!r}")
                result = spec.fn(result, **kwargs)
                if max_side is not None:
                    result = shrink(result, max_side)
            except EditError as err:
                raise EditError(f"Edit stack step {index + 1}: {err}") from None
        return result if result is not image else image.copy()


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")
