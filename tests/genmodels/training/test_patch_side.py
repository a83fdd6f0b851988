"""The patch loss's patch side (recipes.GANRecipeSpec.patch_side): a two-scale texture run takes larger patches
for a picture with no regular repeat (no waves found) and the recipe's own for one with a repeat; one-scale
runs keep 5 px either way."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from genmodels.data.texture_crops import load_texture_dataset
from genmodels.models.presets import get_preset
from genmodels.training import loop
from genmodels.training.config import TrainConfig
from genmodels.training.recipes import LARGE_TEXTURE_RECIPE, TEXTURE_RECIPE


def test_the_recipes_choose_the_side_by_whether_the_picture_repeats():
    assert LARGE_TEXTURE_RECIPE.patch_side(regular=False) == 7
    assert LARGE_TEXTURE_RECIPE.patch_side(regular=True) == 5
    assert TEXTURE_RECIPE.patch_side(regular=False) == TEXTURE_RECIPE.patch_side(regular=True) == 5


def _picture(tmp_path, regular: bool):
    if regular:  # brick-red lines every 16 px on grey: a repeat that stands out at half scale too
        img = np.full((160, 192, 3), 170, np.uint8)
        img[::16] = (180, 60, 40)
    else:  # noise: a flat spectrum, nothing to read as waves
        img = np.random.default_rng(0).integers(0, 256, (160, 192, 3), dtype=np.uint8)
    Image.fromarray(img).save(tmp_path / "picture.png")
    return tmp_path / "picture.png"


@pytest.mark.parametrize(("preset", "regular", "side"), [("texture-large", False, 7), ("texture-large", True, 5),
                                                         ("texture", False, 5)])
def test_a_run_trains_with_the_side_its_picture_calls_for(tmp_path, monkeypatch, preset, regular, side):
    sides, patch_loss = [], loop.patch_loss

    def recorded(*args, size, **kwargs):
        sides.append(size)
        return patch_loss(*args, size=size, **kwargs)

    monkeypatch.setattr(loop, "patch_loss", recorded)
    data = load_texture_dataset(_picture(tmp_path, regular), get_preset(preset).crop_size, crops=16)
    cfg = TrainConfig(preset=preset, minutes=None, max_steps=2, batch_size=4, precision="fp32",
                      preview_every=1000, checkpoint_minutes=0)
    assert list(loop.train(cfg, data, tmp_path / "m"))[-1].kind == "finished"
    assert sides == [side, side]
