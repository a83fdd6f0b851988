"""Labelled networks: the conditional DCGAN, the projection discriminator and the class-aware prior."""
from __future__ import annotations

import dataclasses
import json

import pytest
import torch

from genmodels.models.gan import Discriminator, GANConfig, Generator
from genmodels.models.mixture import MixtureFit, MixturePrior
from genmodels.storage.store import ModelLoadError, config_from_dict
from genmodels.models.vae import VAEConfig

CLASSES = ("cats", "dogs", "fish")
CFG = GANConfig(image_size=32, z_dim=16, g_width=8, d_width=8, d_norm="spectral", classes=CLASSES)


def test_the_generator_reads_noise_followed_by_class_weights():
    torch.manual_seed(0)
    g = Generator(CFG).eval()
    z = torch.randn(2, 16)
    cats = g(torch.cat([z, torch.eye(3)[[0, 0]]], 1))
    dogs = g(torch.cat([z, torch.eye(3)[[1, 1]]], 1))
    assert cats.shape == (2, 3, 32, 32)
    assert not torch.allclose(cats, dogs)  # the class changes the picture
    with pytest.raises(RuntimeError):
        g(z)  # a labelled generator needs its class weights


def test_the_class_scale_multiplies_the_class_weights_before_the_first_layer():
    torch.manual_seed(0)
    scaled = Generator(dataclasses.replace(CFG, class_scale=4.0)).eval()
    plain = Generator(CFG).eval()
    plain.load_state_dict(scaled.state_dict())  # no parameters of its own: the same checkpoint keys
    z, cats = torch.randn(2, 16), torch.eye(3)[[0, 0]]
    assert torch.allclose(scaled(torch.cat([z, cats], 1)), plain(torch.cat([z, 4 * cats], 1)), atol=1e-6)
    block = scaled.first_block()  # what Explore's directions read: the scale included
    x = torch.cat([z, cats], 1).view(2, -1, 1, 1)
    assert torch.allclose(block(x), plain.net[:3](torch.cat([z, 4 * cats], 1).view(2, -1, 1, 1)), atol=1e-6)
    for bad in (0.0, -1.0, True, 2000.0):
        with pytest.raises(ValueError, match="class_scale"):
            dataclasses.replace(CFG, class_scale=bad)


def test_the_projection_discriminator_judges_a_picture_for_a_class():
    torch.manual_seed(0)
    d = Discriminator(CFG).eval()  # eval: spectral norm's power iteration stands still between calls
    x = torch.randn(4, 3, 32, 32)
    a, b = d(x, torch.eye(3)[[0, 0, 0, 0]]), d(x, torch.eye(3)[[2, 2, 2, 2]])
    assert a.shape == (4,) and not torch.allclose(a, b)
    y = torch.eye(3)[[0, 1, 2, 0]]
    logits, classes, fake_classes = d(x, y, with_classes=True)  # the twin classifiers' logits beside the usual ones
    assert torch.allclose(logits, d(x, y)) and classes.shape == fake_classes.shape == (4, 3)
    assert not torch.allclose(classes, fake_classes)  # two heads, each with its own weights
    plain = Discriminator(dataclasses.replace(CFG, classes=()))
    assert plain.embed is None and plain.classify is None and plain.classify_fakes is None
    assert not any(k.startswith(("embed", "classify")) for k in plain.state_dict())


def test_class_names_survive_config_json_and_bad_ones_are_refused():
    back = config_from_dict("gan", json.loads(json.dumps(dataclasses.asdict(CFG))))
    assert back == CFG and back.classes == CLASSES
    older = json.loads(json.dumps(dataclasses.asdict(CFG)))
    del older["class_scale"]  # a folder saved before the scale existed
    assert config_from_dict("gan", older).class_scale == 1.0
    for bad in (["a"], ["a", "a"], ["a", ""], "ab", ["a", 3]):
        with pytest.raises(ValueError):
            dataclasses.replace(CFG, classes=bad)
    with pytest.raises(ValueError, match="DCGAN"):
        dataclasses.replace(CFG, arch="fastgan")
    assert VAEConfig(classes=["x", "y"]).classes == ("x", "y")


