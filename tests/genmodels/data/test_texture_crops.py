"""A texture model's data: random crops of 1 to 20 pictures, through the same safe loading as every dataset."""
from __future__ import annotations

import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

from genmodels.data.dataset import DatasetError
from genmodels.data.texture_crops import MAX_PICTURES, load_texture_dataset
from genmodels.errors import StudioError


def _stripes(path, width=200, height=120, colour=(200, 40, 40)):
    """A picture whose rows alternate between a colour and white every 8 px."""
    img = np.full((height, width, 3), 255, np.uint8)
    for y in range(0, height, 16):
        img[y:y + 8] = colour
    Image.fromarray(img).save(path)
    return path


def test_crops_come_from_the_picture_at_its_scale(tmp_path):
    ds = load_texture_dataset(_stripes(tmp_path / "s.png"), crop_size=64, crops=100, seed=1)
    assert ds.images.shape == (100, 3, 64, 64) and ds.images.dtype == torch.uint8
    rows = ds.images[:, 0, :, 0].float()  # the red channel down the left column of each crop
    assert set(rows.unique().tolist()) == {200.0, 255.0}  # stripes, unscaled (120 px is below the scale)
    assert ds.names == ["s.png"] * 100
    assert "1 picture" in ds.report.summary() and "100 random 64 x 64 px crops" in ds.report.summary()


def test_the_same_seed_gives_the_same_crops(tmp_path):
    path = tmp_path / "noise.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (150, 170, 3), dtype=np.uint8)).save(path)
    a = load_texture_dataset(path, crops=50, seed=3).images
    assert torch.equal(a, load_texture_dataset(path, crops=50, seed=3).images)
    assert not torch.equal(a, load_texture_dataset(path, crops=50, seed=4).images)


def test_big_pictures_are_shrunk_to_the_scale(tmp_path):
    path = _stripes(tmp_path / "big.png", width=1200, height=800)
    ds = load_texture_dataset(path, scale=100, crops=10)
    assert ds.report.scale == 100 and ds.report.to_dict()["crops"] == 10
    with pytest.raises(StudioError, match="at least the crop size"):
        load_texture_dataset(path, crop_size=96, scale=64)
    with pytest.raises(StudioError, match="texture scale"):
        load_texture_dataset(path, scale=5000)


def test_pictures_too_small_for_a_crop_are_skipped_with_the_reason(tmp_path):
    folder = tmp_path / "pics"
    folder.mkdir()
    _stripes(folder / "ok.png")
    _stripes(folder / "tiny.png", width=30, height=40)
    (folder / "notes.txt").write_text("not a picture")
    ds = load_texture_dataset(folder, crops=20)
    assert ds.report.images_used == 1
    reasons = dict(ds.report.skipped)
    assert "smaller than 32 px, half the 64 px crops" in reasons["tiny.png"] and "notes.txt" in reasons
    with pytest.raises(DatasetError, match="No usable picture"):
        load_texture_dataset(folder / "tiny.png")


def test_a_picture_smaller_than_a_crop_but_at_least_half_of_it_is_enlarged(tmp_path):
    ds = load_texture_dataset(_stripes(tmp_path / "swatch.png", width=150, height=90), crop_size=128, crops=8)
    assert ds.report.images_used == 1 and ds.images.shape == (8, 3, 128, 128)
    assert ds.images[:, 0].float().std() > 10  # the stripes, enlarged 128 / 90 times, not a flat colour


def test_a_zip_of_pictures_works_and_more_than_twenty_files_are_refused(tmp_path):
    archive = tmp_path / "textures.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for i in range(3):
            zf.write(_stripes(tmp_path / f"{i}.png", colour=(i * 80, 100, 50)), f"{i}.png")
    assert load_texture_dataset(archive, crops=30).report.images_used == 3
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(MAX_PICTURES + 1):
        _stripes(folder / f"{i}.png", colour=(i * 10, 0, 0))
    with pytest.raises(DatasetError, match="more than 20"):
        load_texture_dataset(folder)
