"""Drawing from labelled models: classes per seed, blends between classes, paths, variations,
directions and picture search keep to the contracts (genmodels/generation, explore, api)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import genmodels
from genmodels.errors import StudioError
from genmodels.generation import keyframes, sampling
from genmodels.models.gan import GANConfig, Generator
from genmodels.storage.store import load_model, save_model

CLASSES = ("cats", "dogs", "fish")
CFG = GANConfig(image_size=32, z_dim=16, g_width=8, d_width=8, classes=CLASSES)


@pytest.fixture
def labelled(tmp_path):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return save_model(tmp_path / "pets", Generator(CFG).eval(), CFG, {"name": "pets"})


def test_a_seed_and_a_label_always_draw_the_same_picture(labelled):
    a = genmodels.generate(labelled, 4, seed=3, label="dogs")
    b = genmodels.generate(labelled, 4, seed=3, label="dogs")
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    alone = genmodels.generate(labelled, 1, seed=5, label="dogs")[0]
    assert np.array_equal(alone, a[2])  # image k of seed s is the same alone or in a batch
    cats = genmodels.generate(labelled, 4, seed=3, label="cats")
    assert not np.array_equal(cats[0], a[0])


def test_the_same_seed_keeps_its_noise_across_classes(labelled):
    _, z = genmodels.each_class(labelled, seed=7)
    assert z.shape == (3, 16 + 3)
    assert np.array_equal(z[0, :16], z[2, :16]) and np.array_equal(z[:, 16:], np.eye(3))
    assert genmodels.latent_classes(labelled, z) == list(CLASSES)


def test_a_class_draws_at_the_model_s_own_strength_for_it(labelled, tmp_path):
    own = GANConfig(**{**CFG.__dict__, "class_strengths": (2.0, 1.0, 1.5)})
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        folder = save_model(tmp_path / "own", Generator(own).eval(), own, {"name": "own"})
    even, eye = 1 / 3, np.eye(3)
    _, z = genmodels.each_class(folder, seed=7)
    assert np.allclose(z[:, 16:], even + np.array([[2.0], [1.0], [1.5]]) * (eye - even))
    _, stronger = genmodels.each_class(folder, seed=7, class_strength=1.8)  # at least 1.8, or the class's own
    assert np.allclose(stronger[:, 16:], even + np.array([[2.0], [1.8], [1.8]]) * (eye - even))
    _, plain = genmodels.each_class(labelled, seed=7)  # the same weights without own strengths: one-hot
    assert np.array_equal(z[:, :16], plain[:, :16]) and np.array_equal(plain[:, 16:], eye)
    assert genmodels.latent_classes(folder, z) == list(CLASSES)
    assert np.array_equal(genmodels.generate(folder, 1, seed=7, label="dogs")[0],
                          genmodels.generate(labelled, 1, seed=7, label="dogs")[0])  # dogs' own strength is 1
    assert not np.array_equal(genmodels.generate(folder, 1, seed=7, label="cats")[0],
                              genmodels.generate(labelled, 1, seed=7, label="cats")[0])
    card = (folder / "README.md").read_text()
    assert "cats 2, dogs 1, fish 1.5" in card


def test_no_label_means_a_class_chosen_by_the_seed(labelled):
    _, z = genmodels.draw(labelled, 64, seed=0)
    picked = genmodels.latent_classes(labelled, z)
    assert set(picked) == set(CLASSES)  # every class turns up
    _, again = genmodels.draw(labelled, 64, seed=0)
    assert np.array_equal(z, again)


def test_a_class_strength_pushes_the_class_weights_past_the_one_hot(labelled):
    _, z = genmodels.each_class(labelled, seed=7, class_strength=2.0)
    _, plain = genmodels.each_class(labelled, seed=7)
    assert np.array_equal(z[:, :16], plain[:, :16])  # the noise is the seed's, whatever the strength
    assert np.allclose(z[:, 16:], 1 / 3 + 2 * (np.eye(3) - 1 / 3))  # twice as far from the even mix
    assert genmodels.latent_classes(labelled, z) == list(CLASSES)
    strong = genmodels.generate(labelled, 2, seed=3, label="dogs", class_strength=2.0)
    assert not np.array_equal(strong[0], genmodels.generate(labelled, 1, seed=3, label="dogs")[0])
    assert np.array_equal(strong[1], genmodels.generate(labelled, 1, seed=4, label="dogs", class_strength=2.0)[0])
    assert genmodels.describe(labelled)["class_strength"]


def test_a_class_strength_is_refused_out_of_range_or_without_class_weights(labelled, gan_folder):
    for bad in (0.5, 3.5, float("nan")):
        with pytest.raises(StudioError, match="Class strength"):
            genmodels.generate(labelled, 1, label="dogs", class_strength=bad)
    with pytest.raises(StudioError, match="no classes to strengthen"):
        genmodels.generate(gan_folder, 1, class_strength=2.0)
    assert genmodels.generate(gan_folder, 1, class_strength=1.0)  # 1 is "as trained" for every model
    assert not genmodels.describe(gan_folder)["class_strength"]


def test_labels_are_refused_in_a_sentence(labelled, gan_folder):
    with pytest.raises(StudioError, match="has no class 'birds'"):
        genmodels.generate(labelled, 1, label="birds")
    with pytest.raises(StudioError, match="not trained with classes"):
        genmodels.generate(gan_folder, 1, label="cats")
    with pytest.raises(StudioError, match="not trained with classes"):
        genmodels.each_class(gan_folder)
    assert genmodels.describe(gan_folder)["classes"] == []


def test_a_blend_from_one_class_to_another_keeps_the_seed_and_moves_the_class(labelled):
    frames = genmodels.blend_seeds(labelled, 4, 4, steps=5, label_a="cats", label_b="fish")
    assert np.array_equal(frames[0], genmodels.generate(labelled, 1, 4, label="cats")[0])
    assert np.array_equal(frames[-1], genmodels.generate(labelled, 1, 4, label="fish")[0])
    a, b = genmodels.seed_latent(labelled, 4, label="cats"), genmodels.seed_latent(labelled, 9, label="fish")
    path = genmodels.blend_latents(labelled, a, b, steps=5)
    weights = path[:, 16:]
    assert np.allclose(weights.sum(1), 1.0, atol=1e-6)  # the class weights stay a mix of classes
    assert np.allclose(weights[2], [0.5, 0, 0.5], atol=1e-6)


def test_a_keyframe_path_blends_class_weights_linearly_and_passes_every_keyframe(labelled):
    model = load_model(labelled)
    keys = torch.from_numpy(np.stack([genmodels.seed_latent(labelled, s, label=c)
                                      for s, c in [(1, "cats"), (2, "dogs"), (3, "fish")]]))
    z = keyframes.path_latents(keys, 12, "smooth", model.class_tail)
    assert torch.equal(z[0], keys[0]) and torch.equal(z[4], keys[1]) and torch.equal(z[8], keys[2])
    assert torch.allclose(z[:, 16:].sum(1), torch.ones(12))
    assert len(genmodels.render_path(labelled, keys.numpy(), seconds=1, fps=4)) == 4


def test_variations_and_directions_stay_in_the_class(labelled):
    z = genmodels.seed_latent(labelled, 2, label="dogs")
    _, varied = genmodels.vary_latent(labelled, z, n=4, strength=1.0)
    assert genmodels.latent_classes(labelled, varied) == ["dogs"] * 4
    assert not np.array_equal(varied[0, :16], z[:16])
    found = genmodels.find_directions(labelled)
    d = found["directions"]
    assert d.shape[1] == 19 and np.all(d[:, 16:] == 0)  # sliders never touch the class weights


def test_finding_a_picture_in_a_labelled_gan_returns_a_latent_of_one_class(labelled):
    target = genmodels.generate(labelled, 1, seed=11, label="fish")[0]
    _, latent, quality = genmodels.find_in_model(labelled, target, 0)
    assert latent.shape == (19,)
    assert sorted(latent[16:].tolist()) == [0.0, 0.0, 1.0]  # one class, exactly
    assert 0 <= quality["score"] <= 100


def test_row_labels_checks_indices():
    model = type("M", (), {"classes": CLASSES, "class_tail": 3})()
    assert sampling.row_labels(model, [0, 1], 2) == [2, 2]
    with pytest.raises(ValueError):
        sampling.row_labels(model, [0, 1], [0])
    with pytest.raises(ValueError):
        sampling.row_labels(model, [0], 5)


def test_a_labelled_model_keeps_its_classes_through_the_hub_class(labelled, tmp_path):
    from genmodels import LatentStudioModel

    model = LatentStudioModel.from_pretrained(str(labelled))
    assert model.classes == list(CLASSES)
    model.save_pretrained(tmp_path / "copy")
    copy = LatentStudioModel.from_pretrained(str(tmp_path / "copy"))
    assert np.array_equal(copy.generate(2, seed=1, label="fish")[1], genmodels.generate(labelled, 2, 1, label="fish")[1])
