"""The detail stage of a two-stage VAE or GAN: a small network that turns the first stage's picture at its
base size (32 px) into the full-size picture (64 px), trained adversarially.

Why two stages: on a few minutes of CPU a VAE with a fitted prior (vae_prior.py) places colours and
shapes like the pictures do, but blurs them; a GAN at full size places shapes poorly because each of its
steps costs four times one at half size. Here the first stage learns the layout at the base size, where
it is cheap, and the detail network learns only what an upsampler needs: edges and texture conditioned
on that layout, which an adversarial loss learns in minutes because every fake has a real partner
(pix2pix, Isola et al. 2017; the cascade of Ho et al. 2021 and Saharia et al. 2022 applies the same
split to diffusion models).

DetailUpsampler  base picture (B, C, b, b) in [-1, 1] -> (B, C, S, S) in [-1, 1]:
                 the bilinear upsampling plus a residual from 3x3 convolutions (two residual blocks at
                 the base size, then nearest-neighbour x2 + conv per octave); circular=True pads and
                 upsamples around the picture's edges (a texture's: models/texture_detail.py), so a
                 periodic base gives a periodic picture of any size
DetailCritic     a spectral-norm patch discriminator on the full-size picture beside the bilinear
                 upsampling of its base picture (6 channels for RGB): it judges whether the detail fits
                 the layout, per 8 x 8 patch
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .circular import CircularConv2d

L1_WEIGHT = 10.0  # the per-pixel L1 to the real picture, against the adversarial term's 1


def upsample(x: torch.Tensor, size: int) -> torch.Tensor:
    return F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)


def wrapped_upsample(x: torch.Tensor, factor: int) -> torch.Tensor:
    """Bilinear x factor of a periodic picture: its far edge is the near edge's neighbour, so the result
    is periodic too (plain bilinear repeats the edge pixels instead)."""
    x = F.interpolate(F.pad(x, (1, 1, 1, 1), mode="circular"), scale_factor=factor, mode="bilinear",
                      align_corners=False)
    return x[..., factor:-factor, factor:-factor]


def _conv(c_in: int, c_out: int, padding_mode: str = "zeros") -> nn.Conv2d:
    if padding_mode == "circular":
        return CircularConv2d(c_in, c_out, 3, 1, 1)
    return nn.Conv2d(c_in, c_out, 3, 1, 1, padding_mode=padding_mode)


class _Residual(nn.Module):
    def __init__(self, channels: int, padding_mode: str = "zeros"):
        super().__init__()
        self.a, self.b = _conv(channels, channels, padding_mode), _conv(channels, channels, padding_mode)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.b(F.leaky_relu(self.a(x), 0.2))


class DetailUpsampler(nn.Module):
    """start_as_upsampling: the last convolution starts at zero, so the network begins as plain bilinear
    upsampling (a two-stage GAN shows its first stage's pictures through it before it trains).
    circular: pad around the edges and enlarge pictures of any size by image_size / base_size (textures);
    otherwise the output is image_size px. margin: how many base px from its edge a circular network's
    output depends on wrapped-around pixels, so its training compares only the pictures' insides."""

    def __init__(self, base_size: int, image_size: int, channels: int, width: int, start_as_upsampling: bool = False,
                 circular: bool = False):
        super().__init__()
        self.image_size, self.factor, self.circular = image_size, image_size // base_size, circular
        pad = "circular" if circular else "zeros"
        layers: list[nn.Module] = [_conv(channels, width, pad), nn.LeakyReLU(0.2, True), _Residual(width, pad),
                                   _Residual(width, pad)]
        c, octaves = width, int(math.log2(self.factor))
        for _ in range(octaves):
            layers += [nn.Upsample(scale_factor=2, mode="nearest"), _conv(c, c // 2, pad), nn.LeakyReLU(0.2, True),
                       _conv(c // 2, c // 2, pad), nn.LeakyReLU(0.2, True)]
            c //= 2
        layers.append(_conv(c, channels, pad))
        # five 3 x 3 convolutions at the base size, two at each octave (px of that octave), one at the end
        reach = 5 + sum(2 / 2 ** k for k in range(1, octaves + 1)) + 1 / self.factor
        self.margin = math.ceil(reach) if circular else 0
        if start_as_upsampling:
            nn.init.zeros_(layers[-1].weight)
            nn.init.zeros_(layers[-1].bias)
        self.net = nn.Sequential(*layers)

    def forward(self, base: torch.Tensor) -> torch.Tensor:
        smooth = wrapped_upsample(base, self.factor) if self.circular else upsample(base, self.image_size)
        return (smooth + self.net(base)).clamp(-1, 1)


class DetailCritic(nn.Module):
    def __init__(self, channels: int, width: int = 32):
        super().__init__()
        sn = nn.utils.spectral_norm
        self.net = nn.Sequential(
            sn(nn.Conv2d(2 * channels, width, 4, 2, 1)), nn.LeakyReLU(0.2, True),
            sn(nn.Conv2d(width, 2 * width, 4, 2, 1)), nn.LeakyReLU(0.2, True),
            sn(nn.Conv2d(2 * width, 4 * width, 4, 2, 1)), nn.LeakyReLU(0.2, True),
            sn(nn.Conv2d(4 * width, 1, 3, 1, 1)))  # (B, 1, S/8, S/8) patch logits

    def forward(self, image: torch.Tensor, base: torch.Tensor) -> torch.Tensor:
        """image (B, C, S, S) beside its base picture (B, C, b, b) -> patch logits (B, S/8 * S/8)."""
        return self.net(torch.cat([image, upsample(base, image.shape[-1])], 1)).flatten(1)
