"""A texture model's swatches: kept within their budget, read back only when well formed, and a bad file
costs crisp detail, not the model."""
from __future__ import annotations

import logging

import pytest
import torch

from genmodels.storage.model_zip import export_zip, import_zip
from genmodels.storage.safe_tensors_io import write_tensors_atomic
from genmodels.storage.store import load_model
from genmodels.storage.swatches import (
    MAX_SWATCHES,
    SWATCHES_FILE,
    SwatchesFileError,
    load_swatches,
    pick_swatches,
    save_swatches,
)
from tests.train_helpers import texture_folder


def _crops(n: int, side: int) -> torch.Tensor:
    return torch.randint(0, 256, (n, 3, side, side), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))


def test_the_first_crops_are_kept_within_the_budget():
    assert pick_swatches(_crops(2048, 64)).shape == (170, 3, 64, 64)  # 2 MB
    assert pick_swatches(_crops(2048, 128)).shape == (42, 3, 128, 128)
    assert pick_swatches(_crops(2048, 16)).shape[0] == MAX_SWATCHES
    crops = _crops(32, 64)
    assert torch.equal(pick_swatches(crops), crops)  # a small bank is kept whole


def test_swatches_round_trip_and_are_optional(tmp_path):
    assert load_swatches(tmp_path) is None
    crops = _crops(40, 64)
    save_swatches(tmp_path, crops)
    assert torch.equal(load_swatches(tmp_path), crops)


@pytest.mark.parametrize("tensors", [
    {"swatches": torch.zeros(4, 3, 64, 64)},  # float, not uint8
    {"swatches": torch.zeros(4, 3, 64, 64, dtype=torch.uint8), "extra": torch.zeros(1)},
    {"swatches": torch.zeros(4, 1, 64, 64, dtype=torch.uint8)},  # grey
    {"swatches": torch.zeros(4, 3, 8, 8, dtype=torch.uint8)},  # smaller than a patch
    {"swatches": torch.zeros(4, 3, 64, 32, dtype=torch.uint8)},
    {"swatches": torch.zeros(MAX_SWATCHES + 1, 3, 16, 16, dtype=torch.uint8)},
])
def test_a_malformed_file_is_refused(tmp_path, tensors):
    write_tensors_atomic(tmp_path / SWATCHES_FILE, tensors)
    with pytest.raises(SwatchesFileError):
        load_swatches(tmp_path)


def test_a_bad_swatches_file_costs_crisp_detail_not_the_model(tmp_path, caplog):
    folder = texture_folder(tmp_path / "t")
    (folder / SWATCHES_FILE).write_bytes(b"\xff" * 64)
    with caplog.at_level(logging.WARNING):
        model = load_model(folder)
    assert model.kind == "texture" and model.swatches is None
    assert "without crisp detail" in caplog.text


def test_swatches_travel_in_a_model_zip_and_the_card_says_so(tmp_path):
    folder = texture_folder(tmp_path / "t", swatches=_crops(8, 64))  # as training saves it
    assert "## Swatches" in (folder / "README.md").read_text()
    (tmp_path / "in").mkdir()
    imported = import_zip(export_zip(folder, tmp_path / "t.zip"), tmp_path / "in")
    assert torch.equal(load_model(imported).swatches, _crops(8, 64))
