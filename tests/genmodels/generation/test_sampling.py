import numpy as np
import pytest
import torch

import genmodels
from genmodels.generation import sampling
from genmodels.errors import StudioError


def test_image_k_is_the_same_alone_or_in_any_batch(gan_folder, vae_folder):
    for folder in (gan_folder, vae_folder):
        batch = genmodels.generate(folder, n=12, seed=40)
        for k in (0, 5, 11):
            alone = genmodels.generate(folder, n=1, seed=40 + k)[0]
            assert np.array_equal(batch[k], alone)
        shifted = genmodels.generate(folder, n=4, seed=45)
        assert np.array_equal(shifted[0], batch[5])


def test_outputs_are_uint8_rgb_and_global_rng_untouched(gan_folder):
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    images = genmodels.generate(gan_folder, n=3, seed=0)
    assert torch.equal(torch.rand(1), before)
    assert all(img.dtype == np.uint8 and img.shape == (32, 32, 3) for img in images)


def test_variety_zero_gives_one_image_and_variety_changes_images(gan_folder):
    flat = genmodels.generate(gan_folder, n=3, seed=0, variety=0.0)
    assert np.array_equal(flat[0], flat[2])
    assert not np.array_equal(genmodels.generate(gan_folder, n=1, seed=0, variety=1.0)[0],
                              genmodels.generate(gan_folder, n=1, seed=0, variety=0.5)[0])


def test_variations_strength_endpoints():
    z = torch.randn(16)
    same = sampling.variations(z, 4, 0.0, seed=1)
    assert torch.allclose(same, z.expand(4, -1))
    far = sampling.variations(z, 4, 1.0, seed=1)
    assert torch.allclose(far, sampling.seed_latents(range(1, 5), 16), atol=1e-6)
    near = sampling.variations(z, 4, 0.2, seed=1)
    assert ((near - z).norm(dim=1) < (far - z).norm(dim=1)).all()
    with pytest.raises(ValueError):
        sampling.variations(z, 4, 1.5, seed=1)


@pytest.mark.parametrize("mode", ["smooth", "linear"])
def test_interpolation_endpoints_and_adjacent_frames(mode):
    a, b = sampling.seed_latents([1, 2], 32)
    path = sampling.interpolate(a, b, 9, mode)
    assert path.shape == (9, 32)
    assert torch.equal(path[0], a) and torch.equal(path[-1], b)
    steps = (path[1:] - path[:-1]).norm(dim=1)
    assert (steps < (a - b).norm()).all()


def test_slerp_keeps_the_norm_of_gaussian_latents():
    a, b = sampling.seed_latents([3, 4], 256)
    mid_s = sampling.interpolate(a, b, 3, "smooth")[1]
    mid_l = sampling.interpolate(a, b, 3, "linear")[1]
    assert abs(mid_s.norm() - a.norm()) < 0.1 * a.norm()
    assert mid_l.norm() < mid_s.norm()  # linear paths sag towards the origin


def test_blend_seeds_endpoints_match_generate(gan_folder):
    frames = genmodels.blend_seeds(gan_folder, 3, 9, steps=5)
    assert len(frames) == 5
    assert np.array_equal(frames[0], genmodels.generate(gan_folder, n=1, seed=3)[0])
    assert np.array_equal(frames[-1], genmodels.generate(gan_folder, n=1, seed=9)[0])
    loop = genmodels.blend_seeds(gan_folder, 3, 9, steps=5, loop=True)
    assert len(loop) == 8 and np.array_equal(loop[1], loop[-1])


def test_vae_encode_reconstruct_and_blend(vae_folder):
    rng = np.random.default_rng(0)
    a = rng.integers(0, 255, (50, 70, 3), dtype=np.uint8)  # any size: fitted to the model
    b = np.full((32, 32, 3), 200, np.uint8)
    assert genmodels.reconstruct(vae_folder, a).shape == (32, 32, 3)
    frames = genmodels.blend_images(vae_folder, a, b, steps=4)
    assert len(frames) == 4 and frames[0].shape == (32, 32, 3)
    model = genmodels.get_model(vae_folder)
    z = sampling.encode(model, [frames[0]])
    assert z.shape == (1, 8)


def test_image_blend_needs_a_vae(gan_folder):
    img = np.zeros((32, 32, 3), np.uint8)
    with pytest.raises(StudioError, match="VAE"):
        genmodels.blend_images(gan_folder, img, img)


@pytest.mark.parametrize("kwargs", [{"n": 0}, {"n": 65}, {"seed": -1}, {"variety": float("nan")},
                                    {"variety": 3.0}, {"n": 2.5}, {"n": True}])
def test_facade_refuses_out_of_range_values(gan_folder, kwargs):
    with pytest.raises(StudioError):
        genmodels.generate(gan_folder, **{"n": 2, "seed": 0, "variety": 1.0, **kwargs})


def test_grid_and_strip_shapes():
    imgs = [np.zeros((32, 32, 3), np.uint8)] * 5
    assert sampling.grid(imgs).shape == (2 + 2 * 34, 2 + 3 * 34, 3)
    assert sampling.strip(imgs).shape == (36, 2 + 5 * 34, 3)
