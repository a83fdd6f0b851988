"""Crisp detail for drawn textures: the network lays a texture out, then small pieces of the training
pictures (the model's swatches, storage/swatches.py) replace its soft detail.

This is texture optimisation (Kwatra et al. 2005, "Texture Optimization for Example-based Synthesis")
started from the network's texture instead of noise, so the layout stays the network's:

  search   every patch of the texture (p x p px, one every p / 2 px, wrapping round its edges) finds its
           nearest patch among the swatches' (compared in the swatch patches' main PCA directions)
  follow   where a neighbour's patch, continued by one step in its swatch, is nearly as close to the texture
           as the nearest patch (at most 1 + COHERENCE times as far), the continuation is taken instead
           (coherence: Ashikhmin 2001; Hertzmann et al. 2001's kappa): neighbours then come from one place in
           a swatch and meet without a cut, so a vein, a grain line or a joint runs on as it did in the picture
           instead of being pieced from the nearest match of every half-patch
  join     the patches found are laid where they belong and each pixel is copied from one of them:
           neighbouring patches overlap by half, and meet along the cut through the overlap where they differ
           least (image quilting's minimum-error boundary cut, Efros & Freeman 2001), so a join follows the
           mortar, the gap between stones or the light between two grain lines instead of a straight line
           (an average of the overlapping patches blurs thin lines; a best-match-wins blend kept them sharp
           but drew a mosaic of squares)

once per patch size, large patches first (32 or 64 px pieces carry a brick's joints, a stretch of grain or of
vein whole; the model chose which after training, training/crisp_patch.py), small ones last (they mend the joins
between the large ones).
Patches wrap round the texture's edges, so a texture that tiles still tiles, with period its size.
The search is an inverted file (as faiss's IVF index): the bank's patches are grouped by k-means, and a
texture patch is compared only with the members of its PROBES nearest groups, about 1/20 of a brute-force
search's work; hand-written in torch (a few lines, deterministic) rather than adding faiss for one search.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F
from numpy.lib.stride_tricks import sliding_window_view

from ..models.texture import CRISP_PATCHES  # the first round's patch sides (a model's TextureConfig.crisp_patch)

MENDING_PATCHES = (16, 8)  # px: the rounds after it; patches start every patch / 2 px
# (one round per size: each round drifts towards the plainer patches, the nearest to many; a second round of
# either size paled marble's veins and thinned its net, and brought bricks and cobbles no closer to their pictures)
BANK_STEP = 2  # px between the swatch patches a texture may copy
MAX_BANK = 32768  # swatch patches per size, chosen at random (seeded) when the swatches hold more
PCA_SAMPLE = 8192  # patches the search's PCA directions are taken from, spread evenly over the bank
SEARCH_DIMS = 16  # PCA directions the search compares patches in
PCA_SIDE = 16  # px: larger patches are compared averaged down to this side
GROUPS, PROBES, KMEANS_ROUNDS = 128, 3, 8
GRID_OFFSET = 2  # px; patches start at GRID_OFFSET + k * p / 2 (half the smallest step)
COHERENCE = 1.0  # a neighbour's continuation is taken when at most 1 + COHERENCE times as far as the nearest patch


@dataclass(frozen=True)
class PatchBank:
    """The swatch patches of one size, one every BANK_STEP px: the PCA coordinates of all of them (a coherent
    continuation may start anywhere), and an inverted-file index of the MAX_BANK the search looks through.
    Places are (swatch, row, column) in steps of BANK_STEP px; patches are cut from the swatches when drawn
    (no copy of the patches is kept: 100 MB of 32 px ones)."""
    size: int
    swatches: torch.Tensor  # uint8 (n, 3, s, s)
    coordinates: torch.Tensor  # (n, rows, columns, SEARCH_DIMS): every patch's PCA coordinates
    places: torch.Tensor  # (m, 3): the places of the patches the search looks through, in unfold's order
    basis: torch.Tensor  # (3 p p, SEARCH_DIMS), for pixels in 0..1
    offset: torch.Tensor  # (SEARCH_DIMS,): the PCA sample's mean in PCA coordinates
    centroids: torch.Tensor  # (GROUPS, SEARCH_DIMS): the k-means groups of the coordinates
    members: tuple[torch.Tensor, ...]  # the indices of `places` in each group
    # each group's members as (SEARCH_DIMS + 1, m) columns [coords; |coords|^2 / 2]: a query [q, -1] times
    # them scores q.c - |c|^2 / 2, which is largest for the nearest c, in one matrix product
    scorers: tuple[torch.Tensor, ...]

    def cut(self, places: torch.Tensor) -> torch.Tensor:
        return _cut(self.swatches, self.size, places)

    def coordinates_at(self, places: torch.Tensor) -> torch.Tensor:
        return self.coordinates[places[:, 0], places[:, 1], places[:, 2]]


def _cut(swatches: torch.Tensor, size: int, places: torch.Tensor) -> torch.Tensor:
    """The size x size patches of swatches at places (k, 3) as uint8 rows (k, 3 p p), each laid out as F.unfold's
    (channel, row, column)."""
    # (n, 3, rows, cols, p, p), a view; numpy's fancy indexing copies out of it twice as fast as torch's
    windows = sliding_window_view(swatches.numpy(), (size, size), (2, 3))[:, :, ::BANK_STEP, ::BANK_STEP]
    at = places.numpy()
    return torch.from_numpy(windows[at[:, 0], :, at[:, 1], at[:, 2]].reshape(len(at), -1))


def patch_bank(swatches: torch.Tensor, size: int) -> PatchBank:
    """The bank of size x size patches of uint8 swatches (n, 3, s, s), every BANK_STEP px."""
    rows, cols = ((side - size) // BANK_STEP + 1 for side in swatches.shape[2:])
    every = torch.arange(len(swatches) * rows * cols)
    if len(every) > MAX_BANK:
        every = torch.randperm(len(every), generator=torch.Generator().manual_seed(0))[:MAX_BANK].sort().values
    places = torch.stack([every // (rows * cols), every // cols % rows, every % cols], 1)
    # directions from a sample (as good, a quarter of the covariance's time)
    sample = _cut(swatches, size, places[::max(1, len(places) // PCA_SAMPLE)]).float().div_(255)
    basis = _pca_basis(sample, size)
    offset = sample.mean(0) @ basis
    # every patch's coordinates in one convolution with the directions (no copy of the patches is made)
    kernel = basis.T.reshape(SEARCH_DIMS, 3, size, size)
    maps = torch.cat([F.conv2d(chunk.float().div_(255), kernel, stride=BANK_STEP) for chunk in swatches.split(16)])
    coordinates = maps.permute(0, 2, 3, 1).sub_(offset).contiguous()
    coords = coordinates[places[:, 0], places[:, 1], places[:, 2]]
    centroids, group = _kmeans(coords, min(GROUPS, len(coords)))
    members = tuple((group == g).nonzero()[:, 0] for g in range(len(centroids)))
    scored = torch.cat([coords, (coords * coords).sum(1, keepdim=True) / 2], 1)
    scorers = tuple(scored[m].T.contiguous() for m in members)
    return PatchBank(size, swatches, coordinates, places, basis, offset, centroids, members, scorers)


def _pca_basis(patches: torch.Tensor, size: int) -> torch.Tensor:
    """The patches' (n, 3 p p) main SEARCH_DIMS directions (3 p p, SEARCH_DIMS). Patches larger than PCA_SIDE
    are averaged down to it first and the directions spread back over each averaged block: their main
    directions are smooth anyway, and a full 3072-dimensional covariance of 32 px patches took 10 s."""
    factor = max(1, size // PCA_SIDE)
    small = F.avg_pool2d(patches.view(-1, 3, size, size), factor).flatten(1) if factor > 1 else patches
    centred = (small - small.mean(0)).double()
    _, vectors = torch.linalg.eigh(centred.T @ centred)  # ascending eigenvalues; deterministic
    basis = vectors[:, -SEARCH_DIMS:].flip(1).float()
    if factor > 1:  # a pixel of the small patch stands for factor x factor pixels, each weighing 1 / factor^2
        side = size // factor
        basis = basis.view(3, side, side, -1).repeat_interleave(factor, 1).repeat_interleave(factor, 2)
        basis = basis.reshape(3 * size * size, -1) / factor ** 2
    return basis.contiguous()


def _kmeans(points: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Lloyd's k-means from k evenly spaced points (deterministic): (centroids (k, d), group of each point)."""
    centroids = points[torch.linspace(0, len(points) - 1, k).long()].clone()
    for _ in range(KMEANS_ROUNDS):
        group = torch.cdist(points, centroids).argmin(1)
        sums = torch.zeros_like(centroids).index_add_(0, group, points)
        counts = torch.bincount(group, minlength=k)[:, None]
        centroids = torch.where(counts > 0, sums / counts.clamp(min=1), centroids)
    return centroids, torch.cdist(points, centroids).argmin(1)


