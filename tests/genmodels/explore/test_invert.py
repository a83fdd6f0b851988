"""Find in model: a picture -> the latent whose image matches it, for GANs (search) and VAEs (encoder)."""
import numpy as np
import pytest
import torch

import genmodels
from genmodels.explore import invert as inv
from genmodels.imaging.fit import fit_square
from genmodels.imaging.ssim import ssim
from tests.explore_helpers import lively_gan_folder


@pytest.fixture
def lively_gan(tmp_path):
    return lively_gan_folder(tmp_path / "lively-gan")


@pytest.mark.slow
def test_a_gans_own_image_is_found_again(lively_gan):
    gan_folder = lively_gan
    images, latents = genmodels.draw(gan_folder, n=1, seed=42)
    steps = []
    found, z, quality = genmodels.find_in_model(gan_folder, images[0], seed=0, progress=lambda f, m: steps.append(f))
    assert quality["score"] >= 85 and quality["psnr"] > 22, quality
    assert found.shape == images[0].shape and found.dtype == np.uint8 and z.shape == (16,)
    assert np.abs(found.astype(int) - images[0].astype(int)).mean() < 12
    assert steps[-1] == 1.0 and all(a <= b for a, b in zip(steps, steps[1:]))
    # the found latent is a latent like any other: it redraws, varies, blends and moves
    assert np.array_equal(genmodels.move_along(gan_folder, z, [0.0])[0], found)
    assert len(genmodels.vary_latent(gan_folder, z, n=2, strength=0.3)[0]) == 2
    assert len(genmodels.blend_between(gan_folder, z, latents[0], steps=3)) == 3


@pytest.mark.slow
def test_search_is_deterministic_and_leaves_the_model_and_global_rng_alone(gan_folder):
    model = genmodels.get_model(gan_folder)
    before = {k: v.clone() for k, v in model.network.state_dict().items()}
    picture = np.zeros((20, 30, 3), np.uint8)
    picture[:, :15] = (250, 200, 40)
    settings = inv.InvertSettings(candidates=16, starts=2, steps=10, polish_steps=10)
    rng, threads = torch.random.get_rng_state(), torch.get_num_threads()
    a = inv.invert(model, fit_square(picture, 32), seed=7, settings=settings)
    b = inv.invert(model, fit_square(picture, 32), seed=7, settings=settings)
    assert torch.equal(a.latent, b.latent) and a.score == b.score
    assert torch.equal(torch.random.get_rng_state(), rng) and torch.get_num_threads() == threads
    assert all(torch.equal(v, model.network.state_dict()[k]) for k, v in before.items())
    assert all(p.grad is None for p in model.network.parameters())


@pytest.mark.slow
def test_a_vae_reads_the_picture_with_its_encoder_then_polishes(vae_folder):
    picture = np.full((40, 40, 3), 180, np.uint8)
    picture[10:30, 10:30] = (20, 60, 200)
    _, z_encoder, q_encoder = genmodels.find_in_model(vae_folder, picture, refine=False)
    assert np.allclose(z_encoder, genmodels.encode_picture(vae_folder, picture), atol=1e-6)
    _, _, q_polished = genmodels.find_in_model(vae_folder, picture, refine=True)
    assert q_polished["ssim"] > q_encoder["ssim"]  # the polish only ever improves on the encoder


@pytest.mark.parametrize("picture, match", [
    (None, "Upload a picture"), (np.zeros((32, 32), np.uint8), "Upload a picture"),
    (np.zeros((32, 32, 3), np.float32), "Upload a picture"), (np.zeros((4, 40, 3), np.uint8), "too small"),
])
def test_bad_pictures_are_refused(gan_folder, picture, match):
    with pytest.raises(genmodels.StudioError, match=match):
        genmodels.find_in_model(gan_folder, picture)


def test_bad_settings_are_refused(gan_folder):
    picture = np.zeros((32, 32, 3), np.uint8)
    with pytest.raises(genmodels.StudioError, match="Fit"):
        genmodels.find_in_model(gan_folder, picture, fit="stretch")
    with pytest.raises(genmodels.StudioError, match="Seed"):
        genmodels.find_in_model(gan_folder, picture, seed=-1)


def test_ssim_and_psnr_agree_with_their_definitions():
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    assert torch.allclose(ssim((x + 1) / 2, (x + 1) / 2), torch.ones(2)) and (inv.psnr(x, x) > 90).all()
    noisy = (x + 0.5 * torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))).clamp(-1, 1)
    assert (ssim((noisy + 1) / 2, (x + 1) / 2) < 0.9).all() and (inv.psnr(noisy, x) < 30).all()
