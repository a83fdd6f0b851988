"""Main directions (GANSpace): deterministic, stored beside the weights, checked on load, and they move images."""
import numpy as np
import pytest
import torch

import genmodels
from genmodels.explore import directions as dirs
from genmodels.storage.safe_tensors_io import SafetensorsFileError, write_tensors_atomic
from tests.explore_helpers import lively_gan_folder


@pytest.fixture
def lively_gan(tmp_path):
    return lively_gan_folder(tmp_path / "lively-gan")


def test_directions_are_deterministic_and_leave_the_global_rng_alone(gan_folder):
    model = genmodels.load_model(gan_folder)
    state = torch.random.get_rng_state()
    a = dirs.compute_directions(model, k=4, n_samples=512, seed=3)
    b = dirs.compute_directions(model, k=4, n_samples=512, seed=3)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert torch.equal(a.directions, b.directions) and a.directions.shape == (4, model.z_dim)
    assert torch.isfinite(a.directions).all() and (a.sigma[:-1] >= a.sigma[1:]).all()  # sorted by variance
    assert 0 < float(a.explained.sum()) <= 1


def test_first_use_writes_the_file_and_it_round_trips(gan_folder):
    info = genmodels.find_directions(gan_folder)
    path = gan_folder / dirs.DIRECTIONS_FILE
    assert path.is_file() and path.stat().st_size < 8_000
    assert info["count"] == dirs.DEFAULT_K and info["directions"].shape == (dirs.DEFAULT_K, 16)
    assert info["method"] == dirs.METHOD and info["n_samples"] == dirs.DEFAULT_SAMPLES and info["seed"] == 0
    loaded = dirs.load_directions(gan_folder, 16, dirs.weights_digest(gan_folder))
    assert np.array_equal(loaded.directions.numpy(), info["directions"])
    fresh = dirs.compute_directions(genmodels.load_model(gan_folder))
    assert torch.equal(fresh.directions, loaded.directions)  # the file is exactly what computing gives


def test_a_stale_or_damaged_file_is_refused_and_recomputed(gan_folder):
    genmodels.find_directions(gan_folder)
    with pytest.raises(dirs.DirectionsFileError, match="different weights"):
        dirs.load_directions(gan_folder, 16, "0" * 64)
    with pytest.raises(dirs.DirectionsFileError, match="shape"):
        dirs.load_directions(gan_folder, 17)
    good = dirs.load_directions(gan_folder, 16)
    bad = {"directions": good.directions.clone(), "sigma": good.sigma, "explained": good.explained}
    bad["directions"][0, 0] = float("nan")
    write_tensors_atomic(gan_folder / dirs.DIRECTIONS_FILE, bad, metadata=good.metadata())
    with pytest.raises(dirs.DirectionsFileError, match="NaN"):
        dirs.load_directions(gan_folder, 16)
    (gan_folder / dirs.DIRECTIONS_FILE).write_bytes(b"\x00" * 4)
    with pytest.raises(SafetensorsFileError, match="too short"):  # the safe reader refuses it first
        dirs.load_directions(gan_folder, 16)
    # A fresh load of the folder recomputes and rewrites a good file.
    from genmodels.api import explore as api_explore

    assert np.isfinite(api_explore._load_or_compute(genmodels.load_model(gan_folder), gan_folder).directions).all()
    assert dirs.load_directions(gan_folder, 16).directions.shape == (dirs.DEFAULT_K, 16)


def test_zero_offsets_reproduce_the_image_and_direction_1_changes_it(lively_gan):
    gan_folder = lively_gan
    images, latents = genmodels.draw(gan_folder, n=1, seed=5)
    same, z = genmodels.move_along(gan_folder, latents[0], [0.0] * 8)
    assert np.array_equal(same, images[0]) and np.array_equal(z, latents[0])
    moved, z1 = genmodels.move_along(gan_folder, latents[0], [2.0])
    assert not np.array_equal(moved, images[0])
    assert np.abs(moved.astype(int) - images[0].astype(int)).mean() > 5
    back, _ = genmodels.move_along(gan_folder, z1, [-2.0])  # a straight line: there and back
    assert np.abs(back.astype(int) - images[0].astype(int)).max() <= 1


def test_strips_show_each_direction_around_a_seed_or_a_latent(vae_folder):
    strips = genmodels.direction_strips(vae_folder, seed=1, steps=5, span=2.0)
    assert len(strips) == 8 and strips[0].shape == (32 + 4, 5 * 34 + 2, 3) and strips[0].dtype == np.uint8
    _, latents = genmodels.draw(vae_folder, n=1, seed=1)
    assert np.array_equal(genmodels.direction_strips(vae_folder, latents[0])[3], strips[3])


@pytest.mark.parametrize("offsets, match", [([4.0], "between"), ([0.0] * 9, "1 to 8"), ([], "1 to 8"),
                                            (["x"], "numbers"), ([float("nan")], "number")])
def test_bad_offsets_are_refused(gan_folder, offsets, match):
    _, latents = genmodels.draw(gan_folder, n=1, seed=0)
    with pytest.raises(genmodels.StudioError, match=match):
        genmodels.move_along(gan_folder, latents[0], offsets)


def test_a_latent_from_another_model_is_refused(gan_folder, vae_folder):
    _, latents = genmodels.draw(vae_folder, n=1, seed=0)
    with pytest.raises(genmodels.StudioError, match="different model"):
        genmodels.move_along(gan_folder, latents[0], [1.0])
    with pytest.raises(genmodels.StudioError, match="Preview steps"):
        genmodels.direction_strips(gan_folder, steps=40)
