"""Build a training dataset from a folder, a zip, or uploaded files, with a report a designer can read.

    ds = load_dataset("my_pictures/", image_size=64, channels=3)
    ds.images            # uint8 (N, C, 64, 64), preloaded once
    ds.batch([0, 5, 7])  # float (3, C, 64, 64) in [-1, 1]
    ds.report.summary()  # "120 images at 64 x 64 px, RGB, centre-cropped, from my_pictures. ..."

Each file goes through safe_image.load_image (format allow-list, pixel and byte caps) and zips through
archive.iter_zip (in memory, entry and byte caps). Bad files are skipped and counted, never fatal;
only dataset-wide problems (no usable image, too many files or bytes) raise DatasetError.
Names in reports are base names or paths relative to the dataset, never server paths.
"""
from __future__ import annotations

import hashlib
import io
import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence, Union

import numpy as np
import torch
from PIL import Image

from ..errors import StudioError
from ..imaging.fit import FITS, fit_square
from ..imaging.tensors import rgb_to_channels, uint8_to_float
from .classes import assign_classes, class_counts, class_paths
from .archive import ARCHIVE_EXTENSIONS, ArchiveError, is_junk, is_zip, iter_zip
from .dedupe import NearDuplicateIndex
from .safe_image import IMAGE_EXTENSIONS, ImageLoadError, load_image

PathLike = Union[str, "os.PathLike[str]"]
SMALL_DATASET = 20  # below this many images, the report warns that training will mostly memorise
MAX_IMAGE_SIZE = 1024

_KIND_LABELS = {  # kind -> (one, many) for summaries
    "not_image": ("not an image", "not images"),
    "too_large": ("too large", "too large"),
    "damaged": ("damaged", "damaged"),
    "unsafe": ("unsafe archive entry", "unsafe archive entries"),
    "nested": ("archive not opened", "archives not opened"),
    "too_small": ("too small", "too small"),
    "unlabelled": ("outside the classes", "outside the classes"),
}


class DatasetError(StudioError):
    """The dataset as a whole can't be used. str(err) is one sentence for the designer."""


@dataclass(frozen=True)
class DataLimits:
    """Caps on one dataset. Defaults suit a 2-core, 24 GB shared server.

    max_files: image files (or zip members) tried. max_total_bytes: their encoded bytes together.
    max_file_bytes: one encoded image. max_pixels: one image, width x height, from its header.
    max_zip_entries / max_zip_bytes: one archive's member count / bytes really decompressed.
    max_tensor_bytes: the preloaded uint8 tensor (N x C x S x S).
    near_duplicate_distance: pHash Hamming distance (0..64) at or below which two images count as
    near duplicates; None keeps near duplicates (exact duplicates are always removed).
    """
    max_files: int = 5_000
    max_total_bytes: int = 2 * 1024 ** 3
    max_file_bytes: int = 64 * 1024 ** 2
    max_pixels: int = 40_000_000
    max_zip_entries: int = 10_000
    max_zip_bytes: int = 1024 ** 3
    max_tensor_bytes: int = 2 * 1024 ** 3
    near_duplicate_distance: int | None = 4


@dataclass
class DatasetReport:
    """What went into a dataset, for the UI, the CLI and the model card (to_dict is JSON-ready)."""
    source: str
    image_size: int
    channels: int
    fit: str
    images_used: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (name, reason)
    skipped_by_kind: dict[str, int] = field(default_factory=dict)  # kind -> count, see _KIND_LABELS
    exact_duplicates: int = 0
    near_duplicates: int = 0
    junk_files: int = 0  # __MACOSX, .DS_Store, Thumbs.db, folders...: ignored silently, but counted
    warnings: list[str] = field(default_factory=list)
    crops: int = 0  # a texture model's data (texture_crops.py): random crops of the pictures, and
    scale: int = 0  # the px their short side was shrunk to
    classes: dict[str, int] = field(default_factory=dict)  # a labelled set (classes.py): class -> pictures

    def skipped_phrase(self) -> str:
        """'3 files were skipped (2 not images, 1 too large)', or '' when none were."""
        n = len(self.skipped)
        if not n:
            return ""
        parts = [f"{k} {_KIND_LABELS.get(kind, (kind, kind))[k != 1]}"
                 for kind, k in sorted(self.skipped_by_kind.items(), key=lambda kv: (-kv[1], kv[0]))]
        return f"{n} file{'s were' if n != 1 else ' was'} skipped ({', '.join(parts)})"

    def summary(self) -> str:
        """One short paragraph for the UI and the model card."""
        colour = "RGB" if self.channels == 3 else "grayscale"
        how = "centre-cropped" if self.fit == "crop" else "padded to square"
        n = self.images_used
        if self.crops:
            text = [f"{n} picture{'s' if n != 1 else ''} (at most {self.scale} px on the short side) from "
                    f"{self.source}, learnt from {self.crops:,} random {self.image_size} x {self.image_size} px "
                    f"crops, {colour}."]
        else:
            text = [f"{n} image{'s' if n != 1 else ''} at {self.image_size} x {self.image_size} px, "
                    f"{colour}, {how}, from {self.source}."]
        if self.classes:
            listed = ", ".join(f"{name} ({n})" for name, n in self.classes.items())
            text.append(f"{len(self.classes)} classes from its sub-folders: {listed}.")
        if self.skipped:
            phrase = self.skipped_phrase()
            text.append(phrase[0].upper() + phrase[1:] + ".")
        if self.exact_duplicates or self.near_duplicates:
            text.append(f"Removed {self.exact_duplicates} exact and {self.near_duplicates} near duplicates.")
        text.extend(self.warnings)
        return " ".join(text)

    def to_dict(self) -> dict:
        return {"source": self.source, "image_size": self.image_size, "channels": self.channels,
                "fit": self.fit, "images_used": self.images_used,
                "skipped": [[name, reason] for name, reason in self.skipped],
                "skipped_by_kind": dict(self.skipped_by_kind), "exact_duplicates": self.exact_duplicates,
                "near_duplicates": self.near_duplicates, "junk_files": self.junk_files,
                "warnings": list(self.warnings), "summary": self.summary(),
                **({"crops": self.crops, "scale": self.scale} if self.crops else {}),
                **({"classes": dict(self.classes)} if self.classes else {})}


