"""What the command-line tools share: one-line errors instead of tracebacks, and model lookup."""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from ..api import get_model, list_models, untrained_model
from ..errors import StudioError
from ..models.presets import PRESETS
from ..storage.resources import builtin_weights
from ..storage.store import LoadedModel, read_config

BUILTIN_WEIGHTS = builtin_weights()


class OneLineParser(argparse.ArgumentParser):
    """argparse that prints `prog: error: ...` on one line plus a hint, never the whole usage block."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def run_cli(main: Callable[[], int]) -> None:
    """Run main(); a StudioError or a missing file becomes one line on stderr and exit status 1."""
    try:
        sys.exit(main())
    except (StudioError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
        sys.exit(130)


def resolve_model(name: str, weights_dir: Path = BUILTIN_WEIGHTS) -> LoadedModel:
    """A model folder path, a built-in model's folder name or display name, or a preset name.

    A preset with no built-in model trained from it gives a freshly initialised (untrained) network,
    with a warning on stderr: useful for checking shapes and speed, not for pictures.
    """
    path = Path(name)
    if path.is_dir():
        return get_model(path)
    if (weights_dir / name).is_dir():
        return get_model(weights_dir / name)
    builtins = list_models(weights_dir)
    if name in builtins:
        return get_model(builtins[name])
    if name in PRESETS:
        for folder in builtins.values():
            if read_config(folder).get("preset") == name:
                return get_model(folder)
        print(f"warning: no trained model for preset {name!r}; using random (untrained) weights", file=sys.stderr)
        return untrained_model(name)
    known = ", ".join(list(builtins) + list(PRESETS))
    raise StudioError(f"No model folder, built-in model or preset called {name!r}; try one of: {known}.")
