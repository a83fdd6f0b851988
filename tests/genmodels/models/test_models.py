import pytest
import torch

from genmodels.models.gan import Discriminator, GANConfig, Generator, d_loss, g_loss
from genmodels.models.presets import PRESETS, get_preset, preset_for
from genmodels.storage.store import build_network
from genmodels.models.vae import VAE, VAEConfig, vae_loss


@pytest.mark.parametrize("name", [n for n in PRESETS if not n.startswith("texture")])  # test_texture*.py
def test_every_preset_draws_images_of_its_shape(name):
    cfg = PRESETS[name]
    net = build_network(cfg).eval()
    with torch.no_grad():
        x = net(torch.randn(2, cfg.z_dim))
    assert x.shape == (2, cfg.channels, cfg.image_size, cfg.image_size)
    assert x.min() >= -1 and x.max() <= 1
    if isinstance(cfg, GANConfig):
        assert Discriminator(cfg)(x).shape == (2,)
    else:
        mu, logvar = net.encode(x)
        assert mu.shape == logvar.shape == (2, cfg.z_dim)


def test_seed_article_dcgan_32_is_exact():
    g = Generator(PRESETS["dcgan-32"])
    convs = [m for m in g.net if isinstance(m, torch.nn.ConvTranspose2d)]
    assert [(c.in_channels, c.out_channels) for c in convs] == [(100, 256), (256, 128), (128, 64), (64, 3)]
    assert convs[0].stride == (1, 1) and all(c.stride == (2, 2) and c.padding == (1, 1) for c in convs[1:])
    assert all(c.kernel_size == (4, 4) and c.bias is None for c in convs)
    assert isinstance(g.net[-1], torch.nn.Tanh)
    d = Discriminator(PRESETS["dcgan-32"])
    dconvs = [m for m in d.net if isinstance(m, torch.nn.Conv2d)]
    assert [(c.in_channels, c.out_channels) for c in dconvs] == [(3, 64), (64, 128), (128, 256), (256, 1)]
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in d.net) == 2  # none on the first layer
    assert all(m.negative_slope == 0.2 for m in d.net if isinstance(m, torch.nn.LeakyReLU))
    # N(0, 0.02) initialisation
    assert abs(convs[1].weight.std().item() - 0.02) < 0.002


def test_spectral_discriminator_has_no_batchnorm():
    d = Discriminator(GANConfig(d_norm="spectral"))
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in d.net)
    assert any(hasattr(m, "weight_orig") for m in d.net)


@pytest.mark.parametrize("kind", ["bce", "hinge"])
def test_gan_losses_reward_the_right_side(kind):
    good, bad = torch.full((8,), 5.0), torch.full((8,), -5.0)
    assert d_loss(good, bad, kind) < d_loss(bad, good, kind)
    assert g_loss(good, kind) < g_loss(bad, kind)


def test_bad_configs_are_refused():
    with pytest.raises(ValueError):
        GANConfig(image_size=48)
    with pytest.raises(ValueError):
        VAEConfig(channels=2)
    with pytest.raises(ValueError):
        VAEConfig(beta=float("nan"))
    with pytest.raises(ValueError, match="Unknown model preset"):
        get_preset("stylegan")
    assert preset_for("vae", 64, True) == "vae-64-gray"


@pytest.mark.slow
@pytest.mark.parametrize("reconstruction,laplacian_weight", [("mse", 0.0), ("bce", 0.0), ("mse", 1.0), ("bce", 1.0)])
def test_vae_loss_terms_are_finite_and_fall(reconstruction, laplacian_weight):
    torch.manual_seed(0)
    cfg = VAEConfig(image_size=32, channels=1, z_dim=8, width=8, reconstruction=reconstruction,
                    laplacian_weight=laplacian_weight)
    model = VAE(cfg)
    # a tiny synthetic set: 16 soft discs of different sizes on white
    yy, xx = torch.meshgrid(torch.arange(32.0), torch.arange(32.0), indexing="ij")
    radius = torch.linspace(4, 14, 16).view(-1, 1, 1)
    x = torch.where(((yy - 16) ** 2 + (xx - 16) ** 2).sqrt() < radius, -1.0, 1.0).unsqueeze(1)  # (16, 1, 32, 32)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    gen = torch.Generator().manual_seed(0)
    history = []
    for _ in range(30):
        terms = vae_loss(model, x, torch.randn(16, cfg.z_dim, generator=gen))
        assert all(torch.isfinite(v) for v in terms.values())
        opt.zero_grad()
        terms["loss"].backward()
        opt.step()
        history.append({k: v.item() for k, v in terms.items()})
    assert history[-1]["loss"] < 0.5 * history[0]["loss"]
    assert history[-1]["reconstruction"] < history[0]["reconstruction"]
    assert history[-1]["kl"] >= 0
    assert ("laplacian" in history[-1]) == bool(laplacian_weight)
    if laplacian_weight:
        assert history[-1]["laplacian"] < history[0]["laplacian"]


def test_vae_laplacian_term_adds_its_weighted_lap1_and_is_checked():
    torch.manual_seed(0)
    plain = VAE(VAEConfig(image_size=32, channels=3, z_dim=8, width=8))
    sharp = VAE(VAEConfig(image_size=32, channels=3, z_dim=8, width=8, laplacian_weight=2.0))
    sharp.load_state_dict(plain.state_dict())
    x = torch.rand(4, 3, 32, 32) * 2 - 1
    eps = torch.randn(4, 8, generator=torch.Generator().manual_seed(1))
    a, b = vae_loss(plain, x, eps), vae_loss(sharp, x, eps)
    assert "laplacian" not in a and b["laplacian"].item() > 0
    assert torch.allclose(b["loss"], a["loss"] + 2.0 * b["laplacian"])
    for bad in (-1.0, float("inf"), 101.0):
        with pytest.raises(ValueError, match="laplacian_weight"):
            VAEConfig(laplacian_weight=bad)
