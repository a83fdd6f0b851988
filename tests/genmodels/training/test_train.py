import threading

import numpy as np
import pytest
import torch

from genmodels import load_model
from genmodels.training.checkpoint import load_checkpoint
from genmodels.data.dataset import load_dataset
from genmodels.errors import StudioError
from genmodels.models.presets import get_preset
from genmodels.training.loop import _Run, train
from genmodels.training.config import TrainConfig
from tests.train_helpers import write_discs

pytestmark = pytest.mark.slow  # trains tiny models for tens of steps


@pytest.fixture(scope="module")
def pictures(tmp_path_factory):
    return write_discs(tmp_path_factory.mktemp("discs"))


def dataset_for(pictures, preset):
    cfg = get_preset(preset)
    return load_dataset(pictures, cfg.image_size, cfg.channels)


def run_all(cfg, dataset, out, **kw):
    return list(train(cfg, dataset, out, **kw))


@pytest.mark.parametrize("preset,recipe", [("dcgan-32", "classic"), ("dcgan-32", "small-data"),
                                           ("dcgan-64-gray", "small-data"), ("vae-32", "small-data"),
                                           ("vae-64-gray", "small-data")])
def test_a_few_steps_of_every_model_and_recipe(pictures, tmp_path, preset, recipe):
    cfg = TrainConfig(preset=preset, recipe=recipe, minutes=None, max_steps=6, batch_size=8, preview_every=5)
    events = run_all(cfg, dataset_for(pictures, preset), tmp_path / "m")
    kinds = [e.kind for e in events]
    assert kinds[0] == "started" and kinds[-1] == "finished" and "progress" in kinds and "preview" in kinds
    progress = [e for e in events if e.kind == "progress"]
    assert all(np.isfinite(v) for e in progress for v in e.losses.values())
    expected_losses = {"d", "g"} if preset.startswith("dcgan") else {"loss", "reconstruction", "kl"}
    if getattr(get_preset(preset), "base_size", 0):  # two stages: the detail stage starts at step 2 of 6
        expected_losses |= {"detail_d", "detail_g", "detail_l1"}
    assert set(progress[0].losses) == expected_losses
    assert events[-1].preview.dtype == np.uint8 and events[-1].model_dir
    model = load_model(tmp_path / "m")
    assert model.meta["training"]["steps"] == 6 and model.meta["dataset"]["images_used"] == 24
    card = (tmp_path / "m" / "README.md").read_text()
    assert "samples.png" in card and "## Training data" in card and "training time" in card


def test_resume_continues_exactly(pictures, tmp_path):
    data = dataset_for(pictures, "dcgan-32")
    common = dict(preset="dcgan-32", recipe="small-data", minutes=None, batch_size=8, precision="fp32",
                  preview_every=1000, seed=3)
    run_all(TrainConfig(max_steps=6, **common), data, tmp_path / "straight")
    run_all(TrainConfig(max_steps=3, **common), data, tmp_path / "split")
    run_all(TrainConfig(max_steps=6, **common), data, tmp_path / "split", resume=True)
    a, meta_a = load_checkpoint(tmp_path / "straight" / "checkpoint")
    b, meta_b = load_checkpoint(tmp_path / "split" / "checkpoint")
    assert meta_a["step"] == meta_b["step"] == 6
    assert a.keys() == b.keys() and any(k.startswith("ema/") for k in a) and any(k.startswith("opt.d/") for k in a)
    assert all(torch.equal(a[k], b[k]) for k in a), [k for k in a if not torch.equal(a[k], b[k])][:3]


def test_resume_refuses_another_preset(pictures, tmp_path):
    data = dataset_for(pictures, "dcgan-32")
    run_all(TrainConfig(preset="dcgan-32", minutes=None, max_steps=2, batch_size=8), data, tmp_path / "m")
    with pytest.raises(StudioError, match="checkpoint"):
        run_all(TrainConfig(preset="dcgan-32", recipe="classic", minutes=None, max_steps=4, batch_size=8),
                data, tmp_path / "m", resume=True)


def test_nan_batch_rolls_back_and_writes_nothing_non_finite(pictures, tmp_path, monkeypatch):
    original = _Run._batch

    def poisoned(self):
        real, labels = original(self)  # the pictures and (for a labelled set) their classes
        return (real * float("inf") if self.step == 4 else real), labels

    monkeypatch.setattr(_Run, "_batch", poisoned)
    cfg = TrainConfig(preset="dcgan-32", recipe="classic", minutes=None, max_steps=20, batch_size=8)
    events = run_all(cfg, dataset_for(pictures, "dcgan-32"), tmp_path / "m")
    assert events[-1].kind == "diverged" and "step 4" in events[-1].message
    tensors, _ = load_checkpoint(tmp_path / "m" / "checkpoint")
    assert all(torch.isfinite(t).all() for t in tensors.values() if t.is_floating_point())
    model = load_model(tmp_path / "m")  # load_model refuses non-finite weights, so this is the check
    assert model.meta["training"]["stopped_because"].startswith("diverged")
    assert not list((tmp_path / "m").rglob("*.tmp"))


def test_stop_mid_run_keeps_a_loadable_model(pictures, tmp_path):
    stop = threading.Event()
    cfg = TrainConfig(preset="vae-32", minutes=5, batch_size=8)
    events = []
    for ev in train(cfg, dataset_for(pictures, "vae-32"), tmp_path / "m", stop=stop):
        events.append(ev)
        if ev.kind == "progress":
            stop.set()
            stop.set()  # a second click is harmless
    assert events[-1].kind == "stopped" and events[-1].step <= 10
    assert events[-1].message.startswith(f"Stopped after {events[-1].step} steps;")  # the reason said once
    assert load_model(tmp_path / "m").kind == "vae"


def test_abandoned_generator_still_saves(pictures, tmp_path):
    events = train(TrainConfig(preset="dcgan-32", minutes=5, batch_size=8), dataset_for(pictures, "dcgan-32"),
                   tmp_path / "m")
    for ev in events:
        if ev.kind == "progress":
            break
    events.close()
    assert load_model(tmp_path / "m").meta["training"]["steps"] >= 5


@pytest.mark.parametrize("kwargs", [{"minutes": -1}, {"epochs": 10**9}, {"lr": -1}, {"batch_size": 0},
                                    {"minutes": float("nan")}, {"preset": "nope"}, {"recipe": "fast"}])
def test_bad_settings_are_refused(kwargs):
    with pytest.raises(StudioError):
        TrainConfig(**kwargs)


def test_batch_larger_than_dataset_and_one_image(tmp_path):
    write_discs(tmp_path / "one", n=1)
    data = load_dataset(tmp_path / "one", 32, 3)
    events = run_all(TrainConfig(preset="dcgan-32", minutes=None, max_steps=3, batch_size=64), data, tmp_path / "m")
    assert events[-1].kind in ("finished", "diverged")
    assert load_model(tmp_path / "m").kind == "gan"
