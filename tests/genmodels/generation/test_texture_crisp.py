"""Crisp detail: a drawn texture rebuilt from pieces of the model's swatches keeps its layout, takes the
swatches' sharpness, still tiles, and comes out the same every time."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image, ImageFilter

import postprocess
from genmodels.generation.texture_crisp import crisp


def _bricks(size: int = 128) -> np.ndarray:
    """A sharp periodic wall (period 32 x 16 px): red bricks in a running bond, grey joints, with a little
    grain (a real picture has no two patches exactly alike)."""
    img = np.full((size, size, 3), (160, 160, 150), np.int16)
    for y in range(0, size, 16):
        shift = 16 if (y // 16) % 2 else 0
        for x in range(-32, size, 32):
            x0 = x + shift
            img[y + 2:y + 14, max(0, x0 + 2):max(0, min(size, x0 + 30))] = (170, 60, 40)
    grain = np.random.default_rng(0).integers(-4, 5, (32, 32, 1))  # periodic too, so the wall tiles
    return (img + np.tile(grain, (size // 32, size // 32, 1))).astype(np.uint8)


def _swatches(picture: np.ndarray, side: int = 32) -> torch.Tensor:
    tiles = [picture[y:y + side, x:x + side] for y in range(0, 64, 8) for x in range(0, 64, 8)]
    return torch.from_numpy(np.stack(tiles)).permute(0, 3, 1, 2).contiguous()


def _soft(picture: np.ndarray) -> np.ndarray:
    """The picture blurred (circularly, as a tile): what a soft network draws."""
    big = Image.fromarray(np.tile(picture, (3, 3, 1))).filter(ImageFilter.GaussianBlur(2))
    h, w = picture.shape[:2]
    return np.asarray(big)[h:2 * h, w:2 * w]


def test_a_soft_texture_takes_the_swatches_sharpness_and_keeps_its_layout():
    sharp = _bricks()
    soft = _soft(sharp)
    out = crisp(soft, _swatches(sharp))
    before = np.abs(soft.astype(int) - sharp).mean()
    after = np.abs(out.astype(int) - sharp).mean()
    assert out.shape == sharp.shape and out.dtype == np.uint8
    assert after < before / 3  # the same wall, with sharp edges again
    # its colours are the swatches': almost every pixel is brick red or joint grey, none of the blur's mixes
    near = np.minimum(np.abs(out.astype(int) - (170, 60, 40)).sum(2), np.abs(out.astype(int) - (160, 160, 150)).sum(2))
    assert (near < 16).mean() > 0.9  # (of the blurred input: 0.25)


def test_a_crisp_tile_still_tiles_and_wraps_round():
    sharp = _bricks()
    soft = _soft(sharp)
    swatches = _swatches(sharp)
    out = crisp(soft, swatches)
    assert postprocess.seam_score(out) <= 1.15
    # patches wrap round the edges: moving the texture by whole steps moves the result with it
    moved = crisp(np.roll(soft, (8, 16), (0, 1)), swatches)
    assert np.abs(moved.astype(int) - np.roll(out, (8, 16), (0, 1))).mean() < 0.5


def test_crisp_detail_is_the_same_every_time():
    sharp = _bricks(64)
    noise = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    swatches = _swatches(np.tile(sharp, (2, 2, 1)))
    assert np.array_equal(crisp(noise, swatches), crisp(noise, swatches))


def test_sides_must_be_whole_steps():
    with pytest.raises(ValueError, match="multiples of 8"):
        crisp(np.zeros((60, 64, 3), np.uint8), _swatches(_bricks()))


@pytest.mark.parametrize("keep_at_most", [50, 10**6])
def test_the_patch_bank_holds_the_swatches_patches_in_unfold_order(monkeypatch, keep_at_most):
    """The patches the bank's search looks through, cut out by their places, are the ones the plain recipe (every
    patch unfolded, a seeded random choice of them) would keep, in the same order and layout."""
    from genmodels.generation import texture_crisp

    monkeypatch.setattr(texture_crisp, "MAX_BANK", keep_at_most)
    swatches = torch.randint(0, 256, (3, 3, 24, 24), dtype=torch.uint8, generator=torch.Generator().manual_seed(2))
    every = torch.nn.functional.unfold(swatches.float() / 255, 8, stride=texture_crisp.BANK_STEP)
    every = every.permute(0, 2, 1).reshape(-1, every.shape[1])
    if len(every) > keep_at_most:
        chosen = torch.randperm(len(every), generator=torch.Generator().manual_seed(0))[:keep_at_most]
        every = every[chosen.sort().values]
    bank = texture_crisp.patch_bank(swatches, 8)
    assert torch.equal(bank.cut(bank.places).float() / 255, every)
    # every patch's coordinates, the search's among them, are its pixels in the PCA directions
    every_place = torch.cartesian_prod(*(torch.arange(n) for n in bank.coordinates.shape[:3]))
    direct = bank.cut(every_place).float() / 255 @ bank.basis - bank.offset
    assert torch.allclose(bank.coordinates_at(every_place), direct, atol=1e-4)


def _exact_grid(rows: int, cols: int):
    """A bank of random 8 px patches and a rows x cols grid of places in its first swatch, one patch step (2 map
    cells) apart, as a texture cut out of that swatch would find them, with their coordinates."""
    from genmodels.generation import texture_crisp

    swatches = torch.randint(0, 256, (2, 3, 32, 32), dtype=torch.uint8, generator=torch.Generator().manual_seed(4))
    bank = texture_crisp.patch_bank(swatches, 8)
    i, j = torch.meshgrid(torch.arange(rows), torch.arange(cols), indexing="ij")
    places = torch.stack([torch.zeros_like(i), 2 * i, 2 * j], 2).view(-1, 3)
    return bank, places, bank.coordinates_at(places)


def test_a_patch_takes_its_neighbours_continuation_when_it_is_as_close():
    from genmodels.generation.texture_crisp import _follow_neighbours

    bank, places, coords = _exact_grid(4, 4)
    found = places.clone()
    found[5] = torch.tensor([1, 3, 3])  # a patch elsewhere, nearer its query than the continuation's limit allows
    assert torch.equal(_follow_neighbours(found, coords, bank, 4, 4), places)


def test_a_patch_keeps_its_place_when_every_continuation_is_farther_or_outside_the_swatch():
    from genmodels.generation.texture_crisp import _follow_neighbours

    # the grid spans its swatch: the neighbours across the wrap-around edge continue outside it
    bank, places, coords = _exact_grid(7, 7)
    assert torch.equal(_follow_neighbours(places.clone(), coords, bank, 7, 7), places)
    # patches found far apart (each its query's own): no neighbour continues into an exact match
    scattered = places[torch.randperm(len(places), generator=torch.Generator().manual_seed(0))]
    assert torch.equal(_follow_neighbours(scattered.clone(), bank.coordinates_at(scattered), bank, 7, 7), scattered)


@pytest.mark.parametrize("h, w, size", [(24, 40, 16), (32, 16, 8), (8, 8, 16)])
def test_the_patches_are_the_plain_recipe_and_joined_give_the_texture_back(h, w, size):
    """Patches start every size / 2 px and wrap round, whatever the number of rows and columns (odd counts
    too, where the wrapped last patch overlaps the first); joining a texture's own patches draws it again."""
    from genmodels.generation import texture_crisp

    x = torch.rand(3, h, w, generator=torch.Generator().manual_seed(1))
    step = size // 2
    patches = texture_crisp._patches_wrapping(x, size)
    corners = [(r, c) for r in range(0, h, step) for c in range(0, w, step)]
    assert patches.shape == (len(corners), 3 * size * size)
    for patch, (r, c) in zip(patches, corners):
        ys, xs = (r + torch.arange(size)) % h, (c + torch.arange(size)) % w
        assert torch.equal(patch.view(3, size, size), x[:, ys][:, :, xs])
    assert torch.equal(texture_crisp._join_wrapping(patches, (h, w), size), x)


