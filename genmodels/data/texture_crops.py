"""A texture model's training data: random crops of 1 to MAX_PICTURES pictures of any size.

    ds = load_texture_dataset("bricks.png", crop_size=64)
    ds.images            # uint8 (CROPS, 3, 64, 64): a fixed, seeded bank of crops the trainer cycles through
    ds.report.summary()  # "2 pictures (up to 256 px on the short side), learnt from 2,048 random 64 x 64 ..."

Files go through the same safe path as every dataset (dataset._Builder: format allow-list, byte and
pixel caps, zips in memory); only what happens to each decoded picture differs: it is kept whole,
shrunk so its short side is at most `scale` px (the size texture elements will have in the output),
and crops are cut from it at random. A bank of crops decided once by the seed keeps the training loop
(and exact resume) the same as for every other model.
"""
from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence

import numpy as np
import torch
from PIL import Image

from ..errors import StudioError
from .dataset import DataLimits, Dataset, DatasetError, DatasetReport, PathLike, _Builder, _describe
from .safe_image import ImageLoadError, load_image

MAX_PICTURES = 20
DEFAULT_SCALE = 256  # px on a picture's short side; bigger pictures are shrunk to it
MIN_SCALE, MAX_SCALE = 64, 1024
CROPS = 2048  # 25 MB of 64 px RGB crops
TEXTURE_FIT = "texture"  # DatasetReport.fit for crop banks


class _PictureBuilder(_Builder):
    """_Builder's sources and caps, keeping each picture whole (shrunk to `scale`) instead of squared."""

    def __init__(self, report: DatasetReport, limits: DataLimits, scale: int):
        super().__init__(report, limits)
        self.scale, self.pictures = scale, []

    def add_bytes(self, source: str | bytes, name: str) -> None:
        try:
            rgb = load_image(source, name, max_pixels=self.limits.max_pixels,
                             max_bytes=self.limits.max_file_bytes, draft_size=self.scale)
        except ImageLoadError as err:
            self.skip(name, err.kind, err.reason)
            return
        crop = self.report.image_size
        if min(rgb.shape[:2]) < crop // 2:
            self.skip(name, "too_small", f"smaller than {crop // 2} px, half the {crop} px crops the model "
                                         "learns from")
            return
        rgb = _fit_short_side(rgb, crop, self.scale)  # the scale is at least a crop (checked below)
        key = hashlib.blake2b(rgb.tobytes(), digest_size=16).digest()
        if key in self.exact:
            self.report.exact_duplicates += 1
            return
        self.exact.add(key)
        self.pictures.append(torch.from_numpy(rgb).permute(2, 0, 1).contiguous())  # (3, H, W) uint8
        self.names.append(name)


def _fit_short_side(rgb: np.ndarray, low: int, high: int) -> np.ndarray:
    """uint8 (H, W, 3) with its short side brought into low..high px (Lanczos), aspect kept: pictures are
    shrunk to the scale their texture elements will have, and a small swatch is enlarged to whole crops."""
    h, w = rgb.shape[:2]
    short = min(h, w)
    target = min(max(short, low), high)
    if target == short:
        return rgb
    factor = target / short
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    return np.array(Image.fromarray(rgb).resize(size, Image.LANCZOS))


def load_texture_dataset(sources: PathLike | Sequence[PathLike], crop_size: int = 64,
                         scale: int = DEFAULT_SCALE, crops: int = CROPS, seed: int = 0,
                         limits: DataLimits = DataLimits(max_files=MAX_PICTURES)) -> Dataset:
    """A bank of `crops` random crop_size x crop_size RGB crops of the pictures in sources (a picture, a
    folder, a zip, or a list of them; 1 to MAX_PICTURES pictures). scale: each picture's short side is
    shrunk to at most this many px first (64..1024). Each crop comes from a picture chosen in proportion
    to the crops it holds; the same seed gives the same bank. Raises DatasetError when no picture is
    usable or there are more than limits.max_files files."""
    if isinstance(scale, bool) or not isinstance(scale, int) or not MIN_SCALE <= scale <= MAX_SCALE:
        raise StudioError(f"The texture scale must be a whole number of px from {MIN_SCALE} to {MAX_SCALE}.")
    if scale < crop_size:
        raise StudioError(f"The texture scale ({scale} px) must be at least the crop size ({crop_size} px).")
    single = isinstance(sources, (str, os.PathLike))
    items = [sources] if single else list(sources)
    if not items:
        raise DatasetError("No files were given: add a picture of the texture.")
    report = DatasetReport(_describe(items), crop_size, 3, TEXTURE_FIT)
    builder = _PictureBuilder(report, limits, scale)
    for item in items:
        builder.add_source(item, single)
    report.skipped_by_kind = dict(builder.kinds)
    report.images_used = len(builder.pictures)
    if not builder.pictures:
        reason = report.skipped_phrase() or f"{report.source} contains no image files"
        raise DatasetError(f"No usable picture found: {reason}.")
    bank, which = _crop_bank(builder.pictures, crop_size, crops, seed)
    report.crops, report.scale = crops, scale
    return Dataset(bank, [builder.names[i] for i in which], report)


def _crop_bank(pictures: list[torch.Tensor], size: int, n: int, seed: int) -> tuple[torch.Tensor, list[int]]:
    """uint8 (n, 3, size, size) crops and the picture each came from; a picture is picked in proportion to
    its number of crop positions."""
    gen = torch.Generator().manual_seed(seed)
    positions = torch.tensor([(p.shape[1] - size + 1) * (p.shape[2] - size + 1) for p in pictures],
                             dtype=torch.float64)
    which = torch.multinomial(positions, n, replacement=True, generator=gen)
    out = torch.empty(n, 3, size, size, dtype=torch.uint8)
    for k, i in enumerate(which.tolist()):
        p = pictures[i]
        y = int(torch.randint(p.shape[1] - size + 1, (1,), generator=gen))
        x = int(torch.randint(p.shape[2] - size + 1, (1,), generator=gen))
        out[k] = p[:, y:y + size, x:x + size]
    return out, which.tolist()
