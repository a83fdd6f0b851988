"""Training on class folders: the labelled GAN and VAE train, save, load, resume and draw by class."""
from __future__ import annotations

import numpy as np
import pytest

import genmodels
from genmodels.cli import sample as sample_cli
from genmodels.cli import train as train_cli
from genmodels.data.dataset import load_dataset
from genmodels.errors import StudioError
from genmodels.training.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from genmodels.training.class_strengths import CANDIDATES
from genmodels.training.config import TrainConfig
from genmodels.training.loop import train
from tests.train_helpers import assert_resume_is_exact, write_discs

pytestmark = pytest.mark.slow  # trains tiny models for a few steps


@pytest.fixture(scope="module")
def pets(tmp_path_factory):
    root = tmp_path_factory.mktemp("pets")
    write_discs(root / "cats", n=10, seed=1)
    write_discs(root / "dogs", n=10, seed=2)
    return root


def test_a_labelled_gan_trains_saves_and_draws_each_class(pets, tmp_path):
    data = load_dataset(pets, 32, 3)
    cfg = TrainConfig(preset="dcgan-32", recipe="lite", minutes=None, max_steps=4, batch_size=8, preview_every=2)
    events = list(train(cfg, data, tmp_path / "m"))
    assert events[-1].kind == "finished"
    info = genmodels.describe(tmp_path / "m")
    assert info["classes"] == ["cats", "dogs"] and info["latent_dim"] == 102
    assert genmodels.get_model(tmp_path / "m").config.class_scale == 3.0  # 0.3 x the noise's length sqrt(100)
    card = (tmp_path / "m" / "README.md").read_text()
    assert "cats (10), dogs (10)" in card and "## Classes" in card and "any of its 2 classes" in card
    assert "`--class-strength`" in card
    images, z = genmodels.each_class(tmp_path / "m", seed=1)
    assert len(images) == 2 and genmodels.latent_classes(tmp_path / "m", z) == ["cats", "dogs"]
    own = genmodels.get_model(tmp_path / "m").config.class_strengths  # chosen after training, drawn at strength 1
    assert len(own) == 2 and set(own) <= set(CANDIDATES)
    assert np.allclose(z[:, -2:], 0.5 + np.array(own)[:, None] * (np.eye(2) - 0.5))
    _, state = load_checkpoint(tmp_path / "m" / "checkpoint")
    assert state["train_config"]["preset"] == "dcgan-32"


@pytest.mark.parametrize("recipe", ["lite", "classic"])
def test_a_resumed_labelled_run_continues_exactly(pets, tmp_path, recipe):
    data = load_dataset(pets, 32, 3)
    cfg = TrainConfig(preset="dcgan-32", recipe=recipe, minutes=None, max_steps=6, batch_size=8,
                      precision="fp32", preview_every=1000, seed=3)
    assert_resume_is_exact(cfg, data, tmp_path, stop_after=3)


def test_a_run_checkpointed_before_the_class_scale_resumes_at_its_old_scale(pets, tmp_path):
    data = load_dataset(pets, 32, 3)
    cfg = TrainConfig(preset="dcgan-32", recipe="lite", minutes=None, max_steps=3, batch_size=8,
                      preview_every=1000, checkpoint_minutes=0)
    list(train(cfg, data, tmp_path / "m"))
    tensors, meta = load_checkpoint(tmp_path / "m" / "checkpoint")
    assert meta["class_scale"] == 3.0
    del meta["class_scale"]  # as an older release wrote it: its generator read the classes unscaled
    save_checkpoint(tmp_path / "m" / "checkpoint", tensors, meta)
    resumed = TrainConfig(preset="dcgan-32", recipe="lite", minutes=None, max_steps=5, batch_size=8, preview_every=1000)
    assert list(train(resumed, data, tmp_path / "m", resume=True))[-1].kind == "finished"
    assert genmodels.get_model(tmp_path / "m").config.class_scale == 1.0
    assert load_checkpoint(tmp_path / "m" / "checkpoint")[1]["class_scale"] == 1.0
    save_checkpoint(tmp_path / "m" / "checkpoint", tensors, {**meta, "class_scale": "ten"})
    with pytest.raises(CheckpointError, match="class scale"):
        list(train(resumed, data, tmp_path / "m", resume=True))


