"""The VAE's fitted mixture prior: EM, the seeded sampler, the folder format, and what it must not change."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

import genmodels
from genmodels.generation import sampling
from genmodels.explore.directions import compute_directions
from genmodels.imaging.tensors import to_images
from genmodels.models.mixture import MixturePrior, MixtureSettings, fit_mixture
from genmodels.storage.store import CONFIG_FILE, load_model, save_model
from genmodels.models.vae import VAE, VAEConfig
from genmodels.training.vae_prior import fit_prior, with_fitted_prior
from tests.conftest import TINY_VAE

MEANS = torch.tensor([[6.0, 0, 0, 0], [0, 6.0, 0, 0], [0, 0, -6.0, 0]])
WEIGHTS = torch.tensor([0.5, 0.3, 0.2])


def _clusters(n: int = 600, seed: int = 0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    labels = torch.multinomial(WEIGHTS, n, replacement=True, generator=gen)
    return MEANS[labels] + 0.5 * torch.randn(n, 4, generator=gen)  # (n, 4)


def _matched(fit_means: torch.Tensor) -> torch.Tensor:
    """Index of the fitted component nearest each true mean."""
    return torch.cdist(MEANS.double(), fit_means).argmin(1)


@pytest.mark.parametrize("covariance", ["full", "diag"])
def test_em_recovers_well_separated_clusters(covariance):
    fit = fit_mixture(_clusters(), MixtureSettings(components=3, covariance=covariance, reg=0.01, seed=1))
    order = _matched(fit.means)
    assert sorted(order.tolist()) == [0, 1, 2]
    assert torch.allclose(fit.means[order].float(), MEANS, atol=0.15)
    assert torch.allclose(fit.weights[order].float(), WEIGHTS, atol=0.05)
    cov = fit.scale_tril @ fit.scale_tril.transpose(1, 2)
    assert torch.allclose(torch.diagonal(cov, dim1=1, dim2=2).float(), torch.full((3, 4), 0.25), atol=0.1)
    again = fit_mixture(_clusters(), MixtureSettings(components=3, covariance=covariance, reg=0.01, seed=1))
    assert torch.equal(fit.means, again.means)  # deterministic given the seed


def _prior() -> MixturePrior:
    prior = MixturePrior(3, 4)
    return prior.set_fit(fit_mixture(_clusters(), MixtureSettings(components=3, reg=0.01)))


def test_sampler_is_deterministic_per_seed_and_batch_independent():
    prior = _prior()
    batch = prior.transform(sampling.seed_latents(range(20, 40), 4))
    for k in (0, 7, 19):
        alone = prior.transform(sampling.seed_latents([20 + k], 4))
        assert torch.equal(alone[0], batch[k])
    assert torch.equal(prior.transform(sampling.seed_latents(range(25, 28), 4)), batch[5:8])
    flat = prior.transform(sampling.seed_latents(range(3), 4), variety=0.0)  # the components' means
    assert all(torch.allclose(row, prior.means[prior.component(row[None])[0]]) for row in flat)


@pytest.mark.slow
def test_draws_follow_the_mixture_weights():
    prior = _prior()
    draws = prior.transform(sampling.seed_latents(range(4000), 4))
    counts = torch.bincount(prior.component(draws), minlength=3).float() / 4000
    assert torch.allclose(counts, prior.weights, atol=0.03)  # 4000 draws: one std is below 0.01
    assert torch.allclose(draws.mean(0), (prior.weights[:, None] * prior.means).sum(0), atol=0.2)


def _pictures(n: int = 40, size: int = 32, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, size, size, 3), dtype=np.uint8)


def test_folder_with_a_prior_round_trips(vae_folder):
    meta = json.loads((vae_folder / CONFIG_FILE).read_text())
    (vae_folder / CONFIG_FILE).write_text(json.dumps({**meta, "quality": {"swd_x1000": 131.4}}))
    info = fit_prior(vae_folder, _pictures(), MixtureSettings(components=4, reg=0.1))
    assert info["components"] == 2 and info["covariance"] == "full"  # 40 pictures -> 40 // 20 parts
    meta = json.loads((vae_folder / CONFIG_FILE).read_text())
    assert meta["config"]["prior"] == "gmm" and meta["config"]["prior_components"] == 2
    assert meta["prior"]["images"] == 40 and meta["name"] == "tiny vae" and "quality" not in meta
    model = load_model(vae_folder)
    prior = sampling.prior_of(model)
    assert prior is not None and prior.means.shape == (2, TINY_VAE.z_dim)
    again = VAE(model.config)
    again.load_state_dict(model.network.state_dict())
    assert torch.equal(again.prior.scale_tril, prior.scale_tril)
    expected = sampling.decode(model, prior.transform(sampling.seed_latents(range(3, 9), TINY_VAE.z_dim)))
    drawn = genmodels.generate(vae_folder, n=6, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip(drawn, expected))
    assert "How random images are drawn" in (vae_folder / "README.md").read_text()


def test_old_folder_without_prior_fields_loads_and_draws_as_before(vae_folder):
    path = vae_folder / CONFIG_FILE
    meta = json.loads(path.read_text())
    for key in ("prior", "prior_components"):
        meta["config"].pop(key)
    path.write_text(json.dumps(meta))  # exactly what a folder saved before priors existed holds
    model = load_model(vae_folder)
    assert sampling.prior_of(model) is None and model.config.prior == "normal"
    z = sampling.seed_latents(range(5), TINY_VAE.z_dim, 0.7)
    with torch.no_grad():
        before = to_images(model.network(z))  # what generate did before priors existed
    after = genmodels.generate(vae_folder, n=5, seed=0, variety=0.7)
    assert all(np.array_equal(a, b) for a, b in zip(before, after))
    assert "How random images are drawn" not in (vae_folder / "README.md").read_text()


def test_builtin_vae_draws_from_its_fitted_prior():
    model = load_model(Path(__file__).resolve().parents[3] / "weights" / "emoji-vae-64")
    prior = sampling.prior_of(model)
    assert prior is not None and model.config.prior == "gmm" and model.config.prior_components == 64
    assert model.config.base_size == 32 and model.network.detail is not None  # the two-stage build
    expected = sampling.decode(model, prior.transform(sampling.seed_latents(range(2), model.config.z_dim)))
    assert all(np.array_equal(a, b) for a, b in zip(genmodels.generate(model, n=2, seed=0), expected))


@pytest.mark.slow
def test_reconstruct_and_picture_blends_are_unchanged_by_the_prior(vae_folder):
    a, b = _pictures(2, seed=5)
    before = genmodels.reconstruct(vae_folder, a), genmodels.blend_images(vae_folder, a, b, steps=4)
    fit_prior(vae_folder, _pictures())
    after = genmodels.reconstruct(vae_folder, a), genmodels.blend_images(vae_folder, a, b, steps=4)
    assert np.array_equal(before[0], after[0])
    assert all(np.array_equal(x, y) for x, y in zip(before[1], after[1]))


def test_seed_paths_go_through_the_prior(vae_folder):
    fit_prior(vae_folder, _pictures())
    model = load_model(vae_folder)
    z = sampling.model_latents(model, [11, 12], variety=0.5)
    assert np.allclose(genmodels.seed_latent(vae_folder, 11, 0.5), z[0].numpy())
    images, latents = genmodels.draw(vae_folder, n=2, seed=11, variety=0.5)
    assert np.array_equal(latents, z.numpy())
    frames = genmodels.blend_seeds(vae_folder, 11, 12, steps=3, variety=0.5)
    assert np.array_equal(frames[0], images[0]) and np.array_equal(frames[-1], images[1])
    same = genmodels.variations(vae_folder, 11, 0.5, n=2, strength=0.0)
    assert all(np.array_equal(img, images[0]) for img in same)
    varied = genmodels.variations(vae_folder, 11, 0.5, n=3, strength=0.5, variation_seed=4)
    by_latent, _ = genmodels.vary_latent(vae_folder, latents[0], 3, 0.5, 4)
    assert all(np.array_equal(x, y) for x, y in zip(varied, by_latent))
    found = compute_directions(model, k=2, n_samples=64)
    assert found.directions.shape == (2, TINY_VAE.z_dim) and torch.isfinite(found.directions).all()


def test_untrained_prior_fields_are_checked():
    with pytest.raises(ValueError):
        VAEConfig(prior="gmm", prior_components=0)
    with pytest.raises(ValueError):
        VAEConfig(prior="normal", prior_components=4)
    with pytest.raises(ValueError):
        VAEConfig(prior="flow")


@pytest.mark.slow
def test_with_fitted_prior_keeps_the_network_and_global_rng(vae_folder):
    model = load_model(vae_folder)
    images = torch.from_numpy(_pictures(70)).permute(0, 3, 1, 2).contiguous()
    torch.manual_seed(3)
    expected = torch.rand(1)
    torch.manual_seed(3)
    fitted, info = with_fitted_prior(model.network, images, MixtureSettings(components=16))
    assert torch.equal(torch.rand(1), expected)
    assert info["components"] == 3 and fitted.cfg.prior_components == 3  # 70 pictures -> 70 // 20 parts
    for key, value in model.network.state_dict().items():
        assert torch.equal(fitted.state_dict()[key], value)


@pytest.mark.slow
def test_training_a_tiny_vae_exports_a_folder_with_a_prior(tmp_path):
    from genmodels.data.dataset import dataset_from_arrays
    from genmodels.training.loop import train
    from genmodels.training.config import TrainConfig

    dataset = dataset_from_arrays(_pictures(24, 32), 32, 3, "noise")
    cfg = TrainConfig(preset="vae-32", minutes=None, max_steps=2, batch_size=8, checkpoint_minutes=0)
    events = list(train(cfg, dataset, tmp_path / "run"))
    assert events[-1].kind == "finished"
    model = load_model(tmp_path / "run")
    assert model.config.prior == "gmm" and sampling.prior_of(model) is not None
    assert json.loads((tmp_path / "run" / CONFIG_FILE).read_text())["prior"]["images"] == len(dataset)
    assert genmodels.generate(model, n=2, seed=0)[0].shape == (32, 32, 3)


def test_save_model_round_trips_a_prior_in_half_precision(tmp_path):
    cfg = VAEConfig(image_size=32, z_dim=4, width=8, prior="gmm", prior_components=3)
    net = VAE(cfg).eval()
    net.prior.set_fit(fit_mixture(_clusters(), MixtureSettings(components=3, reg=0.01)))
    loaded = load_model(save_model(tmp_path / "half", net, cfg, {"name": "half"}, half_precision=True))
    assert torch.allclose(loaded.network.prior.means, net.prior.means, atol=0.01)
    z = sampling.model_latents(loaded, range(50))
    assert torch.isfinite(z).all()
