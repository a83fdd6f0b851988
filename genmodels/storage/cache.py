"""The loaded-model cache: a model folder is loaded once and reused while its weights file is unchanged.

Folders are keyed by content (path + the weights' and swatches' sizes and mtimes + device), so repeated
calls cost nothing and an overwritten folder reloads. The 16 most recently used stay loaded.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

from .store import WEIGHTS_FILE, LoadedModel, ModelLoadError, load_model
from .swatches import SWATCHES_FILE

ModelRef = str | Path | LoadedModel

_cache: OrderedDict[tuple, LoadedModel] = OrderedDict()
_cache_lock = threading.Lock()
_CACHE_SIZE = 16
_device = "cpu"  # where loaded models run; set once at start-up by api.use_device()


def set_device(device: str) -> str:
    """Load models from now on onto `device` ("cpu", "cuda", "cuda:1"); returns it."""
    global _device
    with _cache_lock:
        _device = device
    return device


def _stamp(path: Path) -> tuple[int, int] | None:
    """An optional file's size and mtime (None when absent): adding or removing it reloads the model."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


def get_model(model: ModelRef) -> LoadedModel:
    """Resolve a folder (cached by content) or pass a LoadedModel through."""
    if isinstance(model, LoadedModel):
        return model
    folder = Path(model).resolve()
    weights = folder / WEIGHTS_FILE
    try:
        stat = weights.stat()
    except OSError:
        raise ModelLoadError(f"No model found at {Path(model).name or model}.") from None
    device = _device
    key = (str(folder), stat.st_size, stat.st_mtime_ns, _stamp(folder / SWATCHES_FILE), device)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    loaded = load_model(folder)
    if device != "cpu":
        loaded.network.to(device)
    with _cache_lock:
        _cache[key] = loaded
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return loaded
