"""Batch augmentation on model tensors: float (B, C, H, W) in [-1, 1], C = 1 or 3.

Two kinds, both vectorised over the batch and drawing every random number from an explicit
torch.Generator (never the global RNG):

- augment_batch: classic data augmentation of *real* images (flip, small rotation / zoom / shift,
  mild colour jitter). Stays in [-1, 1].
- diff_augment: DiffAugment, Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient GAN
  Training" (NeurIPS 2020, arXiv:2006.10738). The same random policy is applied to the real and the
  fake batch the discriminator sees, and it is differentiable w.r.t. its input, so the generator's
  gradient flows through it. Follows the authors' reference implementation (DiffAugment_pytorch.py).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

# ITU-R BT.601 luma, the same weights as tensors.rgb_to_channels.
_LUMA = (0.299, 0.587, 0.114)


def _rand(generator: torch.Generator, *shape: int, like: torch.Tensor) -> torch.Tensor:
    """Uniform [0, 1) drawn on the generator's device, then moved to x's device and dtype."""
    r = torch.rand(*shape, generator=generator, device=generator.device)
    return r.to(device=like.device, dtype=like.dtype)


def _randint(generator: torch.Generator, low: int, high: int, n: int, like: torch.Tensor) -> torch.Tensor:
    """Integers in [low, high) of shape (n,), on x's device."""
    r = torch.randint(low, high, (n,), generator=generator, device=generator.device)
    return r.to(like.device)


