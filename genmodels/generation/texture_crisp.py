"""Crisp detail for drawn textures: the network lays a texture out, then small pieces of the training
pictures (the model's swatches, storage/swatches.py) replace its soft detail.

This is texture optimisation (Kwatra et al. 2005, "Texture Optimization for Example-based Synthesis")
started from the network's texture instead of noise, so the layout stays the network's:

  search   every patch of the texture (p x p px, one every `step` px, wrapping round its edges) finds its
           nearest patch among the swatches' (compared in the swatch patches' main PCA directions)
  blend    each pixel becomes the average of the nearest patches that cover it, weighted by a Gaussian
           window and by how well each patch matched: |error|^-8, far steeper than Kwatra's robust
           |error|^-1.2, so where patches disagree the best match all but wins and thin lines (wood's
           grain, marble's veins) stay sharp instead of averaging into a blur

repeated `rounds` times per patch size, large patches first (they settle shapes), small ones last.
Patches wrap round the texture's edges, so a texture that tiles still tiles, with period its size.
The search is an inverted file (as faiss's IVF index): the bank's patches are grouped by k-means, and a
texture patch is compared only with the members of its PROBES nearest groups, about 1/20 of a brute-force
search's work; hand-written in torch (a few lines, deterministic) rather than adding faiss for one search.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F

SCHEDULE = ((16, 8, 2), (8, 4, 2))  # (patch px, step px, rounds)
BANK_STEP = 2  # px between the swatch patches a texture may copy
MAX_BANK = 16384  # swatch patches per size, chosen at random (seeded) when the swatches hold more
SEARCH_DIMS = 16  # PCA directions the search compares patches in
GROUPS, PROBES, KMEANS_ROUNDS = 64, 3, 8
SHARPNESS = 4.0  # a patch's weight: its squared match error to the power -SHARPNESS
GRID_OFFSET = 2  # px; patches start at GRID_OFFSET + k * step (half the smallest step)


@dataclass(frozen=True)
class PatchBank:
    """The swatch patches of one size: raw, as the columns of (3 p p, n) in 0..1, and their PCA coordinates
    for the search."""
    size: int
    columns: torch.Tensor
    basis: torch.Tensor  # (3 p p, SEARCH_DIMS)
    offset: torch.Tensor  # (SEARCH_DIMS,): the patches' mean in PCA coordinates
    centroids: torch.Tensor  # (GROUPS, SEARCH_DIMS): the k-means groups of the coordinates
    members: tuple[torch.Tensor, ...]  # the bank indices in each group
    # each group's members as (SEARCH_DIMS + 1, m) columns [coords; |coords|^2 / 2]: a query [q, -1] times
    # them scores q.c - |c|^2 / 2, which is largest for the nearest c, in one matrix product
    scorers: tuple[torch.Tensor, ...]


def patch_bank(swatches: torch.Tensor, size: int) -> PatchBank:
    """The bank of size x size patches of uint8 swatches (n, 3, s, s), every BANK_STEP px."""
    pixels = swatches.float() / 255
    # every patch as a view (n, rows, cols, 3, p, p); only the ones kept are copied out
    windows = pixels.unfold(2, size, BANK_STEP).unfold(3, size, BANK_STEP).permute(0, 2, 3, 1, 4, 5)
    n, rows, cols = windows.shape[:3]
    if n * rows * cols > MAX_BANK:
        keep = torch.randperm(n * rows * cols, generator=torch.Generator().manual_seed(0))[:MAX_BANK].sort().values
        patches = windows[keep // (rows * cols), keep // cols % rows, keep % cols]
    else:
        patches = windows
    patches = patches.reshape(-1, 3 * size * size)  # F.unfold's order: channel, row, column
    mean = patches.mean(0)
    centred = (patches - mean).double()
    _, vectors = torch.linalg.eigh(centred.T @ centred)  # ascending eigenvalues; deterministic
    basis = vectors[:, -SEARCH_DIMS:].flip(1).float().contiguous()
    coords = (patches - mean) @ basis
    centroids, group = _kmeans(coords, min(GROUPS, len(coords)))
    members = tuple((group == g).nonzero()[:, 0] for g in range(len(centroids)))
    scored = torch.cat([coords, (coords * coords).sum(1, keepdim=True) / 2], 1)
    scorers = tuple(scored[m].T.contiguous() for m in members)
    return PatchBank(size, patches.T.contiguous(), basis, mean @ basis, centroids, members, scorers)


def _kmeans(points: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Lloyd's k-means from k evenly spaced points (deterministic): (centroids (k, d), group of each point)."""
    centroids = points[torch.linspace(0, len(points) - 1, k).long()].clone()
    for _ in range(KMEANS_ROUNDS):
        group = torch.cdist(points, centroids).argmin(1)
        sums = torch.zeros_like(centroids).index_add_(0, group, points)
        counts = torch.bincount(group, minlength=k)[:, None]
        centroids = torch.where(counts > 0, sums / counts.clamp(min=1), centroids)
    return centroids, torch.cdist(points, centroids).argmin(1)


@lru_cache(maxsize=4)
def _banks(swatches: tuple[bytes, tuple[int, ...]]) -> tuple[PatchBank, ...]:
    data, shape = swatches
    tensor = torch.frombuffer(bytearray(data), dtype=torch.uint8).reshape(shape)
    return tuple(patch_bank(tensor, size) for size in sorted({p for p, _, _ in SCHEDULE}))


def banks_for(swatches: torch.Tensor) -> dict[int, PatchBank]:
    """The patch banks of a model's swatches, built once per swatch set (the last few are kept)."""
    t = swatches.contiguous()
    return {bank.size: bank for bank in _banks((t.numpy().tobytes(), tuple(t.shape)))}


