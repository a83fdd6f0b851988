"""Edit specifications: what the UI builds controls from and the API validates against.

Each edit function is declared once with the `@edit(...)` decorator, next to its code. The decorator
attaches an immutable `Edit` spec to the function and validates every direct call, so a Python
caller, the registry's `apply_edit` and an `EditStack` all go through the same checks.
"""
from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass
from typing import Any, Callable, Literal, Mapping

import numpy as np

from ._common import EditError, check_image
from ._params import Param, _plain, _short

Group = Literal["Tone", "Style", "Colour", "Size"]
GROUPS: tuple[str, ...] = ("Tone", "Style", "Colour", "Size")


@dataclass(frozen=True)
class Edit:
    """An edit: a stable key, designer words, a group, the function and its parameter specs."""

    name: str
    label: str
    group: Group
    description: str
    fn: Callable[..., np.ndarray]
    params: tuple[Param, ...]
    # What it costs, for budgets (postprocess/budget.py): milliseconds of one 2-core laptop's time per
    # megapixel (of the larger of its input and output), or a function of the settings giving that.
    cost: float | Callable[[dict[str, Any]], float]
    changes_size: bool = False
    check: Callable[[dict[str, Any]], None] | None = None  # cross-parameter rule, raises EditError
    # A size edit's output (height, width) for an input (height, width) and its settings, worked out
    # without touching pixels; None = the same size.
    output_size: Callable[[int, int, dict[str, Any]], tuple[int, int]] | None = None

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def defaults(self) -> dict[str, Any]:
        """Default settings (what the UI shows first); required image parameters are left out."""
        return {p.name: _plain(p.default) for p in self.params if not p.required}

    def neutral_params(self) -> dict[str, Any]:
        """Settings that return the image unchanged: each neutral value, else the default."""
        return {p.name: _plain(p.neutral if p.neutral is not None else p.default)
                for p in self.params if not p.required}

    @property
    def reference_params(self) -> tuple[str, ...]:
        """Names of "image" parameters (reference images)."""
        return tuple(p.name for p in self.params if p.type == "image")

    def cost_ms_per_mpx(self, params: dict[str, Any]) -> float:
        """This edit's cost per megapixel at these (resolved) settings."""
        return float(self.cost(params) if callable(self.cost) else self.cost)

    def shape_after(self, height: int, width: int, params: dict[str, Any]) -> tuple[int, int]:
        """The (height, width) this edit makes from a height x width image, without running it."""
        return (height, width) if self.output_size is None else self.output_size(height, width, params)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "label": self.label, "group": self.group, "description": self.description,
            "changes_size": self.changes_size, "params": [p.to_dict() for p in self.params],
            "defaults": self.defaults(), "neutral": self.neutral_params(),
            "references": list(self.reference_params),
        }

    def resolve(self, params: Mapping[str, Any] | None, references_as_names: bool = False) -> dict[str, Any]:
        """Validate `params` and fill in defaults; returns the full keyword dict for `fn`.

        With references_as_names, "image" parameters must be reference names (str), as in a stack.
        """
        if params is None:
            params = {}
        if not isinstance(params, Mapping):
            raise EditError(f"{self.label}: settings must be a dict of name -> value (got {_short(params)}).")
        known = {p.name for p in self.params}
        for key in params:
            if key not in known:
                names = ", ".join(sorted(known)) or "none"
                raise EditError(f"{self.label} has no setting called {key!r}; its settings are: {names}.")
        clean: dict[str, Any] = {}
        for p in self.params:
            if p.name not in params or params[p.name] is None:
                if p.required:
                    raise EditError(f"{self.label} needs a reference image ('{p.name}').")
                clean[p.name] = _plain(p.default)
            elif p.type == "image" and references_as_names:
                value = params[p.name]
                if not isinstance(value, str) or not value.strip() or len(value) > 200:
                    raise EditError(
                        f"{self.label}: in an edit stack '{p.name}' must be the name of a reference image "
                        f"(a short string), not {_short(value)}; pass the image itself to EditStack.apply."
                    )
                clean[p.name] = value
            else:
                clean[p.name] = p.check(params[p.name], self.label)
        if self.check is not None:
            self.check(clean)
        return clean


def edit(*, name: str, label: str, group: Group, cost: float | Callable[[dict[str, Any]], float],
         description: str, params: list[Param], changes_size: bool = False,
         check: Callable[[dict[str, Any]], None] | None = None,
         output_size: Callable[[int, int, dict[str, Any]], tuple[int, int]] | None = None,
         ) -> Callable[[Callable[..., np.ndarray]], Callable[..., np.ndarray]]:
    """Declare an edit. The decorated function validates its arguments and carries `.spec`.

    cost: milliseconds per megapixel on a 2-core laptop (`bench.edit_speed --costs` checks them), or a
    function of the settings giving that. check: an optional rule across parameters (e.g. black point
    below white point), run after the per-parameter checks, so stacks are refused when built rather
    than when applied. output_size: a size edit's (height, width) -> (height, width), required when
    changes_size.
    """

    def wrap(fn: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
        spec = Edit(name, label, group, description, fn, tuple(params), cost, changes_size, check, output_size)
        signature = inspect.signature(fn)
        _check_declaration(spec, signature)

        @functools.wraps(fn)
        def checked(image: np.ndarray, *args: Any, **kwargs: Any) -> np.ndarray:
            try:
                bound = signature.bind(image, *args, **kwargs)
            except TypeError as err:
                raise EditError(f"{label}: {err}.") from None
            values = dict(bound.arguments)
            source = check_image(values.pop("image"))
            return fn(source, **spec.resolve(values))

        checked.spec = spec  # type: ignore[attr-defined]
        return checked

    return wrap


def _check_declaration(spec: Edit, signature: inspect.Signature) -> None:
    """Catch spec/signature drift when the module is written, not when a designer hits it."""
    if spec.changes_size != (spec.output_size is not None):
        raise TypeError(f"edit {spec.name}: a size edit declares output_size, and only a size edit does")
    names = [n for n in signature.parameters if n != "image"]
    if names != [p.name for p in spec.params]:
        raise TypeError(f"edit {spec.name}: signature {names} does not match its params")
    for p in spec.params:
        default = signature.parameters[p.name].default
        expected = inspect.Parameter.empty if p.required else p.default
        if _plain(default) != _plain(expected):
            raise TypeError(f"edit {spec.name}: default of {p.name} is {default!r}, spec says {p.default!r}")
