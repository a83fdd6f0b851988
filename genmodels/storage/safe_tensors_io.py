"""Reading and writing safetensors files defensively. Nothing in Latent Studio ever unpickles.

The header of a safetensors file is an 8-byte little-endian length followed by that much JSON,
then the raw tensor bytes. We check the length and every offset against the real file size
before the library touches it, so a hostile file (huge header length, offsets past EOF, truncated
data) costs a few bytes of reading, not a large allocation.
"""
from __future__ import annotations

import glob
import json
import os
import struct
import tempfile
from collections.abc import Sequence
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_bytes
from safetensors.torch import save as save_bytes

from ..errors import StudioError

MAX_HEADER_BYTES = 1 << 20  # 1 MiB of JSON is thousands of tensors; ours have < 100
MAX_FILE_BYTES = 512 << 20  # the largest model this app trains is ~15 MB
_ITEM_SIZE = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1}


class SafetensorsFileError(StudioError):
    """The file is not a well-formed safetensors file we are willing to read."""


def _check_header(path: Path, size: int) -> None:
    name = path.name
    if size < 8:
        raise SafetensorsFileError(f"{name} is too short to be a safetensors file.")
    if size > MAX_FILE_BYTES:
        raise SafetensorsFileError(f"{name} is {size >> 20} MB, over the {MAX_FILE_BYTES >> 20} MB limit for a model.")
    with open(path, "rb") as f:
        (header_len,) = struct.unpack("<Q", f.read(8))
        if header_len > MAX_HEADER_BYTES or 8 + header_len > size:
            raise SafetensorsFileError(f"{name} is not a valid safetensors file (its header length is impossible).")
        try:
            header = json.loads(f.read(header_len))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise SafetensorsFileError(f"{name} is not a valid safetensors file (its header is not JSON).") from None
    if not isinstance(header, dict):
        raise SafetensorsFileError(f"{name} is not a valid safetensors file (bad header).")
    data_len = size - 8 - header_len
    for key, info in header.items():
        if key == "__metadata__":
            continue
        try:
            start, end = info["data_offsets"]
            count = 1
            for dim in info["shape"]:
                count *= int(dim)
            expected = count * _ITEM_SIZE[info["dtype"]]
        except (KeyError, TypeError, ValueError):
            raise SafetensorsFileError(f"{name} is not a valid safetensors file (tensor {key!r} is malformed).") from None
        if not (0 <= start <= end <= data_len) or end - start != expected:
            raise SafetensorsFileError(f"{name} is truncated or corrupt (tensor {key!r} points outside the file).")


def read_tensors(path: str | Path) -> dict[str, torch.Tensor]:
    """Validate then load a safetensors file into CPU tensors. Raises SafetensorsFileError."""
    path = Path(path)
    size = path.stat().st_size
    _check_header(path, size)
    try:
        return load_bytes(path.read_bytes())
    except (SafetensorError, ValueError, RuntimeError) as exc:
        raise SafetensorsFileError(f"{path.name} could not be read as safetensors ({exc}).") from None


def write_tensors_atomic(path: str | Path, tensors: dict[str, torch.Tensor], metadata: dict[str, str] | None = None) -> None:
    """Write tensors to path atomically: a temp file in the same folder, fsync, then os.replace."""
    blob = save_bytes({k: v.detach().contiguous().cpu() for k, v in tensors.items()}, metadata=metadata)
    write_bytes_atomic(path, blob)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def remove_stale_temps(folder: str | Path, names: Sequence[str]) -> list[str]:
    """Delete the temp files write_bytes_atomic leaves behind when its process is killed mid-write
    (SIGKILL, power loss) for the given file names: folder/.NAME.XXXXXXXX.tmp, and nothing else (a
    --out folder may hold the user's own hidden files). Returns their names. Call it only where no
    other process may be writing those files (a training run's own folders, at its start)."""
    folder = Path(folder)
    removed = []
    for name in names if folder.is_dir() else ():
        for tmp in folder.glob(f".{glob.escape(name)}.????????.tmp"):  # mkstemp's 8 random characters
            if tmp.is_file() and not tmp.is_symlink():
                tmp.unlink(missing_ok=True)
                removed.append(tmp.name)
    return removed


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    """A reader sees the old file or the new one, never half of one, even if we are killed mid-write."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual permissions
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
