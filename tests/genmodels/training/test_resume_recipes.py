"""A GAN run stopped and resumed ends exactly where the same run trained in one go ends, for the
recipes whose state moves with the step: fastgan's resolution schedule and decaying rate, and lite."""
from __future__ import annotations

import pytest

from genmodels.data.dataset import load_dataset
from genmodels.training.config import TrainConfig
from tests.train_helpers import assert_resume_is_exact, write_discs


@pytest.mark.slow
@pytest.mark.parametrize("recipe,steps,stop_after,seed", [("fastgan", 10, 5, 2), ("lite", 8, 4, 4)])
def test_a_resumed_run_continues_exactly(recipe, steps, stop_after, seed, tmp_path):
    # fastgan's schedule (half size, fade-in) and its decaying rate follow step / limit: the resumed
    # half continues both where the unbroken run was.
    data = load_dataset(write_discs(tmp_path / "discs"), 32, 3)
    cfg = TrainConfig(preset="dcgan-32", recipe=recipe, minutes=None, max_steps=steps, batch_size=8,
                      precision="fp32", preview_every=1000, seed=seed)
    assert_resume_is_exact(cfg, data, tmp_path, stop_after=stop_after)
