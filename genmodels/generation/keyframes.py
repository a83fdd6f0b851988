"""Keyframe paths: a looping, smooth walk through 2..8 latents, rendered as frames for a GIF or MP4.

The loop visits keyframe 0, 1, ..., K-1 and closes back to keyframe 0. Frames are shared out over
the K segments as evenly as possible (the first segments get one more when they do not divide), and
every segment starts *exactly* on its keyframe, so each keyframe is a frame of the animation whatever
the length. Two motions:

  "smooth"  a closed uniform Catmull-Rom spline (Catmull & Rom 1974) through the keyframes: the
            velocity is continuous at every keyframe, so the walk glides through them. A plain
            spline cuts inside the Gaussian shell between far-apart latents (the same washed-out
            middle that lerp gives, White 2016), so each point is rescaled to the spline of the
            keyframes' norms: ||z(u)|| = CR(||P0||, ||P1||, ||P2||, ||P3||)(u).
  "ease"    slerp between consecutive keyframes with a smoothstep ease (3u^2 - 2u^3): the walk
            slows into each keyframe and rests on it for a moment.

Everything is deterministic (no randomness at all); frames are decoded in batches.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch

from ..storage.store import LoadedModel
from . import sampling

MOTIONS = ("smooth", "ease")
MIN_KEYFRAMES, MAX_KEYFRAMES = 2, 8
MAX_FRAMES = 600  # 20 s at 30 fps; a GIF beyond that is tens of MB at 256 px
BATCH = 64  # frames per forward pass (bench/path_speed.py: batch 8 and 64 run alike on one CPU thread)


def frame_count(seconds: float, fps: float) -> int:
    """Frames in a path of `seconds` at `fps`: round(seconds * fps)."""
    return int(round(float(seconds) * float(fps)))


def segment_lengths(n_frames: int, n_keys: int) -> list[int]:
    """Frames per segment (keyframe k -> k+1): as equal as possible, summing to n_frames."""
    base, extra = divmod(n_frames, n_keys)
    return [base + (1 if k < extra else 0) for k in range(n_keys)]


def _catmull_rom(p0: torch.Tensor, p1: torch.Tensor, p2: torch.Tensor, p3: torch.Tensor,
                 u: torch.Tensor) -> torch.Tensor:
    """Uniform Catmull-Rom between p1 (u=0) and p2 (u=1); p* (..., D) or scalars, u (T, 1) -> (T, D)."""
    u2, u3 = u * u, u * u * u
    return 0.5 * (2 * p1 + (p2 - p0) * u + (2 * p0 - 5 * p1 + 4 * p2 - p3) * u2
                  + (3 * p1 - p0 - 3 * p2 + p3) * u3)


def _smooth_segment(keys: torch.Tensor, k: int, u: torch.Tensor) -> torch.Tensor:
    n = keys.shape[0]
    p = [keys[(k + d) % n] for d in (-1, 0, 1, 2)]  # the closed loop wraps around
    z = _catmull_rom(*p, u.view(-1, 1))  # (T, D)
    norms = _catmull_rom(*[q.norm() for q in p], u.view(-1, 1))  # (T, 1) target radius
    length = z.norm(dim=1, keepdim=True)
    scale = torch.where(length > 1e-6, norms.clamp_min(0) / length.clamp_min(1e-6), torch.ones_like(length))
    return z * scale


def _ease_segment(keys: torch.Tensor, k: int, u: torch.Tensor) -> torch.Tensor:
    eased = u * u * (3 - 2 * u)  # smoothstep: zero velocity at both keyframes
    return sampling.slerp(keys[k], keys[(k + 1) % keys.shape[0]], eased)


def _linear_path(keys: torch.Tensor, n_frames: int) -> torch.Tensor:
    """keys (K, D) -> (n_frames, D): an eased straight blend from each key to the next, the loop closed."""
    parts = []
    for k, length in enumerate(segment_lengths(n_frames, keys.shape[0])):
        u = torch.arange(length, dtype=torch.float32) / length
        parts.append(sampling.lerp(keys[k], keys[(k + 1) % keys.shape[0]], u * u * (3 - 2 * u)))
    return torch.cat(parts)


def path_latents(keys: torch.Tensor, n_frames: int, motion: str = "smooth", tail: int = 0) -> torch.Tensor:
    """The closed path's latents: keys (K, D) -> (n_frames, D); frame sum(lengths[:k]) == keys[k].
    tail: class weights at the end of each key (a labelled GAN's): they move from key to key along a
    linear, eased blend, so they always sum to 1, while the noise takes the chosen motion."""
    if keys.ndim != 2 or not MIN_KEYFRAMES <= keys.shape[0] <= MAX_KEYFRAMES:
        raise ValueError(f"a path needs {MIN_KEYFRAMES} to {MAX_KEYFRAMES} keyframes, got shape {tuple(keys.shape)}")
    if not torch.isfinite(keys).all():
        raise ValueError("keyframe latents must be finite")
    if motion not in MOTIONS:
        raise ValueError(f"motion must be one of {MOTIONS}, got {motion!r}")
    if not keys.shape[0] <= n_frames <= MAX_FRAMES:
        raise ValueError(f"a path of {keys.shape[0]} keyframes needs {keys.shape[0]} to {MAX_FRAMES} frames, "
                         f"got {n_frames}")
    keys = keys.float()
    if tail:
        noise = path_latents(keys[:, :-tail], n_frames, motion)
        return torch.cat([noise, _linear_path(keys[:, -tail:], n_frames)], dim=1)
    segment = _smooth_segment if motion == "smooth" else _ease_segment
    parts = []
    for k, length in enumerate(segment_lengths(n_frames, keys.shape[0])):
        u = torch.arange(length, dtype=torch.float32) / length  # [0, 1): the next keyframe starts the next segment
        part = segment(keys, k, u)
        part[0] = keys[k]  # exactly on the keyframe, whatever the float rounding
        parts.append(part)
    return torch.cat(parts)  # (n_frames, D)


def render_path(model: LoadedModel, latents: np.ndarray | torch.Tensor | Sequence[np.ndarray],
                seconds: float, fps: float, motion: str = "smooth", batch: int = BATCH,
                on_progress: Callable[[int, int], None] | None = None) -> list[np.ndarray]:
    """Frames of a looping path through the keyframe latents (K, z_dim), K = 2..8.

    seconds * fps frames (rounded; at least K, at most 600); the last frame leads back into the
    first, so the frames loop seamlessly. motion: "smooth" (spline) or "ease" (slerp, ease in/out).
    batch: frames per forward pass. on_progress(done, total) is called after every batch.
    Returns uint8 (H, W, 3) arrays. Raises ValueError on bad input (the facade words it for users).
    """
    keys = torch.as_tensor(np.asarray(latents, dtype=np.float32))
    if keys.ndim != 2 or keys.shape[1] != model.latent_dim:
        raise ValueError(f"keyframe latents must be (K, {model.latent_dim}), got {tuple(keys.shape)}")
    if not (0 < float(seconds) < float("inf") and 0 < float(fps) < float("inf")):
        raise ValueError("seconds and fps must be positive numbers")
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise ValueError(f"batch must be a positive whole number, got {batch!r}")
    z = path_latents(keys, frame_count(seconds, fps), motion, model.class_tail)
    frames: list[np.ndarray] = []
    for chunk in z.split(batch):  # (<=batch, z_dim)
        frames += sampling.decode(model, chunk)
        if on_progress is not None:
            on_progress(len(frames), z.shape[0])
    return frames


__all__ = ["MOTIONS", "MIN_KEYFRAMES", "MAX_KEYFRAMES", "MAX_FRAMES", "frame_count", "segment_lengths",
           "path_latents", "render_path"]
