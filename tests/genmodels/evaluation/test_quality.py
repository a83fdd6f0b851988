"""The quality module on synthetic pictures: SWD (Karras et al. 2018), the originality check, the
quality report on tiny saved models, and dataset_from_arrays. Never reads the shared data set."""
from __future__ import annotations

import json
import math

import cv2
import numpy as np
import pytest
import torch

from genmodels.data.dataset import DatasetError, dataset_from_arrays
from genmodels.errors import StudioError
from genmodels.evaluation.originality import NEAR_COPY_THRESHOLD, OriginalityIndex, nearest_training_images, originality_summary
from genmodels.evaluation.quality import nearest_training_picture, quality_report, training_picture
from genmodels.evaluation.swd import laplacian_pyramid, pyr_down, pyr_up, swd


def shapes(n: int, size: int = 64, seed: int = 0) -> np.ndarray:
    """n pictures of three coloured discs and bars on white: uint8 (n, size, size, 3)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    out = np.full((n, size, size, 3), 255, np.uint8)
    for img in out:
        for _ in range(3):
            cy, cx = rng.integers(size // 6, 5 * size // 6, 2)
            r = rng.integers(size // 10, size // 4)
            mask = (yy - cy) ** 2 + (xx - cx) ** 2 < r**2 if rng.random() < 0.5 else \
                (abs(yy - cy) < r // 3) & (abs(xx - cx) < r)
            img[mask] = rng.integers(0, 200, 3)
    return out


def stripes(n: int, size: int = 64, seed: int = 0) -> np.ndarray:
    """A different kind of picture: thin diagonal stripes of random colours and widths."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    out = np.empty((n, size, size, 3), np.uint8)
    for img in out:
        period = rng.integers(3, 7)
        band = ((xx + yy) // period) % 2 == 0
        img[:] = rng.integers(0, 255, 3)
        img[band] = rng.integers(0, 255, 3)
    return out


def _move(img: np.ndarray, dx: int, dy: int) -> np.ndarray:
    m = np.float32([[1, 0, dx], [0, 1, dy]])
    return cv2.warpAffine(img, m, img.shape[1::-1], borderMode=cv2.BORDER_REPLICATE)


# ---- SWD ---------------------------------------------------------------------------------------

def test_pyramid_matches_opencv():
    img = np.random.default_rng(0).integers(0, 256, (32, 32, 3)).astype(np.float32)
    x = torch.from_numpy(img).permute(2, 0, 1)[None]
    down = pyr_down(x)[0].permute(1, 2, 0).numpy()
    assert np.allclose(down, cv2.pyrDown(img), atol=1e-3)
    up = pyr_up(torch.from_numpy(cv2.pyrDown(img)).permute(2, 0, 1)[None], (32, 32))[0].permute(1, 2, 0).numpy()
    assert np.allclose(up, cv2.pyrUp(cv2.pyrDown(img)), atol=1e-3)
    assert [lv.shape[-1] for lv in laplacian_pyramid(torch.zeros(2, 3, 64, 64))] == [64, 32, 16]


@pytest.mark.slow
def test_swd_of_a_set_with_itself_is_zero_and_smaller_than_against_another_distribution():
    a, a2, other = shapes(48, 32, seed=1), shapes(48, 32, seed=2), stripes(48, 32, seed=3)
    itself = swd(a, a)
    assert set(itself["levels"]) == {"32", "16"}
    assert itself["mean"] == pytest.approx(0.0, abs=1e-9)
    same_kind, different = swd(a, a2)["mean"], swd(a, other)["mean"]
    assert 0 < same_kind < different / 3
    assert all(math.isfinite(v) for v in swd(a, other)["levels"].values())


def test_swd_is_deterministic_for_a_seed_and_takes_lists():
    a, b = shapes(20, 32, seed=1), shapes(24, 32, seed=2)
    first = swd(a, b, seed=5)
    assert swd(list(a), list(b), seed=5) == first
    assert swd(a, b, seed=6)["mean"] != first["mean"]
    assert first["descriptors"] == 20 * 128


def test_swd_refuses_different_sizes_and_bad_input():
    with pytest.raises(ValueError):
        swd(shapes(4, 32), shapes(4, 64))
    with pytest.raises(ValueError):
        swd(shapes(4, 32).astype(np.float32), shapes(4, 32))


def test_swd_leaves_the_global_rng_alone():
    state = torch.get_rng_state()
    swd(shapes(8, 32), shapes(8, 32, seed=1))
    assert torch.equal(state, torch.get_rng_state())


# ---- originality -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def training():
    return shapes(60, 64, seed=0)


@pytest.fixture(scope="module")
def index(training):
    return OriginalityIndex(training)


def test_exact_copy_is_found_and_flagged(training, index):
    found = index.query([training[7], training[42]])
    assert [f["index"] for f in found] == [7, 42]
    assert all(f["similarity"] == pytest.approx(1.0, abs=1e-3) and f["near_copy"] for f in found)


def test_shifted_and_brightened_copies_are_flagged(training, index):
    moved = _move(training[11], 3, -2)
    brighter = np.clip(training[12].astype(np.float32) * 1.1 + 5, 0, 255).astype(np.uint8)
    both = np.clip(_move(training[13], -2, 2).astype(np.float32) * 1.08, 0, 255).astype(np.uint8)
    found = index.query([moved, brighter, both])
    assert [f["index"] for f in found] == [11, 12, 13]
    assert all(f["near_copy"] for f in found), found


def test_unrelated_images_are_not_flagged(index):
    new = shapes(8, 64, seed=99)
    found = index.query(list(new) + list(stripes(4, 64, seed=5)))
    assert not any(f["near_copy"] for f in found), [f["similarity"] for f in found]
    assert all(0.0 <= f["similarity"] < NEAR_COPY_THRESHOLD for f in found)


def test_top_k_neighbours_are_sorted_and_json_ready(training):
    found = nearest_training_images([training[3]], training, top_k=4)
    neighbours = found[0]["neighbours"]
    assert len(neighbours) == 4 and neighbours[0]["index"] == 3
    sims = [n["similarity"] for n in neighbours]
    assert sims == sorted(sims, reverse=True)
    json.dumps(found)
    with pytest.raises(ValueError):
        nearest_training_images([training[3]], training, top_k=0)


def test_index_takes_dataset_tensors_of_any_size_and_grey(training):
    small = torch.from_numpy(np.stack([cv2.resize(t, (32, 32), interpolation=cv2.INTER_AREA) for t in training]))
    tensor_index = OriginalityIndex(small.permute(0, 3, 1, 2))  # (N, 3, 32, 32) like Dataset.images
    assert tensor_index.query([training[5]])[0]["index"] == 5  # 64 px query against 32 px pictures
    grey = small.float().mean(-1, keepdim=True).round().to(torch.uint8).permute(0, 3, 1, 2)  # (N, 1, 32, 32)
    grey_query = np.repeat(grey[9].permute(1, 2, 0).numpy(), 3, axis=2)
    found = OriginalityIndex(grey).query([grey_query])[0]
    assert found["index"] == 9 and found["near_copy"]


def test_summary_counts_near_copies(training, index):
    found = index.query([training[0], shapes(1, 64, seed=77)[0], training[1]])
    summary = originality_summary(found)
    assert summary["images"] == 3 and summary["near_copies"] == 2 and summary["flagged"] == [0, 2]
    assert summary["near_copy_rate"] == pytest.approx(2 / 3, abs=1e-3)
    assert originality_summary([])["images"] == 0


# ---- quality report ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def small_dataset():
    return dataset_from_arrays(shapes(24, 32, seed=4), 32, 3, "shapes.npz")


@pytest.mark.slow
@pytest.mark.parametrize("folder", ["gan_folder", "vae_folder"])
def test_quality_report_on_a_tiny_model(folder, small_dataset, request):
    report = quality_report(request.getfixturevalue(folder), small_dataset, n=16, seed=3)
    json.dumps(report)
    assert report["images"] == 16 and report["first_seed"] == 3 and report["training_images"] == 24
    numbers = [report["swd"]["mean"], report["swd_floor"]["mean"], report["swd_ratio"],
               *report["swd"]["levels"].values(), report["originality"]["near_copy_rate"]]
    assert all(math.isfinite(v) for v in numbers)
    assert report["swd"]["mean"] > report["swd_floor"]["mean"]  # an untrained model is worse than real pictures
    assert set(report["swd"]["levels"]) == {"32", "16"}
    assert isinstance(report["summary"], str) and "SWD" in report["summary"]


def test_quality_report_with_one_picture_has_no_floor(gan_folder):
    one = dataset_from_arrays(shapes(1, 64, seed=4), 64, 3, "one.npz")  # 64 px data for a 32 px model
    report = quality_report(gan_folder, one, n=4)
    assert report["swd_floor"] is None and report["swd_ratio"] is None and math.isfinite(report["swd"]["mean"])
    with pytest.raises(StudioError):
        quality_report(gan_folder, one, n=0)


def test_nearest_training_picture_returns_the_picture(small_dataset):
    picture = training_picture(small_dataset, 6)
    assert picture.shape == (32, 32, 3) and picture.dtype == np.uint8
    found = nearest_training_picture(picture, small_dataset)
    assert found["index"] == 6 and found["near_copy"] and found["name"] == "shapes.npz#0006"
    assert np.array_equal(found["image"], picture)


# ---- dataset_from_arrays ------------------------------------------------------------------------

def test_dataset_from_arrays_keeps_pixels_and_reports():
    images = shapes(10, 32, seed=8)
    images = np.concatenate([images, images[2:3]])  # one exact duplicate
    ds = dataset_from_arrays(images, 32, 3, "/somewhere/private/shapes.npz")
    rep = ds.report
    assert len(ds) == 10 and ds.images.shape == (10, 3, 32, 32) and ds.images.dtype == torch.uint8
    assert np.array_equal(ds.images.permute(0, 2, 3, 1).numpy(), images[:10])
    assert rep.images_used == 10 and rep.exact_duplicates == 1 and rep.source == "shapes.npz"
    assert ds.names[0] == "shapes.npz#0000" and "/somewhere" not in json.dumps(rep.to_dict())
    assert rep.summary().startswith("10 images at 32 x 32 px, RGB")


def test_dataset_from_arrays_resizes_converts_and_refuses():
    ds = dataset_from_arrays(shapes(25, 64, seed=9), 16, 1, "shapes.npz")
    assert ds.images.shape == (25, 1, 16, 16) and ds.report.channels == 1
    few = dataset_from_arrays(shapes(3, 64, seed=9), 32, 3, "few.npz")
    assert few.report.warnings  # under 20 pictures: the small-dataset warning
    with pytest.raises(StudioError):
        dataset_from_arrays(shapes(3, 32).astype(np.float32), 32, 3, "x.npz")
    with pytest.raises(StudioError):
        dataset_from_arrays(shapes(3, 32), 7000, 3, "x.npz")
    with pytest.raises(DatasetError):
        dataset_from_arrays(np.zeros((0, 32, 32, 3), np.uint8), 32, 3, "empty.npz")
