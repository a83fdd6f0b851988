"""Building a dataset (genmodels.data): sources, caps, duplicates, the report and previews."""
from __future__ import annotations

import io
import json
import os
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

from genmodels.data.dataset import DataLimits, Dataset, DatasetError, DatasetReport, load_dataset
from genmodels.data.previews import augmented_preview, preview_grid
from genmodels.errors import StudioError


def picture(seed: int, h: int = 40, w: int = 40) -> np.ndarray:
    """A smooth random picture (blobs of colour), so re-encodings stay perceptually close."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)
    return np.asarray(Image.fromarray(small).resize((w, h), Image.BICUBIC))


def encode(arr: np.ndarray, fmt: str = "PNG", **kw) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, fmt, **kw)
    return buf.getvalue()


def save(path, arr: np.ndarray, fmt: str = "PNG", **kw) -> str:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(encode(arr, fmt, **kw))
    return str(path)


def zip_of(path, members: dict[str, bytes]) -> str:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return str(path)


# -- sources ------------------------------------------------------------------------------------------------

def test_folder_is_searched_recursively_and_junk_counted(tmp_path):
    save(tmp_path / "a.png", picture(0))
    save(tmp_path / "sub" / "b.jpg", picture(1), "JPEG")
    save(tmp_path / "sub" / "deeper" / "c.webp", picture(2), "WEBP")
    save(tmp_path / "sub" / "deeper" / "d.BMP", picture(3), "BMP")
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    save(tmp_path / "__MACOSX" / "._a.png", picture(0))
    save(tmp_path / ".thumbnails" / "e.png", picture(4))
    ds = load_dataset(str(tmp_path), image_size=16, channels=3)
    assert isinstance(ds, Dataset) and len(ds) == 4
    assert ds.names == ["a.png", "sub/b.jpg", "sub/deeper/c.webp", "sub/deeper/d.BMP"]
    assert ds.images.shape == (4, 3, 16, 16) and ds.images.dtype == torch.uint8
    assert ds.report.skipped == [("notes.txt", "not a supported image")]
    assert ds.report.junk_files == 3  # .DS_Store, __MACOSX/, .thumbnails/
    assert ds.report.source == tmp_path.name


def test_zip_source_with_junk_and_nested_archive(tmp_path):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("hidden.png", encode(picture(9)))
    path = zip_of(tmp_path / "set.zip", {"a.png": encode(picture(0)), "dir/b.png": encode(picture(1)),
                                         "__MACOSX/dir/._b.png": b"junk", "Thumbs.db": b"junk",
                                         "more.zip": inner.getvalue(), "../../evil.png": encode(picture(2))})
    ds = load_dataset(path, 8, 3)
    assert ds.names == ["set.zip/a.png", "set.zip/dir/b.png"]
    assert sorted(ds.report.skipped) == [("set.zip/../../evil.png", "unsafe path in archive"),
                                         ("set.zip/more.zip", "archive inside an archive (not opened)")]
    assert ds.report.junk_files == 2


def test_list_of_uploads_mixing_images_zips_and_other_files(tmp_path):
    files = [save(tmp_path / "u1.png", picture(0)),
             zip_of(tmp_path / "u2.zip", {"z.png": encode(picture(1))}),
             str(tmp_path / "u3.txt"),
             save(tmp_path / "u4.jpeg", picture(2), "JPEG"),
             str(tmp_path / "gone.png")]
    (tmp_path / "u3.txt").write_text("not a picture")
    ds = load_dataset(files, 8, 3)
    assert ds.names == ["u1.png", "u2.zip/z.png", "u4.jpeg"]
    assert sorted(ds.report.skipped) == [("gone.png", "file not found"), ("u3.txt", "not a supported image")]
    assert ds.report.source == "5 uploaded files"


def test_uploads_that_are_not_zips_or_other_archives_are_skipped(tmp_path):
    fake = tmp_path / "photos.zip"
    fake.write_bytes(b"not a zip")
    rar = tmp_path / "photos.rar"
    rar.write_bytes(b"Rar!\x1a\x07\x00")
    ok = save(tmp_path / "ok.gif", picture(0), "GIF")
    ds = load_dataset([str(fake), str(rar), ok], 8, 3)
    assert ds.names == ["ok.gif"]
    assert ds.report.skipped == [("photos.zip", "not a valid zip archive"),
                                 ("photos.rar", "archive type not supported (use .zip)")]


def test_symlinks_and_fifos_in_a_folder_are_not_followed(tmp_path):
    save(tmp_path / "outside" / "secret.png", picture(0))
    root = tmp_path / "data"
    save(root / "ok.png", picture(1))
    os.symlink(tmp_path / "outside" / "secret.png", root / "link.png")
    os.symlink(tmp_path / "outside", root / "linkdir")
    os.mkfifo(root / "pipe.png")
    ds = load_dataset(str(root), 8, 3)
    assert ds.names == ["ok.png"]
    assert sorted(ds.report.skipped) == [("link.png", "symbolic link (not followed)"),
                                         ("linkdir", "symbolic link (not followed)"),
                                         ("pipe.png", "not a supported image")]


def test_missing_source_and_empty_list(tmp_path):
    with pytest.raises(DatasetError, match=r"^nowhere could not be found\.$"):
        load_dataset(str(tmp_path / "nowhere"), 8, 3)
    with pytest.raises(DatasetError, match="No files were given"):
        load_dataset([], 8, 3)


# -- nothing usable / tiny sets --------------------------------------------------------------------------------

def test_zero_usable_images_is_one_clear_sentence(tmp_path):
    (tmp_path / "a.txt").write_text("x")
    (tmp_path / "b.psd").write_bytes(b"8BPS")
    save(tmp_path / "big.png", picture(0, 300, 300))
    with pytest.raises(DatasetError) as err:
        load_dataset(str(tmp_path), 8, 3, limits=DataLimits(max_pixels=10_000))
    assert str(err.value) == "No usable images found: 3 files were skipped (2 not images, 1 too large)."
    assert isinstance(err.value, StudioError)


def test_empty_or_junk_only_sources(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match=r"^No usable images found: empty contains no image files\.$"):
        load_dataset(str(tmp_path / "empty"), 8, 3)
    path = zip_of(tmp_path / "mac.zip", {"__MACOSX/._a.png": b"x", ".DS_Store": b"x"})
    with pytest.raises(DatasetError, match=r"mac.zip contains no image files \(only 2 system files"):
        load_dataset(path, 8, 3)
    broken = tmp_path / "broken.png"
    broken.write_bytes(encode(picture(0))[:60])
    with pytest.raises(DatasetError, match=r"1 file was skipped \(1 damaged\)"):
        load_dataset([str(broken)], 8, 3)


def test_one_image_is_allowed_with_a_warning(tmp_path):
    ds = load_dataset(save(tmp_path / "solo.png", picture(0)), 8, 3)
    assert len(ds) == 1 and ds.report.images_used == 1
    assert any("under 20 images" in w for w in ds.report.warnings)
    assert "under 20 images" in ds.report.summary()


# -- duplicates ------------------------------------------------------------------------------------------------

def test_exact_and_near_duplicates_removed_and_counted(tmp_path):
    base = picture(0, 64, 64)
    save(tmp_path / "a.png", base)
    save(tmp_path / "b.bmp", base, "BMP")  # other bytes, same pixels: exact
    save(tmp_path / "c.jpg", base, "JPEG", quality=80)  # re-encoded: near
    for i in range(1, 6):
        save(tmp_path / f"other{i}.png", picture(i, 64, 64))
    ds = load_dataset(str(tmp_path), 16, 3)
    assert (ds.report.exact_duplicates, ds.report.near_duplicates, len(ds)) == (1, 1, 6)
    assert "Removed 1 exact and 1 near duplicates." in ds.report.summary()
    kept = load_dataset(str(tmp_path), 16, 3, limits=DataLimits(near_duplicate_distance=None))
    assert (kept.report.exact_duplicates, kept.report.near_duplicates, len(kept)) == (1, 0, 7)


def test_flat_pictures_of_different_colours_are_not_near_duplicates(tmp_path):
    for i, colour in enumerate([(255, 0, 0), (0, 0, 255), (0, 200, 0), (255, 255, 255)]):
        save(tmp_path / f"{i}.png", np.full((16, 16, 3), colour, np.uint8))
    ds = load_dataset(str(tmp_path), 8, 3)
    assert len(ds) == 4 and ds.report.near_duplicates == 0


# -- caps -------------------------------------------------------------------------------------------------------

def test_file_count_cap_refuses_before_decoding(tmp_path, monkeypatch):
    for i in range(5):
        save(tmp_path / f"{i}.png", picture(i))
    import genmodels.data.dataset as data

    monkeypatch.setattr(data, "load_image", lambda *a, **k: pytest.fail("decoded before the count check"))
    with pytest.raises(DatasetError, match=r"more than 3 image files \(the limit\)"):
        load_dataset(str(tmp_path), 8, 3, limits=DataLimits(max_files=3))
    monkeypatch.undo()
    path = zip_of(tmp_path.parent / "five.zip", {f"{i}.png": encode(picture(i)) for i in range(5)})
    with pytest.raises(DatasetError, match="more than 3 image files"):
        load_dataset(path, 8, 3, limits=DataLimits(max_files=3))


def test_total_bytes_and_tensor_caps(tmp_path):
    paths = [save(tmp_path / f"{i}.png", picture(i)) for i in range(4)]
    total = sum(os.path.getsize(p) for p in paths)
    with pytest.raises(DatasetError, match="add up to more than"):
        load_dataset(str(tmp_path), 8, 3, limits=DataLimits(max_total_bytes=total - 1))
    with pytest.raises(DatasetError, match="add up to more than"):
        load_dataset(paths, 8, 3, limits=DataLimits(max_total_bytes=total - 1))
    with pytest.raises(DatasetError, match=r"4 images at 32 x 32 px need more than"):
        load_dataset(paths, 32, 3, limits=DataLimits(max_tensor_bytes=3 * 3 * 32 * 32))


def test_zip_bomb_in_a_dataset_is_a_clear_error(tmp_path):
    path = zip_of(tmp_path / "bomb.zip", {"bomb.png": bytes(8_000_000)})
    with pytest.raises(DatasetError, match=r"^bomb.zip unpacks to more than 1 MB"):
        load_dataset(path, 8, 3, limits=DataLimits(max_zip_bytes=1_000_000))
    with pytest.raises(DatasetError, match=r"too many files \(3; the limit is 2\)"):
        load_dataset(zip_of(tmp_path / "m.zip", {f"{i}.png": b"" for i in range(3)}), 8, 3,
                     limits=DataLimits(max_zip_entries=2))


def test_settings_are_validated(tmp_path):
    path = save(tmp_path / "a.png", picture(0))
    for bad in (dict(image_size=2), dict(image_size=4096), dict(image_size=32.0), dict(channels=2),
                dict(fit="stretch")):
        args = dict(image_size=8, channels=3, fit="crop") | bad
        with pytest.raises(StudioError):
            load_dataset(path, **args)


# -- what the model sees ----------------------------------------------------------------------------------------

def _wide(tmp_path) -> str:
    img = np.zeros((20, 40, 3), np.uint8)
    img[:, :10] = (255, 0, 0)
    img[:, 10:30] = (0, 255, 0)
    img[:, 30:] = (0, 0, 255)
    return save(tmp_path / "wide.png", img)


def test_crop_keeps_the_centre_square(tmp_path):
    img = load_dataset(_wide(tmp_path), 16, 3, fit="crop").images[0].permute(1, 2, 0).numpy()
    assert img.shape == (16, 16, 3)
    diff = np.abs(img.astype(int) - [0, 255, 0])  # only the green middle is left
    assert diff[:, 1:-1].max() <= 2 and diff.max() <= 10  # (Lanczos rings a little at the edges)


def test_pad_keeps_everything_on_white(tmp_path):
    img = load_dataset(_wide(tmp_path), 16, 3, fit="pad").images[0].permute(1, 2, 0).numpy().astype(int)
    assert (img[:4] == 255).all() and (img[-4:] == 255).all()  # white bands above and below
    assert np.abs(img[8, 1] - [255, 0, 0]).max() <= 8 and np.abs(img[8, 14] - [0, 0, 255]).max() <= 8
    assert np.abs(img[8, 8] - [0, 255, 0]).max() <= 8


def test_grayscale_dataset_shape_and_values(tmp_path):
    save(tmp_path / "red.png", np.full((8, 8, 3), (255, 0, 0), np.uint8))
    ds = load_dataset(str(tmp_path), 8, 1)
    assert ds.images.shape == (1, 1, 8, 8) and ds.channels == 1 and ds.image_size == 8
    assert int(ds.images[0, 0, 0, 0]) == 76  # BT.601 luma of pure red: 0.299 * 255


def test_batch_is_float_in_minus_one_to_one(tmp_path):
    for i in range(3):
        save(tmp_path / f"{i}.png", picture(i))
    ds = load_dataset(str(tmp_path), 8, 3)
    x = ds.batch([2, 0, 2])
    assert x.shape == (3, 3, 8, 8) and x.dtype == torch.float32
    assert x.min() >= -1 and x.max() <= 1
    assert torch.equal(x[0], x[2])
    assert torch.equal(ds.batch(torch.tensor([1])), ds.images[1:2].float() / 127.5 - 1)


# -- report and previews ----------------------------------------------------------------------------------------

def test_report_is_json_and_leaks_no_server_path(tmp_path):
    save(tmp_path / "a.png", picture(0))
    (tmp_path / "x.txt").write_text("x")
    report = load_dataset(str(tmp_path), 8, 3).report
    assert isinstance(report, DatasetReport)
    text = json.dumps(report.to_dict())
    assert str(tmp_path.parent) not in text and str(tmp_path.parent) not in report.summary()
    d = json.loads(text)
    assert d["images_used"] == 1 and d["skipped"] == [["x.txt", "not a supported image"]]
    assert d["image_size"] == 8 and d["channels"] == 3 and d["fit"] == "crop"
    assert report.summary().startswith(f"1 image at 8 x 8 px, RGB, centre-cropped, from {tmp_path.name}. "
                                       "1 file was skipped (1 not an image).")


def test_preview_grid_and_augmented_preview(tmp_path):
    for i in range(5):
        save(tmp_path / f"{i}.png", picture(i))
    ds = load_dataset(str(tmp_path), 8, 3)
    grid = preview_grid(ds)
    assert grid.dtype == np.uint8 and grid.ndim == 3 and grid.shape[2] == 3
    assert grid.shape == (2 + 2 * 10, 2 + 3 * 10, 3)  # 5 images, 3 per row, 2 px gaps
    a, b = augmented_preview(ds, n=9, seed=3), augmented_preview(ds, n=9, seed=3)
    assert a.shape == (32, 32, 3) and np.array_equal(a, b)
    assert not np.array_equal(a, augmented_preview(ds, n=9, seed=4))
    assert augmented_preview(ds, n=4, policy="color,translation,cutout").shape == (22, 22, 3)


def test_grayscale_preview_is_grey(tmp_path):
    save(tmp_path / "a.png", picture(0))
    grid = preview_grid(load_dataset(str(tmp_path), 8, 1))
    assert grid.shape == (8, 8, 3)
    assert (grid[..., 0] == grid[..., 1]).all() and (grid[..., 1] == grid[..., 2]).all()
