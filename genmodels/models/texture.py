"""Texture models: a fully convolutional GAN that draws seamless textures of any size from one picture.

Spatial GAN / PSGAN (Jetchev et al. 2016, Bergmann et al. 2017): the generator maps a grid of noise to
a picture `stride` times larger, so a bigger grid draws a bigger texture; it is trained against a patch
discriminator on random crops of the designer's pictures. Each cell of the grid holds
  local noise   (local_dim values, independent per cell): what varies from place to place;
  a global code (global_dim values, the same in every cell): what one texture is, so one seed draws one
                coherent material and two codes can be blended across a canvas (a morph strip).
When drawing (eval mode) every convolution pads circularly and upsampling is a sub-pixel convolution (Shi
et al. 2016: a 3 x 3 convolution at the lower size into 4x the channels, rearranged by PixelShuffle),
so the network commutes with circular shifts of its grid: an output of size S is exactly periodic with period S
(it tiles), and the output for a grid tiled 2 x 2 is the output tiled 2 x 2. While training, the same
convolutions pad with zeros: a training canvas (one crop, 4 x 4 cells) is a window on an endless
texture, and padding it circularly would force every texture to repeat every 64 px, whatever the
picture's own scale (bricks longer than that came out squashed).

TextureGenerator      noise (B, global_dim + local_dim, h, w) -> texture (B, C, h * stride, w * stride)
TextureDiscriminator  crop (B, C, S, S) -> patch logits (B, (S / 16) ** 2): spectral norm, hinge loss
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .gan import init_dcgan_weights

CROP_SIZES = (32, 48, 64, 96, 128)


@dataclass(frozen=True)
class TextureConfig:
    """A texture network. crop_size: the training crops' side in px (a multiple of the stride);
    stages: upsampling stages (stride 2 ** stages px per noise cell); g_width: channels of the last
    generator stage (earlier stages double it, up to g_max); d_width: the discriminator's first stage."""

    crop_size: int = 64
    channels: int = 3
    local_dim: int = 16
    global_dim: int = 32
    stages: int = 4
    g_width: int = 8
    g_max: int = 128
    d_width: int = 32

    def __post_init__(self) -> None:
        if self.crop_size not in CROP_SIZES:
            raise ValueError(f"crop_size must be one of {CROP_SIZES}, got {self.crop_size}")
        if self.channels not in (1, 3):
            raise ValueError(f"channels must be 1 or 3, got {self.channels}")
        if not (2 <= self.stages <= 5 and self.crop_size % 2 ** self.stages == 0):
            raise ValueError(f"stages must be 2..5 and divide the crop size into whole cells, got {self.stages}")
        if not (1 <= self.local_dim <= 256 and 0 <= self.global_dim <= 256):
            raise ValueError("local_dim must be 1..256 and global_dim 0..256")
        if not (4 <= self.g_width <= self.g_max <= 512 and 8 <= self.d_width <= 256):
            raise ValueError("widths must satisfy 4 <= g_width <= g_max <= 512 and 8 <= d_width <= 256")

    @property
    def image_size(self) -> int:
        """The training picture size (a crop): what the trainer's dataset must hold."""
        return self.crop_size

    @property
    def z_dim(self) -> int:
        """Noise values per cell."""
        return self.global_dim + self.local_dim

    @property
    def stride(self) -> int:
        """Pixels per noise cell: texture sizes are multiples of it."""
        return 2 ** self.stages


def _conv(c_in: int, c_out: int, bias: bool = False) -> nn.Conv2d:
    """3 x 3, stride 1, circular padding: keeps the picture periodic."""
    return nn.Conv2d(c_in, c_out, 3, 1, 1, bias=bias, padding_mode="circular")


