"""Labelled sets: a folder or zip of sub-folders read as classes (genmodels/data/classes.py)."""
from __future__ import annotations

import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

from genmodels.data.classes import MAX_CLASSES, assign_classes
from genmodels.data.previews import class_preview
from genmodels.data.dataset import dataset_from_arrays, load_dataset


def _picture(path, seed: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 255, (24, 24, 3), dtype=np.uint8)).save(path)


def _labelled(root, counts: dict[str, int]) -> None:
    seed = 0
    for folder, n in counts.items():
        for i in range(n):
            seed += 1
            _picture(root / folder / f"{i}.png", seed)


def test_sub_folders_become_classes_with_spaces_and_unicode_in_their_names(tmp_path):
    _labelled(tmp_path, {"Food & drink": 5, "café": 6, "weather": 7})
    ds = load_dataset(tmp_path, 16, 3)
    assert ds.classes == ("Food & drink", "café", "weather")
    assert torch.bincount(ds.labels).tolist() == [5, 6, 7]
    assert len(ds) == 18 and ds.report.classes == {"Food & drink": 5, "café": 6, "weather": 7}
    assert "3 classes from its sub-folders" in ds.report.summary()
    assert ds.report.to_dict()["classes"]["café"] == 6


def test_top_level_pictures_and_small_classes_are_dropped_with_their_reasons(tmp_path):
    _labelled(tmp_path, {"cats": 5, "dogs": 5, "fish": 2})
    _picture(tmp_path / "loose.png", 99)
    (tmp_path / "empty").mkdir()  # an empty class folder is simply not a class
    ds = load_dataset(tmp_path, 16, 3)
    assert ds.classes == ("cats", "dogs") and len(ds) == 10
    reasons = dict(ds.report.skipped)
    assert "top level" in reasons["loose.png"]
    assert 'class "fish" has only 2 pictures' in reasons["fish/0.png"]
    assert "3 files were skipped (3 outside the classes)" in ds.report.summary()


def test_deeper_folders_belong_to_their_top_class_and_a_wrapper_folder_is_looked_through(tmp_path):
    _labelled(tmp_path / "icons", {"cats/indoor": 3, "cats/outdoor": 3, "dogs": 5})
    ds = load_dataset(tmp_path, 16, 3)
    assert ds.classes == ("cats", "dogs")
    assert torch.bincount(ds.labels).tolist() == [6, 5]


def test_a_zip_of_class_folders_is_labelled(tmp_path):
    _labelled(tmp_path / "src", {"sun": 5, "rain": 5})
    archive = tmp_path / "weather.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted((tmp_path / "src").rglob("*.png")):
            zf.write(path, f"weather/{path.relative_to(tmp_path / 'src')}")
    ds = load_dataset(archive, 16, 3)
    assert ds.classes == ("rain", "sun") and torch.bincount(ds.labels).tolist() == [5, 5]


def test_a_flat_folder_and_a_single_class_folder_train_as_before(tmp_path):
    _labelled(tmp_path / "flat", {".": 6})
    flat = load_dataset(tmp_path / "flat", 16, 3)
    assert flat.labels is None and flat.classes == () and len(flat) == 6
    _labelled(tmp_path / "one", {"only": 6, "few": 2})
    one = load_dataset(tmp_path / "one", 16, 3)
    assert one.labels is None and len(one) == 8  # nothing dropped
    assert "fewer than 2 with at least 5 pictures" in one.report.summary()


def test_labels_can_be_turned_off(tmp_path):
    _labelled(tmp_path, {"cats": 5, "dogs": 5})
    ds = load_dataset(tmp_path, 16, 3, labels=False)
    assert ds.labels is None and len(ds) == 10


def test_more_classes_than_a_model_can_learn_are_used_without_labels():
    paths = [f"c{k}/{i}.png" for k in range(MAX_CLASSES + 1) for i in range(5)]
    classes, labels, dropped, warning = assign_classes(paths)
    assert classes == [] and set(labels) == {None} and dropped == []
    assert f"more than the {MAX_CLASSES}" in warning


def test_pictures_in_memory_take_labels_and_the_preview_has_a_row_per_class():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (12, 16, 16, 3), dtype=np.uint8)
    ds = dataset_from_arrays(images, 16, 3, "set.npz", labels=[0] * 5 + [1] * 7, classes=["a", "b"])
    assert ds.classes == ("a", "b") and torch.bincount(ds.labels).tolist() == [5, 7]
    grid = class_preview(ds.images, ds.labels, ds.classes, per_class=4)
    assert grid.shape == (2 * 18 + 2, 4 * 18 + 2, 3)
    assert (grid[20:36, 2:18] == ds.images[5].permute(1, 2, 0).numpy()).all()  # row 2 starts with class b
    with pytest.raises(Exception, match="one label per picture"):
        dataset_from_arrays(images, 16, 3, "set.npz", labels=[0], classes=["a", "b"])
