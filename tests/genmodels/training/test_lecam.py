"""LeCam regularisation (training/lecam.py): what the penalty is, that its running means are state a
checkpoint keeps, and that two-scale texture runs use it and resume from checkpoints written before it."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from genmodels.data.texture_crops import load_texture_dataset
from genmodels.training.checkpoint import load_checkpoint, save_checkpoint
from genmodels.training.config import TrainConfig
from genmodels.training.lecam import LeCam
from genmodels.training.loop import train
from genmodels.training.recipes import get_recipe


def test_each_side_is_pulled_towards_the_other_sides_running_mean():
    lecam = LeCam(weight=0.5)
    real, fake = torch.tensor([2.0, -1.0]), torch.tensor([0.0, 1.0])
    # first batch: the debiased running means are the batch means, real 0.5 and fake 0.5
    expected = 0.5 * (torch.tensor([1.5, 0.0]).square().mean() + torch.tensor([0.5, 0.0]).square().mean())
    assert torch.allclose(lecam(real, fake), expected)
    assert int(lecam.updates) == 1
    # logits already on their own side of the other's mean cost nothing
    assert float(lecam(torch.tensor([-5.0]), torch.tensor([5.0]))) == 0.0


def test_the_penalty_has_a_gradient_for_the_logits_only():
    lecam = LeCam(weight=1.0)
    real = torch.tensor([3.0, 1.0], requires_grad=True)
    fake = torch.tensor([-2.0, 0.0], requires_grad=True)
    lecam(real, fake).backward()
    assert real.grad.abs().sum() > 0 and fake.grad.abs().sum() > 0
    assert not lecam.real.requires_grad and not lecam.fake.requires_grad


def test_the_running_means_are_state_that_a_copy_continues_from():
    a = LeCam(weight=0.3)
    gen = torch.Generator().manual_seed(0)
    for _ in range(3):
        a(torch.randn(8, generator=gen), torch.randn(8, generator=gen))
    b = LeCam(weight=0.3)
    b.load_state_dict(a.state_dict())
    real, fake = torch.randn(8, generator=gen), torch.randn(8, generator=gen)
    assert torch.equal(a(real, fake), b(real, fake))
    assert set(a.state_dict()) == {"real", "fake", "updates"}


def test_two_scale_texture_models_use_it_and_the_others_do_not():
    def spec(preset):
        return TrainConfig(preset=preset).recipe_spec

    assert spec("texture-large").lecam > 0 and "LeCam" in spec("texture-large").summary
    assert spec("texture").lecam == 0 and "LeCam" not in spec("texture").summary
    assert spec("dcgan-64").lecam == 0 and get_recipe("lite").lecam == 0


@pytest.fixture
def picture(tmp_path):
    img = np.full((160, 192, 3), 170, np.uint8)
    img[::16] = (180, 60, 40)
    Image.fromarray(img).save(tmp_path / "lines.png")
    return tmp_path / "lines.png"


def test_a_texture_checkpoint_keeps_lecams_means_and_one_written_before_it_resumes(picture, tmp_path):
    data = load_texture_dataset(picture, 128, crops=16)  # texture-large learns from 128 px crops
    cfg = TrainConfig(preset="texture-large", minutes=None, max_steps=3, batch_size=4, precision="fp32",
                      preview_every=1000, checkpoint_minutes=0)
    list(train(cfg, data, tmp_path / "m"))
    tensors, meta = load_checkpoint(tmp_path / "m" / "checkpoint")
    assert int(tensors["lecam/updates"]) == 3 and float(tensors["lecam/real"]) != 0.0
    older = {k: v for k, v in tensors.items() if not k.startswith("lecam/")}  # as the last release wrote it
    save_checkpoint(tmp_path / "m" / "checkpoint", older, meta)
    longer = TrainConfig(preset="texture-large", minutes=None, max_steps=5, batch_size=4, precision="fp32",
                         preview_every=1000, checkpoint_minutes=0)
    assert list(train(longer, data, tmp_path / "m", resume=True))[-1].kind == "finished"
    # started afresh at step 3: steps 3 and 4 are the run's last generator steps (the detail network's from 90 % on)
    assert int(load_checkpoint(tmp_path / "m" / "checkpoint")[0]["lecam/updates"]) == 2
