"""Each class's own strength: the highest candidate at which the class's draws keep most of their variety."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from genmodels.models.gan import GANConfig, Generator
from genmodels.training.class_strengths import CANDIDATES, own_class_strengths, spread, with_own_class_strengths

CFG = GANConfig(image_size=32, z_dim=8, g_width=8, d_width=8, classes=("faces", "objects"))


class VarietyByStrength(nn.Module):
    """A stand-in generator: the noise sets the picture; the faces' variety shrinks as 1 / strength^2 (the
    strength read back from the class weights), the objects' not at all."""

    def __init__(self):
        super().__init__()
        self.unused = nn.Parameter(torch.zeros(()))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        noise, weights = z[:, :8], z[:, 8:]
        strength = 2 * weights.max(1).values - 1  # two classes: the weight of the class is 1/2 + strength/2
        faces = weights[:, 0] > weights[:, 1]
        variety = torch.where(faces, strength ** -2, torch.ones_like(strength))
        return (noise[:, :3, None, None] * variety[:, None, None, None]).expand(-1, 3, 32, 32)


def test_a_class_that_loses_its_variety_keeps_strength_1_and_one_that_does_not_gets_the_most():
    assert own_class_strengths(VarietyByStrength(), CFG) == (1.0, CANDIDATES[-1])


def test_the_choice_is_a_function_of_the_network_and_an_unlabelled_config_is_left_alone():
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        net = Generator(CFG).eval()
    first = own_class_strengths(net, CFG)
    assert len(first) == 2 and set(first) <= set(CANDIDATES)
    assert own_class_strengths(net, CFG) == first
    assert with_own_class_strengths(net, CFG).class_strengths == first
    plain = GANConfig(image_size=32, z_dim=8, g_width=8, d_width=8)
    assert with_own_class_strengths(net, plain) is plain


def test_spread_is_the_mean_distance_between_pairs_at_32_px():
    same = torch.ones(4, 3, 64, 64)
    assert spread(same) == 0
    two = torch.stack([torch.zeros(3, 64, 64), torch.full((3, 64, 64), 0.5)])
    assert spread(two) == pytest.approx(0.5)
