"""Originality check: for each generated image, the training image it is closest to and how alike
they are, flagging near copies (designers must not ship copies of someone's work). Pixels only: no
download, no network, nothing learned.

How alike two images are (similarity, 0..1):
  both go onto a 64 x 64 grid (area-shrunk or bilinear-grown); the generated one is moved by up to
  4 px each way (1/16 of the width: a copy a few pixels off is still a copy) and compared at 32 x 32:
      similarity = (pearson + ssim) / 2, clipped to 0..1
  pearson  correlation of the two RGB pixel vectors (a cosine after removing the mean): blind to
           overall brightness and contrast, so a brightened copy still scores ~1;
  ssim     mean structural similarity (Wang et al. 2004: Gaussian window 11 x 11, sigma 1.5,
           C1 = 0.01^2, C2 = 0.03^2 on 0..1, per channel, valid region): local structure, so two
           different smileys that correlate well overall are told apart by their eyes and mouths.
  The shift used is the one with the best Pearson. Only the CANDIDATES training images whose blurred
  32 x 32 thumbnails correlate best with the generated one's are aligned (one matrix multiply over
  the whole training set finds them), and only the best SSIM_CANDIDATES of those by Pearson get the
  SSIM term, so thousands of training images cost little.

NEAR_COPY_THRESHOLD = 0.90, calibrated on the 1,432 Noto Emoji images (scripts/calibrate_originality.py,
400 queries): a training image's own slight variants (moved 2-4 px, brightness or contrast changed by
10-20 %, noise, blur, JPEG q70, a combination) score a median 0.97-1.00; at 0.90 at least 96.5 % of
each kind are flagged (JPEG q70 is the hardest; the others 98-100 %). Two different training images
score a median 0.54 for an image and its most similar *other* training image (the hardest case),
and 4 % of those pairs reach 0.90: they are near-identical emoji themselves (the clock faces, two
horned faces, squares or diamonds differing only in colour). The 95th percentile of that case is
0.887, so 0.90 flags fewer than 1 in 20 of the closest distinct pairs. Not caught: mirror images,
rotations or rescaling beyond a few percent, changes of hue, copies of a part of an image.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ..imaging.ssim import filter_matrix, gaussian_kernel, ssim

NEAR_COPY_THRESHOLD = 0.90
GRID = 64  # both images are aligned on this grid ...
COMPARE = 32  # ... and compared at this size
MAX_SHIFT = 4  # px on the 64 grid, each way
CANDIDATES = 10  # training images aligned per generated image (best blurred-thumbnail correlation)
SSIM_CANDIDATES = 3  # of those, the ones (best aligned Pearson) that also get the SSIM term
_CHUNK = 64  # generated images per batch: 64 x 81 shifts x 3072 floats = 64 MB
TrainingImages = torch.Tensor | np.ndarray | Sequence[np.ndarray]


_RETRIEVAL_FILTER = filter_matrix(gaussian_kernel(1.0, 5), COMPARE, pad=True)  # (32, 32)


def _unit(x: torch.Tensor) -> torch.Tensor:
    """Images (..., C, H, W) -> mean-removed unit vectors (..., C*H*W): dot products are Pearson correlations."""
    v = x.flatten(-3)
    v = v - v.mean(dim=-1, keepdim=True)
    return v / v.norm(dim=-1, keepdim=True).clamp_min(1e-6)


def _as_batch(images: TrainingImages) -> torch.Tensor:
    """uint8 (N, C, H, W) tensor, (N, H, W, 3) array or list of (H, W, 3) -> uint8 (N, C, H, W), C = 1 or 3."""
    if isinstance(images, torch.Tensor):
        x = images
    else:
        batch = np.stack(list(images)) if not isinstance(images, np.ndarray) else images
        if batch.ndim != 4 or batch.shape[-1] != 3:
            raise ValueError(f"expected images shaped (N, H, W, 3), got {batch.shape}")
        x = torch.from_numpy(np.ascontiguousarray(batch)).permute(0, 3, 1, 2)
    if x.dtype != torch.uint8 or x.ndim != 4 or x.shape[1] not in (1, 3) or len(x) == 0:
        raise ValueError(f"expected uint8 images (N, 1 or 3, H, W), got {x.dtype} {tuple(x.shape)}")
    return x


def _to_grid(x: torch.Tensor) -> torch.Tensor:
    """uint8 (N, C, H, W) -> float (N, 3, 64, 64) in 0..1: area-shrunk or bilinear-grown, grey as grey RGB."""
    x = x.float().div(255).expand(-1, 3, -1, -1)
    if x.shape[-2:] == (GRID, GRID):
        return x.contiguous()
    mode = "area" if min(x.shape[-2:]) > GRID else "bilinear"
    return F.interpolate(x, size=(GRID, GRID), mode=mode, **({"align_corners": False} if mode == "bilinear" else {}))


def _thumbs(grid: torch.Tensor) -> torch.Tensor:
    """(N, 3, 64, 64) -> (N, 3, 32, 32) by 2 x 2 averaging."""
    return F.avg_pool2d(grid, 2)


def _shift_matrices() -> torch.Tensor:
    """(9 * 32, 64): for each shift d in -4..4, the 32 x 64 matrix that moves a 64 px line by d
    (edges repeated) and averages pixel pairs, so P @ image @ P.T is every shifted thumbnail at once."""
    p = torch.zeros(2 * MAX_SHIFT + 1, COMPARE, GRID)
    for a, d in enumerate(range(-MAX_SHIFT, MAX_SHIFT + 1)):
        for i in range(COMPARE):
            for src in (2 * i + d, 2 * i + 1 + d):
                p[a, i, min(max(src, 0), GRID - 1)] += 0.5
    return p.reshape(-1, GRID)


_SHIFTS = _shift_matrices()
N_SHIFTS = (2 * MAX_SHIFT + 1) ** 2


def _shifted_thumbs(grid: torch.Tensor) -> torch.Tensor:
    """(N, 3, 64, 64) -> (N, 81, 3 * 32 * 32): the 32 px thumbnail of the image moved by every (dy, dx)
    in -4..4 px on the 64 grid, edges repeated."""
    n, s = grid.shape[0], 2 * MAX_SHIFT + 1
    moved = _SHIFTS @ grid @ _SHIFTS.T  # (N, 3, 9 * 32, 9 * 32): rows dy-major, columns dx-major
    moved = moved.view(n, 3, s, COMPARE, s, COMPARE).permute(0, 2, 4, 1, 3, 5)  # (N, dy, dx, 3, 32, 32)
    return moved.reshape(n, N_SHIFTS, -1)


class OriginalityIndex:
    """The training images, prepared once for many queries (37 KB per image: 5,000 take 185 MB).

    training_images: uint8 (N, C, H, W) tensor (Dataset.images, C = 1 or 3), uint8 (N, H, W, 3) array,
    or a list of uint8 (H, W, 3) arrays; any size (all are compared on a 64 x 64 grid).
    """

    def __init__(self, training_images: TrainingImages):
        with torch.no_grad():
            batch = _as_batch(training_images)
            thumbs = torch.cat([_thumbs(_to_grid(chunk)) for chunk in batch.split(512)])  # (N, 3, 32, 32)
            self.thumbs = thumbs
            self.unit_thumbs = _unit(thumbs)  # (N, 3072): for the exact score
            self.features = _unit(_RETRIEVAL_FILTER @ thumbs @ _RETRIEVAL_FILTER.T)  # (N, 3072): for retrieval

    def __len__(self) -> int:
        return self.thumbs.shape[0]

    def query(self, generated: TrainingImages, top_k: int = 1, threshold: float = NEAR_COPY_THRESHOLD
              ) -> list[dict]:
        """For each generated image: {"index": nearest training image, "similarity": 0..1,
        "near_copy": similarity >= threshold}, plus "neighbours": [{"index", "similarity"}, ...] (best
        first) when top_k > 1. JSON-ready."""
        if not 1 <= top_k <= len(self):
            raise ValueError(f"top_k must be 1..{len(self)}, got {top_k}")
        results: list[dict] = []
        with torch.no_grad():
            for chunk in _as_batch(generated).split(_CHUNK):
                results += self._query_chunk(_to_grid(chunk), top_k, threshold)
        return results

    def _query_chunk(self, grid: torch.Tensor, top_k: int, threshold: float) -> list[dict]:
        n, k = grid.shape[0], min(len(self), max(CANDIDATES, top_k))
        thumbs = _thumbs(grid)
        feats = _unit(_RETRIEVAL_FILTER @ thumbs @ _RETRIEVAL_FILTER.T)  # (n, 3072)
        cand = (feats @ self.features.T).topk(k, dim=1).indices  # (n, k)
        shifted = _shifted_thumbs(grid)  # (n, 81, 3072), not mean-removed
        # Pearson for every shift and candidate: the candidates are mean-removed unit vectors, so a dot
        # product with the raw shifted thumbnail, over its centred norm, is the correlation.
        dots = torch.bmm(shifted, self.unit_thumbs[cand].transpose(1, 2))  # (n, 81, k)
        d = shifted.shape[-1]
        centred_sq = shifted.pow(2).sum(-1) - shifted.sum(-1).pow(2) / d  # (n, 81): |x - mean|^2
        pearson, best_shift = (dots / centred_sq.clamp_min(1e-12).sqrt().unsqueeze(-1)).max(dim=1)  # (n, k)
        # SSIM (the costly part) for the few best by Pearson only: the others would rarely come first.
        j = min(k, max(SSIM_CANDIDATES, top_k))
        pearson, keep = pearson.topk(j, dim=1)  # (n, j)
        cand, best_shift = cand.gather(1, keep), best_shift.gather(1, keep)
        aligned = shifted[torch.arange(n)[:, None], best_shift].view(n * j, 3, COMPARE, COMPARE)
        structural = ssim(aligned, self.thumbs[cand].flatten(0, 1)).view(n, j)
        score = ((pearson + structural) / 2).clamp(0.0, 1.0)
        order = score.argsort(dim=1, descending=True)[:, :top_k]  # (n, top_k)
        best_idx, best_score = cand.gather(1, order).tolist(), score.gather(1, order).tolist()
        out = []
        for idx, sims in zip(best_idx, best_score):
            best = round(float(sims[0]), 4)  # flag what is reported, so summaries agree at the boundary
            item = {"index": int(idx[0]), "similarity": best, "near_copy": best >= threshold}
            if top_k > 1:
                item["neighbours"] = [{"index": int(i), "similarity": round(float(s), 4)} for i, s in zip(idx, sims)]
            out.append(item)
        return out


def nearest_training_images(generated: TrainingImages, training_images: TrainingImages | OriginalityIndex,
                            top_k: int = 1, threshold: float = NEAR_COPY_THRESHOLD) -> list[dict]:
    """For each generated uint8 (H, W, 3) image: its nearest training image {"index", "similarity" 0..1,
    "near_copy"} (see OriginalityIndex.query). Pass an OriginalityIndex to reuse one across calls."""
    index = training_images if isinstance(training_images, OriginalityIndex) else OriginalityIndex(training_images)
    return index.query(generated, top_k, threshold)


def originality_summary(results: Sequence[dict], threshold: float = NEAR_COPY_THRESHOLD) -> dict:
    """A batch of query results -> {"images", "near_copies", "near_copy_rate" (0..1), "threshold",
    "max_similarity", "median_similarity", "flagged": positions of the near copies in the batch}."""
    sims = [r["similarity"] for r in results]
    flagged = [i for i, s in enumerate(sims) if s >= threshold]
    return {"images": len(sims), "near_copies": len(flagged),
            "near_copy_rate": round(len(flagged) / len(sims), 4) if sims else 0.0,
            "threshold": threshold, "max_similarity": round(max(sims), 4) if sims else None,
            "median_similarity": round(float(np.median(sims)), 4) if sims else None, "flagged": flagged}