def test_each_class_own_strength_survives_config_json_and_bad_ones_are_refused():
    own = dataclasses.replace(CFG, class_strengths=[2, 1.0, 1.5])
    assert own.class_strengths == (2.0, 1.0, 1.5)
    assert config_from_dict("gan", json.loads(json.dumps(dataclasses.asdict(own)))) == own
    older = json.loads(json.dumps(dataclasses.asdict(CFG)))
    del older["class_strengths"]  # a folder saved before classes had their own strengths
    assert config_from_dict("gan", older).class_strengths == ()
    for bad in ([1.0, 2.0], [1.0, 2.0, 3.5], [1.0, 0.5, 1.0], [1.0, True, 1.0], "123", [1.0, "2", 1.0]):
        with pytest.raises(ValueError):
            dataclasses.replace(CFG, class_strengths=bad)
    with pytest.raises(ValueError):  # strengths without classes
        GANConfig(class_strengths=[1.0, 2.0])
    with pytest.raises(ModelLoadError, match="list of numbers"):
        config_from_dict("gan", {**older, "class_strengths": ["two", 1, 1]})


def _two_class_prior() -> MixturePrior:
    prior = MixturePrior(3, 2, labelled=True)
    means = torch.tensor([[-10.0, 0.0], [10.0, 0.0], [10.0, 10.0]], dtype=torch.float64)
    fit = MixtureFit(torch.tensor([0.5, 0.25, 0.25], dtype=torch.float64), means,
                     torch.eye(2, dtype=torch.float64).expand(3, 2, 2) * 0.1, 0.0, 1)
    return prior.set_fit(fit, torch.tensor([0, 1, 1]))


def test_a_labelled_prior_draws_only_from_the_class_asked_for():
    prior = _two_class_prior()
    eps = torch.randn(200, 2, generator=torch.Generator().manual_seed(0))
    ones = prior.transform(eps, labels=[1] * 200)
    zeros = prior.transform(eps, labels=[0] * 200)
    assert (ones[:, 0] > 5).all() and (zeros[:, 0] < -5).all()
    assert set(prior.label_of(ones).tolist()) == {1}
    mixed = prior.transform(eps)  # no label: the whole mixture, as before
    assert (mixed[:, 0] < 0).any() and (mixed[:, 0] > 0).any()
    assert torch.equal(prior.transform(eps[:1], labels=[1]), ones[:1])  # row by row: batch-independent


def test_a_class_strength_moves_a_labelled_prior_draw_along_its_class_offset():
    prior = _two_class_prior()
    # class 1's mean (10, 5) minus the mean of all classes 0.5 * (-10, 0) + 0.25 * (10, 0) + 0.25 * (10, 10)
    assert torch.allclose(prior.class_offset(1), torch.tensor([10.0, 2.5], dtype=torch.float64))
    assert torch.equal(prior.class_offset(None), torch.zeros(2, dtype=torch.float64))
    eps = torch.randn(50, 2, generator=torch.Generator().manual_seed(1))
    plain, strong = prior.transform(eps, labels=[1] * 50), prior.transform(eps, labels=[1] * 50, class_strength=3.0)
    assert torch.allclose(strong - plain, torch.tensor([20.0, 5.0]).expand(50, 2), atol=1e-5)
    assert torch.equal(prior.transform(eps, class_strength=3.0), prior.transform(eps))  # no class, no offset
    assert torch.equal(MixturePrior(2, 2).class_offset(0), torch.zeros(2, dtype=torch.float64))  # unlabelled


def test_an_unlabelled_prior_keeps_its_weight_keys():
    assert set(MixturePrior(2, 4).state_dict()) == {"weights", "means", "scale_tril"}
    assert "component_class" in MixturePrior(2, 4, labelled=True).state_dict()