def _unfold_wrapping(x: torch.Tensor, size: int, step: int) -> torch.Tensor:
    """(1, C, H, W) -> (C size size, H W / step^2): the patches starting every step px, wrapping round, as
    columns (the layout F.fold takes back, so no patch is ever transposed)."""
    padded = F.pad(x, (0, size - 1, 0, size - 1), mode="circular")[0]
    windows = padded.unfold(1, size, step).unfold(2, size, step)  # (C, rows, cols, size, size), a view
    # one strided copy into F.unfold's layout: twice as fast as F.unfold itself on one picture
    return windows.permute(0, 3, 4, 1, 2).reshape(len(padded) * size * size, -1)


def _fold_wrapping(stacked: torch.Tensor, weights: torch.Tensor, shape: tuple[int, int], size: int,
                   step: int) -> torch.Tensor:
    """The weighted average of overlapping patches placed as _unfold_wrapping took them. stacked:
    ((C + 1) size size, n), the patches' colours in its first C size size rows (the last size size rows
    are free: they take the weights, so that one fold sums both); weights (n,)."""
    h, w = shape
    ramp = torch.arange(size, dtype=torch.float32) - (size - 1) / 2
    window = torch.exp(-0.5 * (ramp / (size / 2.5)) ** 2)
    area = size * size
    channels = len(stacked) // area - 1
    torch.mul((window[:, None] * window[None]).flatten()[:, None], weights[None], out=stacked[channels * area:])
    stacked[:channels * area].view(channels, area, -1).mul_(stacked[channels * area:])
    sums = F.fold(stacked[None], (h + size - 1, w + size - 1), size, stride=step)
    sums[:, :, :size - 1] += sums[:, :, h:]  # what spilled past an edge belongs at the opposite one
    sums = sums[:, :, :h]
    sums[:, :, :, :size - 1] += sums[:, :, :, w:]
    sums = sums[:, :, :, :w]
    return sums[:, :channels] / sums[:, channels:]


def _smallest(distances: np.ndarray, k: int) -> torch.Tensor:
    """The columns of each row's k smallest distances (n, k), nearest first; distances is overwritten. k passes
    of numpy's vectorised argmin: 4 times as fast as torch.topk for 3 of 64."""
    rows, found = np.arange(len(distances)), []
    for _ in range(k):
        found.append(distances.argmin(1))
        distances[rows, found[-1]] = np.inf
    return torch.from_numpy(np.stack(found, 1))


def _nearest(queries: torch.Tensor, bank: PatchBank) -> torch.Tensor:
    """For each query patch (a column of queries), the index of its nearest bank patch among the members
    of its PROBES nearest groups (in the bank's PCA coordinates)."""
    coords = (bank.basis.T @ queries).T - bank.offset
    probes = _smallest(torch.cdist(coords, bank.centroids).numpy(), min(PROBES, len(bank.centroids)))
    asked = torch.cat([coords, coords.new_full((len(coords), 1), -1.0)], 1)
    best = torch.full((len(coords),), -torch.inf)
    found = torch.zeros(len(coords), dtype=torch.long)
    flat = probes.flatten()  # each query's groups, sorted by group: the queries asking each group, in order
    askers = (torch.argsort(flat, stable=True) // probes.shape[1]).split(
        torch.bincount(flat, minlength=len(bank.members)).tolist())
    for g, (members, asking) in enumerate(zip(bank.members, askers)):
        if len(asking) == 0 or len(members) == 0:
            continue
        scores = (asked[asking] @ bank.scorers[g]).numpy()
        # numpy's argmax is vectorised; torch's max(1) with indices took 5 times as long here, more than the product
        pick = scores.argmax(1)
        score = torch.from_numpy(np.take_along_axis(scores, pick[:, None], 1)[:, 0])
        pick = torch.from_numpy(pick)
        better = score > best[asking]
        best[asking[better]] = score[better]
        found[asking[better]] = members[pick[better]]
    return found


@torch.inference_mode()
def crisp(texture: np.ndarray, swatches: torch.Tensor) -> np.ndarray:
    """The texture (uint8 (H, W, 3), H and W multiples of 8) rebuilt from pieces of the swatches (uint8
    (n, 3, s, s), s >= 16): same layout, the swatches' detail. It tiles with period (H, W) as before."""
    if texture.shape[0] % 8 or texture.shape[1] % 8:
        raise ValueError(f"crisp detail needs a texture whose sides are multiples of 8 px, got {texture.shape[:2]}")
    banks = banks_for(swatches)
    x = torch.from_numpy(np.ascontiguousarray(texture)).permute(2, 0, 1)[None].float() / 255
    shape = tuple(x.shape[2:])
    # the patch grid sits GRID_OFFSET px in from the edges: the wrap-around edge then falls where the same
    # patches cover both sides (smooth), not on a line where the covering patches change (a visible seam)
    x = torch.roll(x, (GRID_OFFSET, GRID_OFFSET), (2, 3))
    for size, step, rounds in SCHEDULE:
        bank = banks[size]
        for _ in range(rounds):
            queries = _unfold_wrapping(x, size, step)
            stacked = queries.new_empty(len(queries) + size * size, queries.shape[1])
            chosen = torch.index_select(bank.columns, 1, _nearest(queries, bank), out=stacked[:len(queries)])
            error = queries.sub_(chosen).square_().sum(0)  # the queries are not needed after this
            x = _fold_wrapping(stacked, (error + 1e-3).pow(-SHARPNESS), shape, size, step)
    x = torch.roll(x, (-GRID_OFFSET, -GRID_OFFSET), (2, 3))
    return (x[0].permute(1, 2, 0).clamp(0, 1) * 255).round().to(torch.uint8).numpy()