@lru_cache(maxsize=16)
def _bank(data: bytes, shape: tuple[int, ...], size: int) -> PatchBank:
    return patch_bank(torch.frombuffer(bytearray(data), dtype=torch.uint8).reshape(shape), size)


def fits(swatches: torch.Tensor, size: int) -> bool:
    """Whether the swatches can give patches of size px. A patch size needs swatches twice its side: then its
    patches start anywhere (every BANK_STEP px) in a swatch's middle, and a query finds one in step with it; a
    few fixed places draw joints out of step."""
    return 2 * size <= swatches.shape[-1]


def banks_for(swatches: torch.Tensor, sizes: Iterable[int]) -> dict[int, PatchBank]:
    """The patch banks of a model's swatches for those of sizes they fit, each built once per swatch set and
    size (the last few are kept)."""
    t = swatches.contiguous()
    data = t.numpy().tobytes()
    return {size: _bank(data, tuple(t.shape), size) for size in sizes if fits(t, size)}


def schedule(first_patch: int, shape: tuple[int, int]) -> tuple[int, ...]:
    """The patch sides of crisp detail's rounds for a texture of shape (H, W): first_patch, or 32 where
    first_patch's step (half its side) does not divide H and W, then the mending sizes."""
    if first_patch not in CRISP_PATCHES:
        raise ValueError(f"the first patch must be one of {CRISP_PATCHES} px, got {first_patch!r}")
    if shape[0] % (first_patch // 2) or shape[1] % (first_patch // 2):
        first_patch = CRISP_PATCHES[0]
    return (first_patch, *MENDING_PATCHES)


def _patches_wrapping(x: torch.Tensor, size: int) -> torch.Tensor:
    """(C, H, W) -> (H W / step^2, C size size): the patches starting every step = size / 2 px, wrapping round,
    one per row in the order of their corners (row by row), each laid out as F.unfold's (channel, row, column)."""
    step = size // 2
    padded = F.pad(x[None], (0, size - step, 0, size - step), mode="circular")[0]
    windows = padded.unfold(1, size, step).unfold(2, size, step)  # (C, rows, cols, size, size), a view
    return windows.permute(1, 2, 0, 3, 4).reshape(-1, len(x) * size * size)


def _join_wrapping(patches: torch.Tensor, shape: tuple[int, int], size: int) -> torch.Tensor:
    """The texture (C, H, W) made of patches (n, C size size) placed as _patches_wrapping took them, each pixel
    copied from one patch: neighbours meet along the cut where they differ least (image quilting's
    minimum-error boundary cut, Efros & Freeman 2001). First each row of patches becomes a strip: in the
    half-patch band a patch shares with its left neighbour, a top-to-bottom cut; then each strip meets the
    one above along a cut across the whole width. Any dtype (crisp joins uint8 patches: a quarter of the
    bytes to move)."""
    h, w = shape
    step = size // 2
    rows, cols = h // step, w // step
    grid = patches.view(rows, cols, -1, size, size)
    channels = grid.shape[2]
    left = grid[..., step:].roll(1, 1)  # in band c (columns c * step ..): the right half of patch c - 1
    right = grid[..., :step]  # and the left half of patch c
    cost = _difference(left, right, 2).permute(2, 0, 1, 3).reshape(size, rows * cols, step)
    from_left = torch.arange(step) < _cheapest_paths(cost).T.reshape(rows, cols, 1, size, 1)
    strips = torch.where(from_left, left, right).permute(0, 2, 3, 1, 4).reshape(rows, channels, size, w)
    upper = strips[:, :, step:].roll(1, 0)  # in band r (rows r * step ..): the lower half of strip r - 1
    lower = strips[:, :, :step]  # and the upper half of strip r
    cost = _difference(upper, lower, 1).permute(2, 0, 1).contiguous()  # along the width, per band, per row
    from_upper = torch.arange(step)[:, None] < _cheapest_paths(cost).T.reshape(rows, 1, 1, w)
    joined = torch.where(from_upper, upper, lower)  # (rows, C, step, w)
    return joined.permute(1, 0, 2, 3).reshape(channels, h, w)


def _difference(a: torch.Tensor, b: torch.Tensor, channel_dim: int) -> torch.Tensor:
    """The squared colour difference of two same-shaped pixel tensors, summed over their channel dimension."""
    return (a.float() - b.float()).square_().sum(channel_dim)


def _cheapest_paths(cost: torch.Tensor) -> torch.Tensor:
    """For a batch of cost grids (L, B, K), the paths of least total cost that take one k at every l and
    move at most one k between neighbouring l: (L, B) integer k's. Dynamic programming along l in numpy:
    a loop of three small array operations, where numpy's overhead per call is a fraction of torch's."""
    grid = cost.numpy()
    length, batch, width = grid.shape
    totals = np.full((length, batch, width + 2), np.inf, np.float32)  # padded with inf: no step off a side
    totals[0, :, 1:-1] = grid[0]
    for i in range(1, length):
        before = totals[i - 1]
        cheaper = np.minimum(before[:, :-2], before[:, 2:])
        np.minimum(cheaper, before[:, 1:-1], out=cheaper)
        np.add(cheaper, grid[i], out=totals[i, :, 1:-1])
    path = np.empty((length, batch), np.int64)
    path[-1] = totals[-1, :, 1:-1].argmin(1)
    # the padded columns k .. k + 2 of a row are the steps to k - 1 .. k + 1, read as one flat take per step
    around = np.arange(batch)[:, None] * (width + 2) + np.arange(3)
    for i in range(length - 1, 0, -1):
        path[i - 1] = path[i] + np.take(totals[i - 1], around + path[i, :, None]).argmin(1) - 1
    return torch.from_numpy(path)


def _smallest(distances: np.ndarray, k: int) -> torch.Tensor:
    """The columns of each row's k smallest distances (n, k), nearest first; distances is overwritten. k passes
    of numpy's vectorised argmin: 4 times as fast as torch.topk for 3 of 64."""
    rows, found = np.arange(len(distances)), []
    for _ in range(k):
        found.append(distances.argmin(1))
        distances[rows, found[-1]] = np.inf
    return torch.from_numpy(np.stack(found, 1))


def _nearest(coords: torch.Tensor, bank: PatchBank) -> torch.Tensor:
    """For each query patch (a row of its PCA coordinates), the place of its nearest patch in the bank among the
    members of its PROBES nearest groups."""
    probes = _smallest(torch.cdist(coords, bank.centroids).numpy(), min(PROBES, len(bank.centroids)))
    n, k = probes.shape
    # each (query, probe) pair is a slot; sorted by group, the slots asking one group sit together
    flat = probes.flatten()
    slots = torch.argsort(flat, stable=True)
    asked = torch.cat([coords, coords.new_full((n, 1), -1.0)], 1)[slots // k]
    best = np.full(n * k, -np.inf, np.float32)  # each slot's best score and bank patch
    found = np.zeros(n * k, np.int64)
    start, counts = 0, torch.bincount(flat, minlength=len(bank.members)).tolist()
    for members, scorer, count in zip(bank.members, bank.scorers, counts):
        if count and len(members):
            scores = (asked[start:start + count] @ scorer).numpy()
            # numpy's argmax is vectorised; torch's max(1) with indices took 5 times as long here, more than the product
            pick = scores.argmax(1)
            taken = slots[start:start + count].numpy()
            best[taken] = scores[np.arange(count), pick]
            found[taken] = members.numpy()[pick]
        start += count
    nearest = best.reshape(n, k).argmax(1)  # of each query's slots, the best
    return bank.places[torch.from_numpy(found.reshape(n, k)[np.arange(n), nearest])]


def _follow_neighbours(places: torch.Tensor, coords: torch.Tensor, bank: PatchBank, rows: int, cols: int
                       ) -> torch.Tensor:
    """The places (rows cols, 3) of a grid of patches found for queries with PCA coordinates coords, each replaced
    by the nearest of its four neighbours' places moved on by one patch step (half a patch) towards it, where
    that is at most 1 + COHERENCE times as far from its query. All cells at once, from the places found, so
    moving the texture by whole steps moves the result with it."""
    step = bank.size // 2 // BANK_STEP
    moves = torch.tensor([[0, 0, step], [0, step, 0], [0, 0, -step], [0, -step, 0]])  # from the left, above, ...
    grid = places.view(rows, cols, 3)
    # each cell's neighbours (wrapping round like the patches), moved on by one step towards it: (4, cells, 3)
    moved = torch.stack([grid.roll(tuple(m[1:].sign().tolist()), (0, 1)).reshape(-1, 3) + m for m in moves])
    inside = ((moved[..., 1:] >= 0) & (moved[..., 1:] < torch.tensor(bank.coordinates.shape[1:3]))).all(2)
    far = (coords - bank.coordinates_at(torch.where(inside[..., None], moved, 0).view(-1, 3)).view(4, len(places), -1))
    far = far.square_().sum(2).masked_fill_(~inside, float("inf"))
    nearest, which = far.min(0)
    follow = nearest <= (1 + COHERENCE) * (coords - bank.coordinates_at(places)).square_().sum(1)
    return torch.where(follow[:, None], moved[which, torch.arange(len(places))], places)


@torch.inference_mode()
def crisp(texture: np.ndarray, swatches: torch.Tensor, first_patch: int = CRISP_PATCHES[0]) -> np.ndarray:
    """The texture (uint8 (H, W, 3), H and W multiples of 8) rebuilt from pieces of the swatches (uint8
    (n, 3, s, s), s >= 16): same layout, the swatches' detail. It tiles with period (H, W) as before.
    first_patch: the first round's patch side (schedule). Patches larger than half the swatches, or whose step
    (half their side) does not divide H and W, are left out."""
    if texture.shape[0] % 8 or texture.shape[1] % 8:
        raise ValueError(f"crisp detail needs a texture whose sides are multiples of 8 px, got {texture.shape[:2]}")
    sizes = schedule(first_patch, texture.shape[:2])
    banks = banks_for(swatches, sizes)
    x = torch.from_numpy(np.ascontiguousarray(texture)).permute(2, 0, 1)
    shape = tuple(x.shape[1:])
    # the patch grid sits GRID_OFFSET px in from the edges: the wrap-around edge then falls inside a band two
    # patches share, like any other column, not where the cuts across the whole width begin and end
    x = torch.roll(x, (GRID_OFFSET, GRID_OFFSET), (1, 2))
    for size in sizes:
        bank = banks.get(size)
        if bank is None or shape[0] % (size // 2) or shape[1] % (size // 2):
            continue  # patches larger than half the swatches, or whose step does not divide the sides
        coords = _patches_wrapping(x, size).float().div_(255) @ bank.basis - bank.offset
        grid = shape[0] * 2 // size, shape[1] * 2 // size  # patches down and across
        places = _follow_neighbours(_nearest(coords, bank), coords, bank, *grid)
        x = _join_wrapping(bank.cut(places), shape, size)
    return torch.roll(x, (-GRID_OFFSET, -GRID_OFFSET), (1, 2)).permute(1, 2, 0).contiguous().numpy()
