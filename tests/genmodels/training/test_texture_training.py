"""Training a texture model: a few steps export a model folder that draws tiles; resume is exact; the
command lines train it and draw tiles and morph strips from it."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

import genmodels
from genmodels.data.texture_crops import load_texture_dataset
from genmodels.training.config import TrainConfig
from genmodels.training.loop import train
from tests.train_helpers import assert_resume_is_exact


@pytest.fixture
def picture(tmp_path):
    """A small strictly regular picture: red bars with grey lines between them, 16 px apart."""
    img = np.full((96, 160, 3), 170, np.uint8)
    for y in range(0, 96, 16):
        img[y + 2:y + 14] = (180, 60, 40)
    Image.fromarray(img).save(tmp_path / "bars.png")
    return tmp_path / "bars.png"


def _cfg(**kw) -> TrainConfig:
    return TrainConfig(**{"preset": "texture", "minutes": None, "max_steps": 4, "batch_size": 4, "precision": "fp32",
                          "preview_every": 2, **kw})


def test_a_few_steps_export_a_texture_model(picture, tmp_path):
    data = load_texture_dataset(picture, crops=32)
    events = list(train(_cfg(max_steps=5, preview_every=5), data, tmp_path / "out"))
    assert events[0].kind == "started" and "texture GAN" in events[0].message
    previews = [e.preview for e in events if e.kind == "preview"]
    assert previews and previews[0].shape == (2 + 2 * 258, 2 + 2 * 258, 3)  # 4 textures at 256 px (the size step)
    assert events[-1].kind == "finished"
    assert {"d", "g"} <= set(next(e for e in events if e.kind == "progress").losses)
    m = genmodels.load_model(tmp_path / "out")
    assert m.kind == "texture" and m.meta["training"]["recipe"] == "texture"
    assert "random 64 x 64 px crops" in m.meta["dataset"]["summary"]
    # the waves come from the pictures: bars 16 px apart repeat 4 times per 64 px crop (16 per 256 px period),
    # with a harmonic at 8 (32); horizontal bars, so no cycles along x
    assert m.network.waves.tolist() == [[0.0, 16.0], [0.0, 32.0], [0.0, 0.0], [0.0, 0.0]]
    tile = genmodels.draw_texture(tmp_path / "out", 0, 256)
    assert tile.shape == (256, 256, 3)
    assert not genmodels.load_model(tmp_path / "out").network.training  # drawn in eval mode: circular padding


def test_a_texture_model_keeps_swatches_and_draws_crisp_detail_from_them(picture, tmp_path):
    data = load_texture_dataset(picture, crops=32)
    list(train(_cfg(max_steps=2), data, tmp_path / "out"))
    m = genmodels.load_model(tmp_path / "out")
    assert torch.equal(m.swatches, data.images)  # a small bank is kept whole
    assert "## Swatches" in (tmp_path / "out" / "README.md").read_text()
    plain = genmodels.draw_texture(m, 0, 256, crisp=False)
    crisp = genmodels.draw_texture(m, 0, 256, crisp=True)
    assert crisp.shape == plain.shape and not np.array_equal(crisp, plain)
    assert np.array_equal(crisp, genmodels.draw_texture(m, 0, 256))  # crisp by default when it keeps swatches
    assert genmodels.has_swatches(m)
    m.swatches = None  # a model trained before swatches, or shared without them
    assert not genmodels.has_swatches(m)
    assert np.array_equal(genmodels.draw_texture(m, 0, 256), plain)  # the default falls back to the network
    with pytest.raises(genmodels.StudioError, match="keeps no swatches"):
        genmodels.draw_texture(m, 0, 256, crisp=True)
    with pytest.raises(genmodels.StudioError, match="True, False or None"):
        genmodels.draw_texture(m, 0, 256, crisp="yes")


@pytest.mark.slow
def test_a_resumed_texture_run_continues_exactly(picture, tmp_path):
    assert_resume_is_exact(_cfg(max_steps=6, seed=3), load_texture_dataset(picture, crops=32), tmp_path, stop_after=3)


def test_the_facade_reports_texture_fidelity(picture, tmp_path):
    data = load_texture_dataset(picture, crops=64)
    list(train(_cfg(max_steps=2), data, tmp_path / "out"))
    text, crops = genmodels.texture_views(data)
    assert "random 64 x 64 px crops" in text and crops.ndim == 3
    assert "Texture fidelity" in genmodels.texture_quality(tmp_path / "out", data, n=32)


@pytest.mark.slow
def test_the_command_lines_train_and_draw_textures(picture, tmp_path):
    def run(module, *args):
        r = subprocess.run([sys.executable, "-m", module, *map(str, args)], capture_output=True, text=True)
        return r

    r = run("genmodels.train", "--model", "texture", "--data", picture, "--out", tmp_path / "tex", "--steps", 3,
            "--batch-size", 4)
    assert r.returncode == 0, r.stderr
    r = run("genmodels.sample", "--model", tmp_path / "tex", "--size", 1024, "--seed", 0, "--out", tmp_path / "t.png")
    assert r.returncode == 0 and "crisp detail" in r.stdout, r.stderr  # the model keeps swatches: crisp by default
    assert Image.open(tmp_path / "t.png").size == (1024, 1024)
    r = run("genmodels.sample", "--model", tmp_path / "tex", "--size", 256, "--no-crisp", "--out", tmp_path / "n.png")
    assert r.returncode == 0 and "crisp detail" not in r.stdout, r.stderr
    assert np.array_equal(np.asarray(Image.open(tmp_path / "n.png")),
                          genmodels.draw_texture(tmp_path / "tex", 0, 256, crisp=False))
    r = run("genmodels.sample", "--model", tmp_path / "tex", "--morph", 0, 1, "--size", 1024, "--out", tmp_path / "m.png")
    assert r.returncode == 0 and "crisp detail" in r.stdout, r.stderr  # strips are crisp by default too
    assert Image.open(tmp_path / "m.png").size == (1024, 256)
    r = run("genmodels.sample", "--model", tmp_path / "tex", "--morph", 0, 1, "--size", 512, "--no-crisp",
            "--out", tmp_path / "mn.png")
    assert r.returncode == 0 and "crisp detail" not in r.stdout, r.stderr
    assert np.array_equal(np.asarray(Image.open(tmp_path / "mn.png")),
                          genmodels.morph_texture(tmp_path / "tex", 0, 1, 512, crisp=False))
    for args in (["--size", 1000], ["--size", 4096], ["--blend", 0, 1]):
        r = run("genmodels.sample", "--model", tmp_path / "tex", *args, "--out", tmp_path / "x.png")
        assert r.returncode != 0 and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
