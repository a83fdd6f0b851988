"""Where the built-in models (weights/) and the sample pictures (samples/) are.

In a checkout (and an editable install) they sit beside the packages. A regular `pip install .` puts
them among the distribution's data files (<prefix>/share/latent-studio/, see pyproject.toml), which
importlib.metadata can locate whatever the install prefix or scheme was.
"""
from __future__ import annotations

from functools import cache
from importlib import metadata
from pathlib import Path

DISTRIBUTION = "latent-studio"
CHECKOUT = Path(__file__).resolve().parents[2]  # genmodels/storage/resources.py -> the checkout
DATA_FOLDER = "share/latent-studio"  # the data-files target in pyproject.toml


@cache
def data_path(name: str) -> Path:
    """The folder `name` ("weights", "samples") of the checkout, or of the installed distribution. When
    neither has it, the checkout's path is returned (it then lists as empty, and says where it looked)."""
    local = CHECKOUT / name
    if local.is_dir():
        return local
    try:
        files = metadata.distribution(DISTRIBUTION).files or []
    except metadata.PackageNotFoundError:
        return local
    marker = f"{DATA_FOLDER}/{name}/"
    for file in files:
        text = file.as_posix()
        if marker in text:
            located = Path(file.locate()).resolve()
            while located.name != name:
                located = located.parent
            return located
    return local


def builtin_weights() -> Path:
    return data_path("weights")


def sample_images() -> Path:
    return data_path("samples") / "emoji"


def sample_textures() -> Path:
    return data_path("samples") / "textures"
