"""A labelled GAN's twin classifiers (TAC-GAN): D's `classify` learns the real pictures' classes,
`classify_fakes` the fakes' classes, and G is pushed towards the first and away from the second."""
from __future__ import annotations

import dataclasses

import pytest
import torch

from genmodels.models.gan import Discriminator, GANConfig, Generator
from genmodels.training.steps import GANRecipe, _g_class_loss, d_step, g_step

CFG = dataclasses.replace(GANConfig(image_size=32, z_dim=8, g_width=8, d_width=8), classes=("cats", "dogs"))


def _nets(d_norm: str):
    torch.manual_seed(0)
    cfg = dataclasses.replace(CFG, d_norm=d_norm)
    return Generator(cfg), Discriminator(cfg)


@pytest.mark.parametrize("loss, d_norm", [("hinge", "spectral"), ("bce", "batch")])
def test_a_labelled_d_step_teaches_each_classifier_its_own_half(loss, d_norm):
    G, D = _nets(d_norm)
    recipe = GANRecipe(loss=loss, diff_augment=False, precision="fp32", device=torch.device("cpu"))
    y = torch.eye(2)[[0, 1, 0, 1]]
    z = torch.cat([torch.randn(4, 8), y], dim=1)
    before = {k: v.clone() for k, v in D.state_dict().items() if k.startswith("classify")}
    opt_d = torch.optim.SGD(D.parameters(), lr=0.1)
    _, fake, real_in = d_step(G, D, opt_d, torch.rand(4, 3, 32, 32) * 2 - 1, z, torch.Generator().manual_seed(0),
                              recipe, y=y)
    after = D.state_dict()
    assert {k for k in before if not torch.equal(before[k], after[k])} >= {
        k for k in before if k.endswith(("bias", "weight_orig", "weight")) and "_u" not in k}
    g_before = [p.clone() for p in G.parameters()]
    g_step(D, torch.optim.SGD(G.parameters(), lr=0.1), fake, torch.Generator().manual_seed(1), recipe, real_in, y=y)
    assert any(not torch.equal(a, b) for a, b in zip(g_before, G.parameters()))


def test_g_gains_by_fooling_the_classifier_of_its_own_pictures():
    y = torch.eye(3)[[0, 1, 2]]
    sure = 5 * y  # logits that name each picture's class
    fooled = 5 * y.roll(1, dims=1)  # logits that name another class
    # recognised by the real-trained classifier: lower; recognised by the fake-trained one too: higher
    assert _g_class_loss(sure, fooled, y) < _g_class_loss(sure, sure, y)
    assert _g_class_loss(sure, fooled, y) < _g_class_loss(fooled, fooled, y)