class Dataset:
    """Preloaded training images. images: uint8 (N, C, S, S); names: where each came from.
    A labelled set (classes.py) also has labels (N,) long indexing classes; otherwise labels is None
    and classes is empty."""

    def __init__(self, images: torch.Tensor, names: list[str], report: DatasetReport,
                 labels: torch.Tensor | None = None, classes: tuple[str, ...] = ()):
        self.images, self.names, self.report = images, names, report
        self.labels, self.classes = labels, tuple(classes)

    def __len__(self) -> int:
        return self.images.shape[0]

    @property
    def channels(self) -> int:
        return self.images.shape[1]

    @property
    def image_size(self) -> int:
        return self.images.shape[-1]

    def batch(self, indices: Sequence[int] | torch.Tensor, device: torch.device | str | None = None
              ) -> torch.Tensor:
        """Images at indices -> float32 (B, C, S, S) in [-1, 1], on device (uint8 is moved, then converted)."""
        idx = torch.as_tensor(indices, dtype=torch.long)
        return uint8_to_float(self.images[idx].to(device))


def load_dataset(sources: PathLike | Sequence[PathLike], image_size: int, channels: int,
                 fit: str = "crop", limits: DataLimits = DataLimits(), labels: bool = True) -> Dataset:
    """Load every usable image from sources into one uint8 tensor (N, channels, image_size, image_size).

    sources: a folder (searched recursively), a zip file, one image file, or a list of files and
    folders (uploads; each may be a zip). image_size: 4..1024 px. channels: 3 (RGB) or 1 (grey).
    fit: "crop" (centre square) or "pad" (whole picture on white). Unreadable files are skipped and
    listed in the report; exact and near duplicates are removed and counted. labels: read a folder
    or zip of sub-folders as classes (classes.py; False = always one unlabelled set).
    Raises DatasetError for no usable image, too many files or bytes, or a refused archive.
    """
    _check_settings(image_size, channels, fit)
    single = isinstance(sources, (str, os.PathLike))
    items = [sources] if single else list(sources)
    if not single and not items:
        raise DatasetError("No files were given: add some images or a zip of images.")
    builder = _Builder(DatasetReport(_describe(items), image_size, channels, fit), limits)
    for item in items:
        builder.add_source(item, single)
    return builder.finish(labels=labels)


def _check_settings(image_size: int, channels: int, fit: str) -> None:
    """The checks load_dataset and dataset_from_arrays share."""
    if isinstance(image_size, bool) or not isinstance(image_size, int) or not 4 <= image_size <= MAX_IMAGE_SIZE:
        raise StudioError(f"Image size must be a whole number of pixels from 4 to {MAX_IMAGE_SIZE}, "
                          f"got {image_size!r}.")
    if channels not in (1, 3):
        raise StudioError(f"Channels must be 1 (grayscale) or 3 (colour), got {channels!r}.")
    if fit not in FITS:
        raise StudioError(f"Fit must be one of {', '.join(FITS)}, got {fit!r}.")


