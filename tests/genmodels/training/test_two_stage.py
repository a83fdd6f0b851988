"""Training a two-stage VAE (vae-64): the first stage, then the detail stage from 30 % of the run; the
exported folder draws 64 px pictures from its fitted prior; a resumed run continues exactly, whether it
was stopped before or after the switch."""
from __future__ import annotations

import pytest
import torch

from genmodels.data.dataset import load_dataset
from genmodels.storage.store import load_model
from genmodels.training.checkpoint import load_checkpoint
from genmodels.training.config import TrainConfig
from genmodels.training.loop import train
from tests.train_helpers import assert_resume_is_exact, write_discs


@pytest.fixture(scope="module")
def discs(tmp_path_factory):
    return load_dataset(write_discs(tmp_path_factory.mktemp("discs")), 64, 3)


def _cfg(steps: int) -> TrainConfig:
    return TrainConfig(preset="vae-64", minutes=None, max_steps=steps, batch_size=8, precision="fp32",
                       preview_every=1000, seed=3)


def test_the_detail_stage_starts_at_30_percent_and_the_folder_draws_64_px(discs, tmp_path):
    events = list(train(_cfg(20), discs, tmp_path / "run"))
    progress = [e for e in events if e.kind == "progress"]  # every 5 steps
    assert set(progress[0].losses) == {"loss", "reconstruction", "kl"}
    assert {"kl", "detail_l1"} <= set(progress[1].losses)  # steps 5-9: the switch at step 6 (6 / 20 >= 0.3)
    assert set(progress[-1].losses) == {"detail_d", "detail_g", "detail_l1"}
    _, meta = load_checkpoint(tmp_path / "run" / "checkpoint")
    assert meta["detail_from"] == 6
    model = load_model(tmp_path / "run")
    assert model.config.base_size == 32 and model.config.prior == "gmm"
    with torch.no_grad():
        assert model.network(torch.zeros(1, model.config.z_dim)).shape == (1, 3, 64, 64)


@pytest.mark.slow
@pytest.mark.parametrize("steps", [20, 10])  # stopped at step 5: in the first stage (of 20), in the detail stage (of 10)
def test_a_resumed_two_stage_run_continues_exactly(discs, tmp_path, steps):
    assert_resume_is_exact(_cfg(steps), discs, tmp_path, stop_after=5)


def test_epochs_count_the_pictures_the_detail_steps_learn_from(discs, tmp_path):
    # One batch of all the pictures per step: 6 first-stage steps of a whole epoch each, then 14
    # detail steps that learn from 16 of the batch.
    cfg = TrainConfig(preset="vae-64", minutes=None, max_steps=20, batch_size=len(discs), precision="fp32",
                      preview_every=1000, checkpoint_minutes=0)
    list(train(cfg, discs, tmp_path / "run"))
    assert load_model(tmp_path / "run").meta["training"]["epochs"] == round(6 + 14 * 16 / len(discs), 2)
