"""Model folders as zip files, for download and for import.

Export writes only the folder's fixed files. Import treats the zip as hostile (RELIABILITY.md):
at most a handful of entries, only the fixed file names (at the top level or inside one folder),
bytes counted as really decompressed against a cap (smaller for a small zip: archive.unpack_cap, so
a bomb stops early), pickles refused by name, nothing nested, and
the result is validated with load_model before anyone can use it. Members are read into memory
and written under names we choose, so a zip-slip name cannot write anywhere.
"""
from __future__ import annotations

import shutil
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from ..data.archive import ArchiveError, declared_entries, unpack_cap
from ..errors import StudioError
from .safe_tensors_io import MAX_FILE_BYTES
from .store import (
    CONFIG_FILE,
    PICKLE_SUFFIXES,
    PORTABLE_FILES,
    WEIGHTS_FILE,
    load_model,
)

MAX_ENTRIES = 32
MAX_ZIP_BYTES = MAX_FILE_BYTES + (8 << 20)  # the weights plus a little for the card and samples
_CHUNK = 1 << 20


class ModelZipError(StudioError):
    """A model zip that cannot be imported."""


def export_zip(folder: str | Path, dest: str | Path) -> Path:
    """Zip a model folder's fixed files (never checkpoints or anything else) into dest (a .zip path)."""
    folder, dest = Path(folder), Path(dest)
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in PORTABLE_FILES:
            if (folder / name).is_file():
                zf.write(folder / name, f"{folder.name}/{name}")
    return dest


def _member_name(info: zipfile.ZipInfo, zip_name: str) -> str | None:
    """The fixed file name this member holds, or None for junk; raises for anything suspicious."""
    path = PurePosixPath(info.filename.replace("\\", "/"))
    if info.filename.startswith("/") or ".." in path.parts or ":" in info.filename:
        raise ModelZipError(f"{zip_name} contains an unsafe path ({info.filename[:60]}).")
    if (info.external_attr >> 16) & 0o170000 == 0o120000:
        raise ModelZipError(f"{zip_name} contains a symbolic link, which is not allowed.")
    if info.is_dir() or path.parts[0] == "__MACOSX" or path.name.startswith("._") or path.name == ".DS_Store":
        return None
    if path.suffix.lower() in PICKLE_SUFFIXES:
        raise ModelZipError(f"{zip_name} holds pickle weights ({path.name}), which are never loaded because "
                            f"they can run code; export the weights as {WEIGHTS_FILE}.")
    if len(path.parts) > 2 or path.name not in PORTABLE_FILES:
        raise ModelZipError(f"{zip_name} holds {path.name}, which is not part of a model folder "
                            f"({', '.join(PORTABLE_FILES)}).")
    return path.name


def import_zip(zip_path: str | Path, dest_root: str | Path) -> Path:
    """Unpack a model zip into a new folder under dest_root and validate it. Returns the folder."""
    zip_path, zip_name = Path(zip_path), Path(zip_path).name
    try:
        declared = declared_entries(zip_path, zip_name)  # from the end record: nothing parsed yet
        if declared > MAX_ENTRIES:
            raise ModelZipError(f"{zip_name} has {declared} files; a model zip has at most {len(PORTABLE_FILES)}.")
        zf = zipfile.ZipFile(zip_path)
    except (ArchiveError, zipfile.BadZipFile, OSError):
        raise ModelZipError(f"{zip_name} is not a valid zip file.") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_ENTRIES:  # the end record can lie
            raise ModelZipError(f"{zip_name} has {len(infos)} files; a model zip has at most {len(PORTABLE_FILES)}.")
        wanted = [(info, _member_name(info, zip_name)) for info in infos]
        names = [n for _, n in wanted if n]
        if len(names) != len(set(names)):
            raise ModelZipError(f"{zip_name} holds more than one model; import one at a time.")
        if WEIGHTS_FILE not in names or CONFIG_FILE not in names:
            raise ModelZipError(f"{zip_name} is not a model folder: it needs {CONFIG_FILE} and {WEIGHTS_FILE}.")
        stem = Path(zip_name).stem[:48] or "imported"
        folder = Path(tempfile.mkdtemp(prefix=f"{_safe(stem)}-", dir=dest_root))
        try:
            cap = unpack_cap(zip_path.stat().st_size, MAX_ZIP_BYTES)
            budget = cap
            for info, name in wanted:
                if name:
                    budget = _extract(zf, info, folder / name, budget, cap, zip_name)
            load_model(folder)  # raises ModelLoadError with the reason if anything is wrong
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
    return folder


def _extract(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, budget: int, cap: int, zip_name: str) -> int:
    """Copy one member, counting the bytes really decompressed (headers can lie)."""
    try:
        with zf.open(info) as src, open(target, "wb") as dst:
            while chunk := src.read(_CHUNK):
                budget -= len(chunk)
                if budget < 0:
                    raise ModelZipError(f"{zip_name} unpacks to more than {cap >> 20} MB; "
                                        "that is not a Latent Studio model.")
                dst.write(chunk)
    except (zipfile.BadZipFile, EOFError, OSError, RuntimeError, ValueError) as exc:
        if isinstance(exc, StudioError):
            raise
        raise ModelZipError(f"{zip_name} is damaged ({info.filename[:60]} could not be read).") from None
    return budget


def _safe(stem: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in stem) or "imported"