# ---------------------------------------------------------------------------------------------------
# Classic augmentation of real images
# ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AugmentConfig:
    """Knobs of augment_batch. All zero / False = unchanged images.

    flip: random horizontal mirror (half the images).
    max_rotate_deg: rotation drawn from [-max, max] degrees, 0..45.
    max_scale: zoom factor drawn from [1 - s, 1 + s], 0..0.5 (0.1 = up to 10% in or out).
    max_translate: shift drawn from [-t, t] of the image size on each axis, 0..0.25.
    color_jitter: strength of brightness (+-j of the 0..1 range), contrast and saturation
        (factors in [1 - j, 1 + j]), 0..0.5.
    """
    flip: bool = True
    max_rotate_deg: float = 10.0
    max_scale: float = 0.1
    max_translate: float = 0.05
    color_jitter: float = 0.1

    def __post_init__(self) -> None:
        for knob, hi in (("max_rotate_deg", 45.0), ("max_scale", 0.5), ("max_translate", 0.25),
                         ("color_jitter", 0.5)):
            v = getattr(self, knob)
            if not (0.0 <= v <= hi):  # also refuses NaN
                raise ValueError(f"{knob} must be in [0, {hi}], got {v}")

    def apply(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """augment_batch with these settings."""
        return augment_batch(x, generator, flip=self.flip, max_rotate_deg=self.max_rotate_deg,
                             max_scale=self.max_scale, max_translate=self.max_translate,
                             color_jitter=self.color_jitter)


def augment_batch(x: torch.Tensor, generator: torch.Generator, *, flip: bool = True,
                  max_rotate_deg: float = 10.0, max_scale: float = 0.1, max_translate: float = 0.05,
                  color_jitter: float = 0.1) -> torch.Tensor:
    """Randomly flip, rotate, zoom, shift and colour-jitter each image of x (B, C, H, W) in [-1, 1].

    One random draw per image; the geometry is a single batched affine_grid + grid_sample with
    reflection padding (so no black corners that a generator would learn). Returns a new tensor in
    [-1, 1]; x is not modified. Knob ranges: see AugmentConfig (which also validates them).
    """
    AugmentConfig(flip, max_rotate_deg, max_scale, max_translate, color_jitter)  # validate the knobs
    _check_batch(x)
    b, _, h, w = x.shape
    sign = torch.ones(b, dtype=x.dtype, device=x.device)
    if flip:
        sign = torch.where(_rand(generator, b, like=x) < 0.5, -sign, sign)
    if max_rotate_deg or max_scale or max_translate:
        x = _affine(x, sign, generator, max_rotate_deg, max_scale, max_translate)
    elif flip:
        x = torch.where(sign.view(b, 1, 1, 1) < 0, x.flip(-1), x)  # exact mirror, no resampling
    if color_jitter:
        x = _color_jitter(x, generator, color_jitter)
    return x.clamp(-1.0, 1.0)


def _affine(x: torch.Tensor, sign: torch.Tensor, generator: torch.Generator,
            max_rotate_deg: float, max_scale: float, max_translate: float) -> torch.Tensor:
    b, _, h, w = x.shape
    angle = (_rand(generator, b, like=x) * 2 - 1) * math.radians(max_rotate_deg)
    zoom = 1 + (_rand(generator, b, like=x) * 2 - 1) * max_scale
    shift = (_rand(generator, b, 2, like=x) * 2 - 1) * (2 * max_translate)  # normalised coords span 2
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    # theta maps output to input coordinates in grid_sample's normalised space. Rotation is done in
    # pixel space (D^-1 R D with D = diag(W, H) / 2) so non-square images do not shear; the flip
    # negates the input x coordinate.
    theta = torch.stack([
        torch.stack([cos * sign, -sin * (h / w), shift[:, 0]], dim=1),
        torch.stack([sin * (w / h) * sign, cos, shift[:, 1]], dim=1),
    ], dim=1)  # (B, 2, 3)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)


def _color_jitter(x: torch.Tensor, generator: torch.Generator, strength: float) -> torch.Tensor:
    b = x.shape[0]
    brightness = (_rand(generator, b, 1, 1, 1, like=x) * 2 - 1) * (2 * strength)  # [-1, 1] spans 2
    contrast = 1 + (_rand(generator, b, 1, 1, 1, like=x) * 2 - 1) * strength
    saturation = 1 + (_rand(generator, b, 1, 1, 1, like=x) * 2 - 1) * strength
    x = x + brightness
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    x = (x - mean) * contrast + mean
    if x.shape[1] == 3:  # saturation of a grey image is meaningless
        grey = _luma(x)
        x = (x - grey) * saturation + grey
    return x


def _luma(x: torch.Tensor) -> torch.Tensor:
    weights = torch.tensor(_LUMA, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    return (x * weights).sum(dim=1, keepdim=True)  # (B, 1, H, W)


def _check_batch(x: torch.Tensor) -> None:
    if x.ndim != 4 or x.shape[1] not in (1, 3) or not x.is_floating_point():
        raise ValueError(f"expected a float batch (B, 1 or 3, H, W), got {x.dtype} {tuple(x.shape)}")


# ---------------------------------------------------------------------------------------------------
# DiffAugment (Zhao et al. 2020)
# ---------------------------------------------------------------------------------------------------

DIFF_AUGMENT_POLICIES = ("color", "translation", "cutout")
LOW_DATA_POLICY = "color,translation,cutout"  # the paper's policy for low-data GANs


def diff_augment(x: torch.Tensor, policy: str = LOW_DATA_POLICY,
                 generator: torch.Generator | None = None) -> torch.Tensor:
    """DiffAugment (Zhao et al. 2020): differentiable random augmentation of a batch (B, C, H, W).

    policy: comma-separated, applied in order, "" = identity:
      color        brightness + U(-0.5, 0.5), saturation x U(0, 2) (no-op for C = 1),
                   contrast x U(0.5, 1.5), each per image, on the [-1, 1] values as in the paper;
      translation  shift by up to 1/8 of the size on each axis, whole pixels, zero padding;
      cutout       zero a square of half the size at a random centre (clipped at the borders).
    Apply the same policy to the real and the fake batch every discriminator and generator step.
    Gradients flow to x through every op. Output is not clamped (the paper does not clamp).
    generator: source of randomness. None draws a fresh non-deterministic seed for this call (the
    global RNG is never used); pass one to make a training run reproducible.
    """
    _check_batch(x)
    if generator is None:
        generator = torch.Generator(device="cpu")
        generator.seed()
    for op in (p.strip() for p in policy.split(",")):
        if not op:
            continue
        if op == "color":
            x = _diff_color(x, generator)
        elif op == "translation":
            x = _diff_translation(x, generator)
        elif op == "cutout":
            x = _diff_cutout(x, generator)
        else:
            raise ValueError(f"unknown DiffAugment policy {op!r}; use any of {', '.join(DIFF_AUGMENT_POLICIES)}")
    return x


def _diff_color(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    b = x.shape[0]
    x = x + (_rand(generator, b, 1, 1, 1, like=x) - 0.5)  # brightness
    x_mean = x.mean(dim=1, keepdim=True)  # the channel mean: equals x when C = 1, so a no-op
    x = (x - x_mean) * (_rand(generator, b, 1, 1, 1, like=x) * 2) + x_mean  # saturation
    x_mean = x.mean(dim=(1, 2, 3), keepdim=True)
    x = (x - x_mean) * (_rand(generator, b, 1, 1, 1, like=x) + 0.5) + x_mean  # contrast
    return x


def _diff_translation(x: torch.Tensor, generator: torch.Generator, ratio: float = 0.125) -> torch.Tensor:
    b, c, h, w = x.shape
    sh, sw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    ty = _randint(generator, -sh, sh + 1, b, like=x)  # (B,)
    tx = _randint(generator, -sw, sw + 1, b, like=x)
    # Index arithmetic into a 1-pixel zero border: a source index that falls off the image is clamped
    # onto the border, which reads 0. Two gathers (rows, then columns) keep it differentiable.
    x_pad = F.pad(x, [1, 1, 1, 1])  # (B, C, H + 2, W + 2)
    rows = (torch.arange(h, device=x.device).view(1, h) + ty.view(b, 1) + 1).clamp(0, h + 1)  # (B, H)
    cols = (torch.arange(w, device=x.device).view(1, w) + tx.view(b, 1) + 1).clamp(0, w + 1)  # (B, W)
    x = x_pad.gather(2, rows.view(b, 1, h, 1).expand(b, c, h, w + 2))  # (B, C, H, W + 2)
    return x.gather(3, cols.view(b, 1, 1, w).expand(b, c, h, w))  # (B, C, H, W)


def _diff_cutout(x: torch.Tensor, generator: torch.Generator, ratio: float = 0.5) -> torch.Tensor:
    b, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    cy = _randint(generator, 0, h + (1 - ch % 2), b, like=x).view(b, 1) - ch // 2  # top edge, (B, 1)
    cx = _randint(generator, 0, w + (1 - cw % 2), b, like=x).view(b, 1) - cw // 2
    ys = torch.arange(h, device=x.device).view(1, h)
    xs = torch.arange(w, device=x.device).view(1, w)
    inside_y = (ys >= cy) & (ys < cy + ch)  # (B, H)
    inside_x = (xs >= cx) & (xs < cx + cw)  # (B, W)
    keep = ~(inside_y.unsqueeze(2) & inside_x.unsqueeze(1))  # (B, H, W)
    return x * keep.unsqueeze(1).to(x.dtype)