def dataset_from_arrays(images: np.ndarray, image_size: int, channels: int, source_name: str,
                        fit: str = "crop", limits: DataLimits = DataLimits(),
                        labels: Sequence[int] | None = None, classes: Sequence[str] = ()) -> Dataset:
    """A Dataset from in-memory pictures, e.g. an .npz data set: uint8 (N, H, W, 3) RGB.

    Each picture takes exactly the path of an image file (encoded as lossless PNG, then decoded,
    fitted, converted and de-duplicated as load_dataset does), so the result is bit for bit what
    load_dataset gives for a folder of those PNGs. source_name labels the report and the names
    ("emoji.npz#0007"); image_size, channels, fit and limits as in load_dataset. labels (N,) with
    classes (their names) make a labelled set, read as a folder per class would be (classes.py).
    Raises DatasetError for an empty array or more than limits.max_files pictures.
    """
    _check_settings(image_size, channels, fit)
    images = np.asarray(images)
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] != 3:
        raise StudioError(f"Pictures must be uint8 shaped (N, H, W, 3), got {images.dtype} {images.shape}.")
    source = os.path.basename(source_name) or "pictures"
    if labels is not None and len(labels) != len(images):
        raise StudioError(f"Give one label per picture: {len(labels)} labels for {len(images)} pictures.")
    builder = _Builder(DatasetReport(source, image_size, channels, fit), limits)
    for i, rgb in enumerate(images):
        buf = io.BytesIO()
        Image.fromarray(rgb).save(buf, format="PNG", compress_level=1)
        builder.count(buf.tell(), file=True)
        folder = f"{classes[int(labels[i])]}/" if labels is not None else ""
        builder.add_bytes(buf.getvalue(), f"{folder}{source}#{i:04d}")
    return builder.finish(labels=labels is not None)


def _describe(items: list) -> str:
    if len(items) == 1:  # a base name only: reports end up in public model cards
        return os.path.basename(os.path.abspath(os.fspath(items[0])))
    return f"{len(items)} uploaded files"


