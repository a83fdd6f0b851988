"""Texture models: a fully convolutional GAN that draws seamless textures of any size from one picture.

Spatial GAN / PSGAN (Jetchev et al. 2016, Bergmann et al. 2017): the generator maps a grid of noise to
a picture `stride` times larger, so a bigger grid draws a bigger texture; it is trained against a patch
discriminator on random crops of the designer's pictures. Each cell of the grid holds
  local noise   (local_dim values, independent per cell): what varies from place to place;
  a global code (global_dim values, the same in every cell): what one texture is, so one seed draws one
                coherent material and two codes can be blended across a canvas (a morph strip);
  with waves, a shift (2 values, the same in every cell): where the picture's regular pattern starts.
Every convolution pads circularly and upsampling is nearest-neighbour, so the network commutes with
circular shifts of its grid: an output of size S is exactly periodic with period S (it tiles), and the
output for a grid tiled 2 x 2 is the output tiled 2 x 2. Training draws on circular canvases too (zero
padding while training and circular while drawing gave grid-like textures: README "Patterns"). With
waves (texture_waves.py: plane waves read by every convolution, whole cycles per period) the same holds
for every size that is a multiple of their period (TextureConfig.size_step).

TextureGenerator      noise (B, z_dim, h, w) -> texture (B, C, h * stride, w * stride)
TextureDiscriminator  crop (B, C, S, S) -> patch logits (B, (S / 16) ** 2): spectral norm, hinge loss
patch_loss            the generator's second term: how far its patches' distribution is from the crops'
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .circular import CircularConv2d
from .gan import init_dcgan_weights
from .texture_waves import PROMINENCE, dominant_waves, wave_features

CROP_SIZES = (32, 48, 64, 96, 128)
CRISP_PATCHES = (32, 64)  # px: crisp detail's first patch side, a model's own (crisp_patch)
SHIFT_DIM = 2  # a picture's shift along x and y (fractions of the waves' period): the last noise channels


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
    waves: int = 0  # periodic inputs (texture_waves.py): regular patterns keep their phase across cells
    # The waves' period in crops: whole cycles per wave_period x crop_size px. 4 lets a repeat sit at any
    # quarter cycle per crop (a twill of 3.25 cycles per 64 px); 1 = whole cycles per crop (older folders).
    wave_period: int = 1
    # Two scales (texture_detail.py): > 0 = the generator draws at half scale, from crops averaged down by 2,
    # and a detail network this wide doubles its output; 0 = one scale (older folders).
    detail_width: int = 0
    # True: a convolution reads only the waves its grid can carry (below its Nyquist frequency); a faster wave
    # sampled there aliases to a slow one, a position signal that repeats with the period. False = every wave
    # at every grid (older folders, and texture-large, whose bricks draw their bond from that position).
    wave_nyquist: bool = False
    # Crisp detail's first patch side in px (generation/texture_crisp.py), chosen after training by how close each
    # candidate's textures come to the pictures (training/crisp_patch.py); 32 = older folders.
    crisp_patch: int = 32

    def __post_init__(self) -> None:
        if self.crop_size not in CROP_SIZES:
            raise ValueError(f"crop_size must be one of {CROP_SIZES}, got {self.crop_size}")
        if self.channels not in (1, 3):
            raise ValueError(f"channels must be 1 or 3, got {self.channels}")
        if not (2 <= self.stages <= 5 and self.crop_size % (2 ** self.stages * self.scales) == 0):
            raise ValueError(f"stages must be 2..5 and divide the crop size into whole cells, got {self.stages}")
        if not (1 <= self.local_dim <= 256 and 0 <= self.global_dim <= 256):
            raise ValueError("local_dim must be 1..256 and global_dim 0..256")
        if not (4 <= self.g_width <= self.g_max <= 512 and 8 <= self.d_width <= 256):
            raise ValueError("widths must satisfy 4 <= g_width <= g_max <= 512 and 8 <= d_width <= 256")
        if not 0 <= self.waves <= 16:
            raise ValueError(f"waves must be 0..16, got {self.waves}")
        if self.wave_period not in (1, 2, 4):
            raise ValueError(f"wave_period must be 1, 2 or 4 crops, got {self.wave_period}")
        if self.crisp_patch not in CRISP_PATCHES or isinstance(self.crisp_patch, bool):
            raise ValueError(f"crisp_patch must be one of {CRISP_PATCHES} px, got {self.crisp_patch!r}")
        if not isinstance(self.wave_nyquist, bool):
            raise ValueError(f"wave_nyquist must be true or false, got {self.wave_nyquist!r}")
        if not 0 <= self.detail_width <= 128:
            raise ValueError(f"detail_width must be 0..128, got {self.detail_width}")

    @property
    def scales(self) -> int:
        """1, or 2 with a detail network (the generator then draws at half scale)."""
        return 2 if self.detail_width else 1

    @property
    def base_size(self) -> int:
        """With two scales, the crops' side at half scale, where the generator learns; 0 with one."""
        return self.crop_size // 2 if self.detail_width else 0

    def base_config(self) -> "TextureConfig":
        """The half-scale generator of a two-scale model: the same network on crops averaged down by 2."""
        return dataclasses.replace(self, crop_size=self.crop_size // 2, detail_width=0)

    @property
    def image_size(self) -> int:
        """The training picture size (a crop): what the trainer's dataset must hold."""
        return self.crop_size

    @property
    def z_dim(self) -> int:
        """Noise values per cell: the global code, the local noise and, with waves, the picture's shift."""
        return self.global_dim + self.local_dim + (SHIFT_DIM if self.waves else 0)

    @property
    def stride(self) -> int:
        """Pixels per noise cell (of the output: with two scales, twice the generator's)."""
        return 2 ** self.stages * self.scales

    @property
    def period(self) -> int:
        """The waves' period in px: every wave makes whole cycles over it."""
        return self.crop_size * self.wave_period

    @property
    def size_step(self) -> int:
        """Texture sides are multiples of this many px: a cell, or with waves their period, so that every
        texture tiles exactly."""
        return self.period if self.waves else self.stride


def _conv(c_in: int, c_out: int, bias: bool = False) -> nn.Conv2d:
    """3 x 3, stride 1, circular padding: keeps the picture periodic."""
    return CircularConv2d(c_in, c_out, 3, 1, 1, bias=bias)


class TextureGenerator(nn.Module):
    def __init__(self, cfg: TextureConfig):
        super().__init__()
        if cfg.detail_width:
            raise ValueError("a two-scale texture config builds a TwoScaleTexture (texture_detail.py)")
        self.cfg = cfg
        widths = [min(cfg.g_max, cfg.g_width * 2 ** i) for i in reversed(range(cfg.stages + 1))]  # [128, .., 8]
        extra = 2 * cfg.waves  # each convolution also reads the waves' sin and cos
        noise = cfg.global_dim + cfg.local_dim  # the shift is read by the waves, not by a convolution
        layers: list[nn.Module] = [_conv(noise + extra, widths[0]), nn.BatchNorm2d(widths[0]), nn.ReLU(True),
                                   _conv(widths[0] + extra, widths[0]), nn.BatchNorm2d(widths[0]), nn.ReLU(True)]
        for c_in, c_out in zip(widths, widths[1:]):  # each stage doubles H and W
            layers += [nn.Upsample(scale_factor=2, mode="nearest"), _conv(c_in + extra, c_out),
                       nn.BatchNorm2d(c_out), nn.ReLU(True)]
        # 1 x 1 to colour: at 1024 px a 3 x 3 here costs a fifth of the draw, after the last stage's own 3 x 3.
        layers += [nn.Conv2d(widths[-1] + extra, cfg.channels, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.apply(init_dcgan_weights)
        if cfg.waves:  # whole cycles per period (texture_waves.dominant_waves), set from the pictures before training
            self.register_buffer("waves", torch.zeros(cfg.waves, 2))

    @torch.no_grad()
    def fit_waves(self, crops: torch.Tensor, prominence: float = PROMINENCE) -> None:
        """Read the waves from the training crops (uint8 (N, C, S, S)); nothing to do without waves."""
        if self.cfg.waves:
            self.waves.copy_(dominant_waves(crops.cpu(), self.cfg.waves, self.cfg.wave_period, prominence))

    def forward(self, noise: torch.Tensor) -> torch.Tensor:
        """(B, z_dim, h, w) -> (B, C, h * stride, w * stride). With waves, every convolution also reads the
        waves' sin and cos at its own pixels, shifted by the picture's shift (the noise's last channels)."""
        if not self.cfg.waves:
            return self.net(noise)
        shifts, x = noise[:, -SHIFT_DIM:, 0, 0], noise[:, :-SHIFT_DIM]
        pitch = float(self.cfg.stride)  # output px between two pixels of the current grid
        waves = None  # the current grid's wave inputs: two convolutions read each of the outer grids
        for layer in self.net:
            if isinstance(layer, nn.Upsample):
                pitch, waves = pitch / 2, None
            elif isinstance(layer, nn.Conv2d):
                if waves is None:
                    waves = wave_features(self.waves, shifts, x.shape[2], x.shape[3], pitch, self.cfg.period,
                                          self.cfg.wave_nyquist)
                    waves = waves.to(x.dtype)
                x = torch.cat([x, waves], 1)
            x = layer(x)
        return x


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
    cell, beside independent local noise, and with waves a shift per picture (uniform in one period)."""
    code = torch.randn(n, cfg.global_dim, 1, 1, generator=generator).expand(-1, -1, cells_h, cells_w)
    local = torch.randn(n, cfg.local_dim, cells_h, cells_w, generator=generator)
    if not cfg.waves:
        return torch.cat([code, local], 1)
    shift = torch.rand(n, SHIFT_DIM, 1, 1, generator=generator).expand(-1, -1, cells_h, cells_w)
    return torch.cat([code, local, shift], 1)



def patch_loss(fake: torch.Tensor, real: torch.Tensor, gen: torch.Generator, scales: int = 3, patches: int = 2048,
               directions: int = 64, size: int = 5) -> torch.Tensor:
    """A sliced Wasserstein distance between the fakes' and the reals' size x size patches at `scales` octaves
    (the patch-distribution loss of Elnekave & Weiss 2022 and Heitz et al. 2021, here on pixels): `patches`
    random patches per set and octave, projected on `directions` random unit vectors, compared sorted.
    It tells the generator which patches are missing or too common from the first step, which the
    discriminator takes hundreds of steps to learn. Randomness comes only from gen."""
    fake, real = fake.float(), real.float()  # the fakes come in bf16 from an autocast step; sorting wants fp32
    total = fake.new_zeros(())
    for _ in range(scales):
        a, b = _patches(fake, patches, size, gen), _patches(real, patches, size, gen)  # (P, C * size^2)
        d = torch.randn(a.shape[1], directions, generator=gen).to(a.device)
        d = d / d.norm(dim=0, keepdim=True)
        pa, pb = (a @ d).T, (b @ d).T  # (directions, P)
        total = total + (pa - _sorted_like(pa.detach(), pb.detach())).square().mean()
        fake, real = nn.functional.avg_pool2d(fake, 2), nn.functional.avg_pool2d(real, 2)
    return total


def _sorted_like(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """b's rows sorted and laid out in the order of a's: where a holds its k-th smallest value, the k-th
    smallest of b. (sorted(a) - sorted(b)) ** 2 summed equals (a - this) ** 2 summed, with the same gradient
    for a, and sorting needs no gradient. On a CPU through numpy, whose vectorised sort ranks a step's
    values several times faster than torch.sort."""
    if a.device.type != "cpu":
        order = a.argsort(dim=1)
        return torch.empty_like(b).scatter_(1, order, b.sort(dim=1).values)
    order, values = np.argsort(a.numpy(), axis=1), np.sort(b.numpy(), axis=1)
    out = np.empty_like(values)
    np.put_along_axis(out, order, values, axis=1)
    return torch.from_numpy(out)


def _patches(x: torch.Tensor, n: int, size: int, gen: torch.Generator) -> torch.Tensor:
    """n random size x size patches of a batch (B, C, H, W) -> (n, C * size * size), each at a uniformly random
    picture and place. Gathered by index_select from the flattened batch rather than by fancy indexing: the
    latter's backward adds with atomics across threads on a CPU, so the same seed would not give the same
    weights; and rather than from an unfold of every patch, which copies 15 times the data."""
    b, c, h, w = x.shape
    places_h, places_w = h - size + 1, w - size + 1
    place = torch.randint(b * places_h * places_w, (n,), generator=gen)
    picture, rest = place // (places_h * places_w), place % (places_h * places_w)
    corner = picture * (c * h * w) + (rest // places_w) * w + rest % places_w  # each patch's top-left value
    ramp = torch.arange(size)
    offsets = (torch.arange(c)[:, None, None] * (h * w) + ramp[:, None] * w + ramp).flatten()  # unfold's order
    index = (corner[:, None] + offsets).flatten().to(x.device)
    return x.reshape(-1).index_select(0, index).view(n, c * size * size)
