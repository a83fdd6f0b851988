"""Which DiffAugment operations a recipe's discriminator sees: the GAN recipes keep the paper's low-data
policy; texture models leave colour alone (a texture's light and colour are what it learns)."""
from __future__ import annotations

import torch

from genmodels.imaging.augment import LOW_DATA_POLICY
from genmodels.training.recipes import GAN_RECIPES, TEXTURE_RECIPE
from genmodels.training.steps import GANRecipe, _augment


def test_texture_models_are_not_colour_augmented_and_gans_are():
    assert "color" not in TEXTURE_RECIPE.augment_policy and "translation" in TEXTURE_RECIPE.augment_policy
    assert all(spec.augment_policy == LOW_DATA_POLICY for spec in GAN_RECIPES.values())
    assert "color" in LOW_DATA_POLICY


def test_a_step_applies_its_recipes_policy():
    colour = torch.tensor([0.6, -0.2, 0.1]).view(1, 3, 1, 1)
    batch = colour.expand(8, 3, 32, 32).clone()
    texture = GANRecipe(loss="hinge", diff_augment=True, precision="fp32", device=torch.device("cpu"),
                        augment_policy=TEXTURE_RECIPE.augment_policy)
    out = _augment(batch, torch.Generator().manual_seed(0), texture)
    kept = (out == colour).all(1)
    blanked = (out == 0).all(1)  # translation's padding and cutout's square
    assert bool((kept | blanked).all()) and blanked.any() and kept.any()
    gan = GANRecipe(loss="hinge", diff_augment=True, precision="fp32", device=torch.device("cpu"))
    out = _augment(batch, torch.Generator().manual_seed(0), gan)
    assert not bool(((out == colour).all(1) | (out == 0).all(1)).all())  # colour jitter changed the colour