class _UpConv(nn.Module):
    """x2 upsampling as a sub-pixel convolution: nearest-neighbour upsampling + a 3 x 3 convolution is the
    special case with the four sub-pixels' weights tied, at about half the cost on a CPU (measured at 1024 px:
    0.16 s against 0.28 s) and with four times the weights to learn with."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.conv = _conv(c_in, 4 * c_out)

    @torch.no_grad()
    def icnr_(self) -> None:
        """ICNR (Aitken et al. 2017): the four sub-pixels start with the same weights, so the layer starts
        as nearest-neighbour upsampling + one convolution, free of checkerboard patterns."""
        w = self.conv.weight  # (4 * c_out, c_in, 3, 3); PixelShuffle reads channel c * 4 + phase
        w.copy_(w[::4].repeat_interleave(4, dim=0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.pixel_shuffle(self.conv(x), 2)  # (B, c_in, h, w) -> (B, c_out, 2h, 2w)


class TextureGenerator(nn.Module):
    def __init__(self, cfg: TextureConfig):
        super().__init__()
        self.cfg = cfg
        widths = [min(cfg.g_max, cfg.g_width * 2 ** i) for i in reversed(range(cfg.stages + 1))]  # [128, .., 8]
        layers: list[nn.Module] = [_conv(cfg.z_dim, widths[0]), nn.BatchNorm2d(widths[0]), nn.ReLU(True),
                                   _conv(widths[0], widths[0]), nn.BatchNorm2d(widths[0]), nn.ReLU(True)]
        for c_in, c_out in zip(widths, widths[1:]):  # each stage doubles H and W
            layers += [_UpConv(c_in, c_out), nn.BatchNorm2d(c_out), nn.ReLU(True)]
        # A 3 x 3 to colour at full size: it blends the four sub-pixel phases of the last stage, which would
        # otherwise leave a faint 2 px grid (and make cell borders, the tile's edge among them, stand out).
        layers += [_conv(widths[-1], cfg.channels, bias=True), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.apply(init_dcgan_weights)
        for m in self.modules():
            if isinstance(m, _UpConv):
                m.icnr_()
        self.train()

    def train(self, mode: bool = True) -> TextureGenerator:
        """Training pads with zeros (crops are windows on an endless texture), drawing pads circularly."""
        super().train(mode)
        for m in self.modules():
            if isinstance(m, nn.Conv2d) and m.kernel_size != (1, 1):
                m.padding_mode = "zeros" if mode else "circular"
        return self

    def forward(self, noise: torch.Tensor) -> torch.Tensor:
        return self.net(noise)  # (B, z_dim, h, w) -> (B, C, h * stride, w * stride)


class TextureDiscriminator(nn.Module):
    """Four stride-2 stages (each 4 x 4) then a 3 x 3 head: one logit per 16 x 16 px of the crop, each
    seeing most of a 64 px crop. Zero padding here: the real crops are not periodic."""

    def __init__(self, cfg: TextureConfig):
        super().__init__()
        sn = nn.utils.spectral_norm
        widths = [cfg.d_width * 2 ** i for i in range(4)]  # [32, 64, 128, 256]
        layers: list[nn.Module] = []
        for c_in, c_out in zip([cfg.channels, *widths], widths):
            layers += [sn(nn.Conv2d(c_in, c_out, 4, 2, 1)), nn.LeakyReLU(0.2, True)]
        layers.append(sn(nn.Conv2d(widths[-1], 1, 3, 1, 1)))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).flatten(1)  # (B, (S / 16) ** 2)


def texture_noise(cfg: TextureConfig, generator: torch.Generator, n: int, cells_h: int, cells_w: int
                  ) -> torch.Tensor:
    """Fresh training noise (n, z_dim, cells_h, cells_w): a global code per picture, repeated in every
    cell, beside independent local noise."""
    code = torch.randn(n, cfg.global_dim, 1, 1, generator=generator).expand(-1, -1, cells_h, cells_w)
    local = torch.randn(n, cfg.local_dim, cells_h, cells_w, generator=generator)
    return torch.cat([code, local], 1)


class FeatureStats(nn.Module):
    """Texture statistics from fixed random filters (Ustyuzhaninov et al. 2017: random shallow networks
    describe textures nearly as well as trained ones): at each of `scales` octaves, `filters` random 5 x 5
    filters + ReLU, summarised by their Gram matrix (Gatys et al. 2015). Nothing is learnt or downloaded;
    the filters are a pure function of `seed`."""

    def __init__(self, channels: int, filters: int = 32, scales: int = 3, seed: int = 0):
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        weight = torch.randn(scales, filters, channels, 5, 5, generator=gen)
        weight -= weight.mean(dim=(2, 3, 4), keepdim=True)  # zero-mean filters: respond to structure, not level
        self.register_buffer("weight", weight / weight.flatten(2).norm(dim=2)[..., None, None, None])

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """x (B, C, S, S) -> one Gram matrix (filters, filters) per octave, averaged over the batch."""
        grams = []
        for w in self.weight:
            f = torch.relu(nn.functional.conv2d(x, w)).flatten(2)  # (B, F, H * W)
            grams.append(torch.einsum("bfn,bgn->fg", f, f) / f.shape[0] / f.shape[2])
            x = nn.functional.avg_pool2d(x, 2)
        return grams


def stats_loss(stats: FeatureStats, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """How far the fakes' texture statistics are from the reals': the squared Gram difference per octave,
    relative to the reals' Gram (so each octave counts alike), summed over octaves."""
    with torch.no_grad():
        target = stats(real.float())
    return sum((g - t).square().sum() / t.square().sum() for g, t in zip(stats(fake.float()), target))