class _Builder:
    """Accumulates images, skips and duplicate counts while enforcing the dataset-wide caps."""

    def __init__(self, report: DatasetReport, limits: DataLimits):
        self.report, self.limits = report, limits
        self.images: list[torch.Tensor] = []  # each uint8 (C, S, S)
        self.names: list[str] = []
        self.kinds: Counter[str] = Counter()
        self.files = self.bytes = 0
        self.exact: set[bytes] = set()
        near = limits.near_duplicate_distance
        self.near = NearDuplicateIndex(near) if near is not None else None
        self.archives: set[str] = set()  # zip names: their members' class folders start after them

    # -- sources -------------------------------------------------------------------------------
    def add_source(self, item: PathLike, single: bool) -> None:
        path = os.fspath(item)
        name = os.path.basename(os.path.normpath(path)) or path
        if not os.path.lexists(path):
            if single:
                raise DatasetError(f"{name} could not be found.")
            self.skip(name, "damaged", "file not found")
        elif os.path.islink(path) and not single:  # uploads are never links; a named folder may be
            self.skip(name, "unsafe", "symbolic link (not followed)")
        elif os.path.isdir(path):
            self.add_folder(path)
        elif is_zip(path):
            self.add_zip(path, name)
        else:
            ext = os.path.splitext(name)[1].lower()
            if ext in ARCHIVE_EXTENSIONS:
                self.skip(name, "not_image", "not a valid zip archive" if ext == ".zip"
                          else "archive type not supported (use .zip)")
            else:
                self.add_file(path, name)

    def add_folder(self, root: str) -> None:
        candidates = []
        for dirpath, dirs, files in os.walk(root):  # never follows symlinked folders
            kept = sorted(d for d in dirs if not is_junk(d))
            self.report.junk_files += len(dirs) - len(kept)
            for d in kept:
                if os.path.islink(os.path.join(dirpath, d)):  # os.walk won't enter it; say so
                    rel = os.path.relpath(os.path.join(dirpath, d), root).replace(os.sep, "/")
                    self.skip(rel, "unsafe", "symbolic link (not followed)")
            dirs[:] = kept
            for fname in sorted(files):
                path = os.path.join(dirpath, fname)
                rel = os.path.relpath(path, root).replace(os.sep, "/")
                ext = os.path.splitext(fname)[1].lower()
                if is_junk(rel):
                    self.report.junk_files += 1
                elif os.path.islink(path):
                    self.skip(rel, "unsafe", "symbolic link (not followed)")
                elif ext in ARCHIVE_EXTENSIONS:
                    self.skip(rel, "nested", "archive inside a folder (not opened)")
                elif ext not in IMAGE_EXTENSIONS:
                    self.skip(rel, "not_image", "not a supported image")
                else:
                    candidates.append((path, rel))
                    if self.files + len(candidates) > self.limits.max_files:
                        raise self._too_many_files()
        sizes = [os.path.getsize(path) for path, _ in candidates]
        if self.bytes + sum(sizes) > self.limits.max_total_bytes:
            self.count(sum(sizes))  # raises before any file is decoded
        for path, rel in candidates:
            self.add_file(path, rel)

    def add_zip(self, path: str, name: str) -> None:
        lim = self.limits
        self.archives.add(name)
        try:
            for entry in iter_zip(path, name, max_entries=lim.max_zip_entries,
                                  max_total_bytes=lim.max_zip_bytes, max_member_bytes=lim.max_file_bytes):
                label = f"{name}/{entry.name}"
                if entry.kind == "junk":
                    self.report.junk_files += 1
                elif entry.data is None:
                    self.count(entry.bytes_read)
                    self.skip(label, entry.kind, entry.reason)
                else:
                    self.count(len(entry.data), file=True)
                    self.add_bytes(entry.data, label)
        except ArchiveError as err:
            raise DatasetError(str(err)) from None

    def add_file(self, path: str, name: str) -> None:
        try:
            size = os.path.getsize(path)
        except OSError:
            self.skip(name, "damaged", "file not found")
            return
        self.count(size, file=True)
        self.add_bytes(path, name)

    # -- one image ------------------------------------------------------------------------------
    def add_bytes(self, source: str | bytes, name: str) -> None:
        lim, rep = self.limits, self.report
        try:
            rgb = load_image(source, name, max_pixels=lim.max_pixels, max_bytes=lim.max_file_bytes,
                             draft_size=rep.image_size)
        except ImageLoadError as err:
            self.skip(name, err.kind, err.reason)
            return
        square = np.array(fit_square(rgb, rep.image_size, rep.fit))  # uint8 (S, S, 3), writable
        chw = torch.from_numpy(square).permute(2, 0, 1).unsqueeze(0)  # (1, 3, S, S)
        img = rgb_to_channels(chw, rep.channels)[0].contiguous()  # (C, S, S): what the model sees
        key = hashlib.blake2b(img.numpy().tobytes(), digest_size=16).digest()
        if key in self.exact:
            rep.exact_duplicates += 1
            return
        self.exact.add(key)
        if self.near is not None and self.near.is_near_duplicate(square):
            rep.near_duplicates += 1
            return
        if (len(self.images) + 1) * img.numel() > lim.max_tensor_bytes:
            raise DatasetError(f"{len(self.images) + 1:,} images at {rep.image_size} x {rep.image_size} px "
                               f"need more than {lim.max_tensor_bytes / 1e9:.1f} GB of memory; use a "
                               "smaller image size or fewer images.")
        self.images.append(img)
        self.names.append(name)

    # -- bookkeeping ------------------------------------------------------------------------------
    def skip(self, name: str, kind: str, reason: str) -> None:
        self.report.skipped.append((name, reason))
        self.kinds[kind] += 1

    def count(self, nbytes: int, file: bool = False) -> None:
        self.bytes += nbytes
        self.files += int(file)
        if self.files > self.limits.max_files:
            raise self._too_many_files()
        if self.bytes > self.limits.max_total_bytes:
            raise DatasetError(f"These images add up to more than {self.limits.max_total_bytes / 1e9:.1f} GB "
                               "(the limit for one dataset); use fewer or smaller files.")

    def _too_many_files(self) -> DatasetError:
        return DatasetError(f"This dataset has more than {self.limits.max_files:,} image files "
                            "(the limit); use fewer files.")

    def finish(self, labels: bool = False) -> Dataset:
        rep = self.report
        found = ([], [None] * len(self.images), [], "")
        if labels and self.images:
            found = assign_classes(class_paths(self.names, self.archives))
        classes, per_image, dropped, warning = found
        for i, reason in dropped:
            self.skip(self.names[i], "unlabelled", reason)
        if warning:
            rep.warnings.append(warning)
        keep = [i for i, label in enumerate(per_image) if label is not None] if classes else range(len(self.images))
        self.images, self.names = [self.images[i] for i in keep], [self.names[i] for i in keep]
        label_tensor = torch.tensor([per_image[i] for i in keep], dtype=torch.long) if classes else None
        rep.skipped_by_kind = dict(self.kinds)
        rep.images_used = len(self.images)
        if not self.images:
            raise DatasetError(_nothing_usable(rep))
        if classes:
            rep.classes = class_counts(label_tensor, tuple(classes))
        if rep.images_used < SMALL_DATASET:
            rep.warnings.append(f"Very small datasets (under {SMALL_DATASET} images) train poorly: "
                                "the model tends to copy them; add more pictures if you can.")
        return Dataset(torch.stack(self.images), self.names, rep, label_tensor, tuple(classes))


def _nothing_usable(rep: DatasetReport) -> str:
    if rep.skipped:
        return f"No usable images found: {rep.skipped_phrase()}."
    junk = f" (only {rep.junk_files} system files such as .DS_Store)" if rep.junk_files else ""
    return f"No usable images found: {rep.source} contains no image files{junk}."