@pytest.mark.parametrize("size", [8, 16])
def test_neighbouring_patches_meet_where_they_agree(size):
    """Patches that are right in their middle and wrong (noise) in a rim of size / 8 px: every overlap has a
    stretch where both neighbours are right, the joins run through it, and the texture comes back exactly
    (a blend of the overlapping patches would mix the noise in)."""
    from genmodels.generation import texture_crisp

    gen = torch.Generator().manual_seed(4)
    x = torch.randint(0, 256, (3, 48, 64), dtype=torch.uint8, generator=gen)
    patches = texture_crisp._patches_wrapping(x, size).view(-1, 3, size, size).clone()
    rim = torch.ones(size, size, dtype=torch.bool)
    rim[size // 8:-(size // 8), size // 8:-(size // 8)] = False
    noise = torch.randint(0, 256, patches.shape, dtype=torch.uint8, generator=gen)
    patches[:, :, rim] = noise[:, :, rim]
    joined = texture_crisp._join_wrapping(patches.flatten(1), (48, 64), size)
    assert joined.dtype == torch.uint8 and torch.equal(joined, x)


def test_the_cheapest_paths_are_the_cheapest_of_all_paths():
    """The dynamic programme against every path of a few small cost grids, moving at most one step at a time."""
    import itertools

    from genmodels.generation.texture_crisp import _cheapest_paths

    cost = torch.rand(5, 3, 4, generator=torch.Generator().manual_seed(5))  # (L, B, K)
    paths = _cheapest_paths(cost)
    assert paths.shape == (5, 3)
    for b in range(3):
        best = min(sum(cost[i, b, k] for i, k in enumerate(path))
                   for path in itertools.product(range(4), repeat=5)
                   if all(abs(p - q) <= 1 for p, q in zip(path, path[1:])))
        taken = paths[:, b].tolist()
        assert all(abs(p - q) <= 1 for p, q in zip(taken, taken[1:]))
        assert sum(cost[i, b, k] for i, k in enumerate(taken)) == pytest.approx(float(best))


def test_a_patch_size_is_used_only_with_swatches_twice_its_side():
    from genmodels.generation.texture_crisp import banks_for

    gen = torch.Generator().manual_seed(3)
    for side, sizes in ((16, {8}), (32, {8, 16}), (64, {8, 16, 32}), (128, {8, 16, 32, 64})):
        swatches = torch.randint(0, 256, (4, 3, side, side), dtype=torch.uint8, generator=gen)
        assert set(banks_for(swatches, (64, 32, 16, 8))) == sizes
    texture = np.random.default_rng(0).integers(0, 256, (40, 48, 3), dtype=np.uint8)  # sides not whole 16 px steps
    assert crisp(texture, swatches).shape == texture.shape  # the 32 px patches sit that one out


def test_the_first_round_takes_64_px_patches_where_they_fit_the_sides_else_32():
    from genmodels.generation.texture_crisp import schedule

    assert schedule(32, (256, 256)) == (32, 16, 8)
    assert schedule(64, (256, 512)) == (64, 16, 8)
    assert schedule(64, (256, 272)) == (32, 16, 8)  # 272 is no whole number of 32 px steps
    with pytest.raises(ValueError, match="first patch"):
        schedule(48, (256, 256))


def test_64_px_patches_sharpen_a_soft_texture_which_still_tiles():
    sharp = _bricks(256)
    soft = _soft(sharp)
    swatches = _swatches(sharp, 128)
    out = crisp(soft, swatches, first_patch=64)
    # the wall where it was to within 2 px (a 64 px patch is searched for averaged down to 4 px blocks; its grain,
    # 4 levels either way, may come from another brick), in the swatches' colours
    errors = {(dy, dx): np.abs(out.astype(int) - np.roll(sharp, (dy, dx), (0, 1))).sum(2)
              for dy in range(-2, 3) for dx in range(-2, 3)}
    placed = min(errors.values(), key=np.mean)
    assert placed.mean() / 3 < 4 < np.abs(soft.astype(int) - sharp).mean() / 3
    near = np.minimum(np.abs(out.astype(int) - (170, 60, 40)).sum(2), np.abs(out.astype(int) - (160, 160, 150)).sum(2))
    assert (near < 16).mean() > 0.9
    # and it is that (seamless) wall across the wrap-around edges as well as inside: no seam
    edges = np.concatenate([placed[[0, -1]].ravel(), placed[:, [0, -1]].ravel()])
    assert edges.mean() / 3 < 4
    assert not np.array_equal(out, crisp(soft, swatches))  # a round of other pieces than the 32 px default's
    moved = crisp(np.roll(soft, (32, 64), (0, 1)), swatches, first_patch=64)  # whole steps of every round
    assert np.abs(moved.astype(int) - np.roll(out, (32, 64), (0, 1))).mean() < 0.5