def test_the_default_recipe_learns_classes_in_two_stages_at_64_px(pets, tmp_path):
    data = load_dataset(pets, 64, 3)
    cfg = TrainConfig(preset="dcgan-64", minutes=None, max_steps=5, batch_size=8, preview_every=1000)
    list(train(cfg, data, tmp_path / "m"))
    model = genmodels.get_model(tmp_path / "m")
    assert model.config.base_size == 32 and model.classes == ("cats", "dogs")
    images, z = genmodels.each_class(tmp_path / "m", seed=1)
    assert [im.shape for im in images] == [(64, 64, 3)] * 2
    assert genmodels.latent_classes(tmp_path / "m", z) == ["cats", "dogs"]


def test_a_labelled_vae_fits_a_prior_per_class(pets, tmp_path):
    data = load_dataset(pets, 32, 3)
    cfg = TrainConfig(preset="vae-32", minutes=None, max_steps=4, batch_size=8, preview_every=1000)
    list(train(cfg, data, tmp_path / "v"))
    model = genmodels.get_model(tmp_path / "v")
    assert model.classes == ("cats", "dogs")
    owners = model.network.prior.component_class
    assert set(owners.tolist()) == {0, 1}
    _, z = genmodels.draw(tmp_path / "v", 8, seed=0, label="dogs")
    assert genmodels.latent_classes(tmp_path / "v", z) == ["dogs"] * 8
    assert genmodels.describe(tmp_path / "v")["class_strength"]  # the class offset of its prior
    assert "--class-strength" in (tmp_path / "v" / "README.md").read_text()
    _, strong = genmodels.draw(tmp_path / "v", 8, seed=0, label="dogs", class_strength=2.0)
    offset = model.network.prior.class_offset(1).float().numpy()
    assert np.allclose(strong - z, offset, atol=1e-5)  # each draw moved once more along dogs' way from the mix
    assert genmodels.latent_classes(tmp_path / "v", strong) == ["dogs"] * 8
    _, any_class = genmodels.draw(tmp_path / "v", 8, seed=0, class_strength=2.0)
    assert np.array_equal(any_class, genmodels.draw(tmp_path / "v", 8, seed=0)[1])  # no class asked: no offset


def test_recipes_without_class_support_say_so(pets, tmp_path):
    data = load_dataset(pets, 32, 3)
    cfg = TrainConfig(preset="dcgan-32", recipe="fastgan", minutes=None, max_steps=2, batch_size=8)
    with pytest.raises(StudioError, match="cannot learn classes"):
        list(train(cfg, data, tmp_path / "f"))


def test_the_command_lines_train_on_class_folders_and_draw_a_class(pets, tmp_path, capsys):
    out = tmp_path / "cli-model"
    assert train_cli.main(["--data", str(pets), "--out", str(out), "--model", "dcgan-32", "--steps", "2",
                           "--batch-size", "8", "--minutes", "1"]) == 0
    assert "2 classes from its sub-folders" in capsys.readouterr().out
    assert sample_cli.main(["--model", str(out), "--list-classes"]) == 0
    assert capsys.readouterr().out.split() == ["cats", "dogs"]
    assert sample_cli.main(["--model", str(out), "--label", "dogs", "--n", "4", "--out", str(tmp_path / "d.png")]) == 0
    assert sample_cli.main(["--model", str(out), "--each-class", "--out", str(tmp_path / "e.png")]) == 0
    assert sample_cli.main(["--model", str(out), "--label", "dogs", "--class-strength", "3", "--n", "4",
                            "--out", str(tmp_path / "strong.png")]) == 0
    assert (tmp_path / "strong.png").read_bytes() != (tmp_path / "d.png").read_bytes()
    with pytest.raises(StudioError, match="leave it out of a blend"):
        sample_cli.main(["--model", str(out), "--blend", "3", "4", "--class-strength", "2", "--out", str(tmp_path / "x.png")])
    assert sample_cli.main(["--model", str(out), "--blend", "3", "3", "--label", "cats", "--label-b", "dogs",
                            "--steps", "4", "--out", str(tmp_path / "b.png")]) == 0
    assert (tmp_path / "e.png").is_file() and (tmp_path / "b.png").is_file()
    with pytest.raises(StudioError, match="has no class"):
        sample_cli.main(["--model", str(out), "--label", "birds", "--out", str(tmp_path / "x.png")])
    flat = tmp_path / "flat-model"
    assert train_cli.main(["--data", str(pets), "--out", str(flat), "--model", "dcgan-32", "--steps", "2",
                           "--batch-size", "8", "--no-labels"]) == 0
    assert genmodels.describe(flat)["classes"] == []
