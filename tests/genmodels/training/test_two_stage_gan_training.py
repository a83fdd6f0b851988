"""Training the default recipe (two-stage) at 64 px: the 32 px GAN, then the detail network from 60 % of
the run (80 % for an unlabelled run in fp32 on a CPU, as these are), the first stage frozen at the
generator's average; the folder draws 64 px pictures; at 32 px the recipe is lite; a resumed run continues
exactly, stopped before or after the switch."""
from __future__ import annotations

import pytest
import torch

from genmodels import generate
from genmodels.data.dataset import load_dataset
from genmodels.models.gan import Generator, TwoStageGenerator
from genmodels.storage.store import load_model
from genmodels.training.checkpoint import load_checkpoint
from genmodels.training.config import TrainConfig
from genmodels.training.loop import _Run, train
from genmodels.training.recipes import GAN_RECIPES, TEXTURE_RECIPE, first_stage_share
from tests.train_helpers import assert_resume_is_exact, write_discs


@pytest.fixture(scope="module")
def discs(tmp_path_factory):
    return load_dataset(write_discs(tmp_path_factory.mktemp("discs")), 64, 3)


def _cfg(steps: int, **extra) -> TrainConfig:
    return TrainConfig(**{"preset": "dcgan-64", "minutes": None, "max_steps": steps, "batch_size": 8,
                          "precision": "fp32", "preview_every": 1000, "seed": 3, **extra})


def test_the_gan_learns_at_32_px_then_the_detail_stage_takes_over_at_80_percent_on_an_fp32_cpu(discs, tmp_path):
    events = list(train(_cfg(25), discs, tmp_path / "run"))
    progress = [e for e in events if e.kind == "progress"]  # every 5 steps
    assert set(progress[0].losses) == {"d", "g"}
    assert set(progress[-1].losses) == {"detail_d", "detail_g", "detail_l1"}
    _, meta = load_checkpoint(tmp_path / "run" / "checkpoint")
    assert meta["detail_from"] == 20  # 20 / 25 >= 0.8
    model = load_model(tmp_path / "run")
    assert model.config.base_size == 32 and model.meta["training"]["recipe"] == "two-stage"
    assert isinstance(model.network, TwoStageGenerator)
    pictures = generate(tmp_path / "run", n=2, seed=7)
    assert pictures[0].shape == (64, 64, 3)
    assert all((a == b).all() for a, b in zip(pictures, generate(tmp_path / "run", n=2, seed=7)))


def test_first_stage_steps_leave_the_detail_network_alone_and_feed_d_32_px(discs, tmp_path):
    run = _Run(_cfg(10), discs, tmp_path / "run", resume=False)
    detail_before = {k: v.clone() for k, v in run.net.detail.state_dict().items()}
    base_before = {k: v.clone() for k, v in run.net.base.state_dict().items()}
    seen = []
    run.D.register_forward_pre_hook(lambda module, args: seen.append(args[0].shape[-1]))
    run._one_step(progress=0.1)
    assert set(seen) == {32}
    assert all(torch.equal(v, run.net.detail.state_dict()[k]) for k, v in detail_before.items())
    assert any(not torch.equal(v, run.net.base.state_dict()[k]) for k, v in base_before.items())


def test_the_detail_stage_freezes_the_first_stage_at_its_average(discs, tmp_path):
    run = _Run(_cfg(10), discs, tmp_path / "run", resume=False)
    for _ in range(3):
        run._one_step(progress=0.1)
        run.step += 1
    average = {k: v.clone() for k, v in run.ema.base.state_dict().items()}
    run._one_step(progress=0.9)
    assert run.detail.start == 3
    for module in (run.net.base, run.ema.base):
        assert all(torch.equal(v, module.state_dict()[k]) for k, v in average.items())


def test_at_32_px_the_default_recipe_is_one_stage_lite(discs, tmp_path):
    small = load_dataset(write_discs(tmp_path / "d"), 32, 3)
    list(train(_cfg(3, preset="dcgan-32"), small, tmp_path / "run"))
    model = load_model(tmp_path / "run")
    assert model.config.base_size == 0 and type(model.network) is Generator
    assert model.config.g_width == 32


@pytest.mark.slow
@pytest.mark.parametrize("steps", [20, 6])  # stopped at step 5: in the first stage (of 20), in the detail stage (of 6)
def test_a_resumed_two_stage_gan_run_continues_exactly(discs, tmp_path, steps):
    assert_resume_is_exact(_cfg(steps), discs, tmp_path, stop_after=5)


def test_the_decaying_ablation_lowers_the_gans_rate_over_its_stage_only(discs, tmp_path):
    # two-stage-lr-decay (the built-in GAN's recipe): 8e-4 falling to a quarter by 80 % of the run (fp32 CPU)
    run = _Run(_cfg(10, recipe="two-stage-lr-decay"), discs, tmp_path / "run", resume=False)
    assert run.cfg.learning_rate == pytest.approx(8e-4)
    run._one_step(progress=0.3)
    assert run.opt_g.param_groups[0]["lr"] == pytest.approx(8e-4 * (1 - 0.75 * 0.3 / 0.8))
    assert run.opt_d.param_groups[0]["lr"] == run.opt_g.param_groups[0]["lr"]
    run.step += 1
    run._one_step(progress=0.9)  # the detail stage keeps its own optimisers at their fixed rate
    assert run.detail.optimizers["detail"].param_groups[0]["lr"] == pytest.approx(2e-4)


@pytest.mark.parametrize("precision, device, labelled, recipe, share", [
    ("fp32", "cpu", False, "two-stage", 0.8),  # a CPU without native bf16: the first stage needs the steps
    ("fp32", "cpu", False, "two-stage-lr-decay", 0.8),
    ("bf16", "cpu", False, "two-stage", 0.6),  # where it was measured best (README "Quality")
    ("bf16", "cuda", False, "two-stage", 0.6),
    ("fp32", "cuda", False, "two-stage", 0.6),
    ("fp32", "cpu", True, "two-stage", 0.6),  # labelled runs drew their classes less often with 0.8
])
def test_the_split_between_the_stages_depends_on_the_cpu_path_and_labels(precision, device, labelled, recipe,
                                                                          share):
    assert first_stage_share(GAN_RECIPES[recipe], precision, device, labelled).detail_from == share


def test_one_stage_and_texture_recipes_keep_their_split():
    for spec in (GAN_RECIPES["lite"], GAN_RECIPES["fastgan"], TEXTURE_RECIPE):
        assert first_stage_share(spec, "fp32", "cpu", False) == spec


def test_a_labelled_two_stage_run_on_an_fp32_cpu_switches_at_60_percent(tmp_path):
    write_discs(tmp_path / "classes" / "cats", n=6, seed=1)
    write_discs(tmp_path / "classes" / "dogs", n=6, seed=2)
    labelled = load_dataset(tmp_path / "classes", 64, 3)
    run = _Run(_cfg(10), labelled, tmp_path / "run", resume=False)
    assert run.labels is not None and run.spec.detail_from == 0.6 and run.detail.start_at == 0.6
