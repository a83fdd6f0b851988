"""Two-scale texture models: the texture generator draws the layout at half scale, a detail network doubles it.

Why: a crop can only teach what fits in it. A brick is about 75 px long in a 256 px picture, so a 64 px
crop never holds two joints of one course, and a generator trained on such crops drew a maze of mortar
crosses instead of a running bond. Averaged down by 2, a crop of twice the side holds the bond, and
costs what a 64 px crop costs. The detail network (models/detail.py, circular: any size, still periodic)
then learns from real pairs (the crop averaged down -> the crop) what the half scale lost; measured, it
sharpens edges but draws no grit (README "Large patterns"). It is the two-stage GAN's split (models/gan.py TwoStageGenerator) applied to a texture:
the loop trains the generator first, on averaged-down crops, then the detail network.

TwoScaleTexture  noise (B, z_dim, h, w) -> texture (B, C, h * stride, w * stride), stride = 2 x the
                 generator's; .base is a TextureGenerator for cfg.base_config(), .detail the upsampler;
                 .layout(noise) the same size without the detail network (for crisp detail)
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .detail import DetailUpsampler, wrapped_upsample
from .texture import TextureConfig, TextureGenerator

# At half scale a brick wall's courses stand 14 times above their ring of the spectrum (texture_waves.py; the
# fabric's twill 260 times): far below the one-scale bar, but as waves they keep the courses in step, and with
# the bond inside a crop the generator then lays a running bond (without them: ladders of short joints and
# overlong bricks). The sample marble and cobbles still get none at this bar (README "Patterns").
HALF_SCALE_PROMINENCE = 12.0


class TwoScaleTexture(nn.Module):
    def __init__(self, cfg: TextureConfig):
        super().__init__()
        if not cfg.detail_width:
            raise ValueError("a two-scale texture model needs detail_width > 0")
        self.cfg = cfg
        self.base = TextureGenerator(cfg.base_config())
        # starts as plain upsampling: previews show the generator's textures before the detail network trains
        self.detail = DetailUpsampler(cfg.base_size, cfg.crop_size, cfg.channels, cfg.detail_width,
                                      start_as_upsampling=True, circular=True)

    @torch.no_grad()
    def fit_waves(self, crops: torch.Tensor) -> None:
        """Read the generator's waves from the training crops (uint8 (N, C, S, S)) averaged down to its scale."""
        if self.cfg.waves:
            half = F.avg_pool2d(crops.float(), 2).round().to(torch.uint8)
            self.base.fit_waves(half, HALF_SCALE_PROMINENCE)

    def forward(self, noise: torch.Tensor) -> torch.Tensor:
        return self.detail(self.base(noise))

    def layout(self, noise: torch.Tensor) -> torch.Tensor:
        """The generator's half-scale texture enlarged by wrapped bilinear upsampling, without the detail
        network: what crisp detail (generation/texture_crisp.py) starts from, since it redraws the detail from
        the swatches anyway, and at a quarter of the cost."""
        return wrapped_upsample(self.base(noise), self.detail.factor).clamp(-1, 1)
