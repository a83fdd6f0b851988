"""A FastGAN-style generator and discriminator (Liu et al. 2021, "Towards Faster and Stabilized GAN
Training for High-fidelity Few-shot Image Synthesis"), sized for a laptop CPU at 32 and 64 px.

generator      z (B, z_dim) -> 4x4 (transposed conv + BN + GLU) -> up-blocks (nearest x2, conv 3x3, BN,
               GLU) to the image size; skip-layer excitation (SLE, sec. 3.1): the 4x4 and 8x8 features
               gate the channels of the half-size and full-size features (at 64 px: 4 -> 32, 8 -> 64), a cheap long
               skip that carries layout and style to the fine layers; to-RGB heads at the full and at
               half the image size (the half one serves the resolution schedule below).
discriminator  spectral-normalised residual down-blocks to 4x4 -> one logit. Two small decoders
               reconstruct the real image from D's features (sec. 3.2, "self-supervised D"): the whole
               image at half size from the 8x8 feature, and a random quarter of it from the matching
               quarter of the 16x16 feature. D must keep a description of the picture's content rather
               than a few texture cues, which is what lets it train on a few hundred images. The paper
               scores the reconstructions with LPIPS; we use L1 (nothing pretrained, nothing downloaded).

Resolution schedule: `fade` (a buffer, saved with the weights) blends the half-size head, upsampled,
with the full-size head: 0 = the network draws at half size (4x cheaper last stage, coarse shapes
first), 1 = full size; the trainer ramps it (Karras et al. 2018's fade-in). The discriminator takes
the same blend on its input side. A generator exported mid-ramp draws exactly what training saw.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import spectral_norm

# Channels per feature resolution (G: after GLU; D: as is), for g_width = d_width = 64; other widths
# scale them. Sized for a CPU: every generator stage costs about the same multiply-adds, and in a few
# CPU minutes more, cheaper steps beat fewer, richer ones (README, "Training recipes").
G_WIDTHS = {4: 128, 8: 64, 16: 32, 32: 16, 64: 8}
D_WIDTHS = {32: 16, 16: 32, 8: 64, 4: 128}
DECODER_WIDTH = 16


def _widths(table: dict[int, int], scale: float) -> dict[int, int]:
    return {res: max(8, int(round(c * scale))) for res, c in table.items()}


def init_fastgan_weights(module: nn.Module) -> None:
    """FastGAN's initialisation: conv weights ~ N(0, 0.02), BatchNorm gamma ~ N(1, 0.02), beta = 0."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(getattr(module, "weight_orig", module.weight), 0.0, 0.02)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


class BatchNorm2d(nn.BatchNorm2d):
    """BatchNorm that computes in the default (NCHW) layout. Training runs channels_last, which suits the
    convolutions, but PyTorch's CPU BatchNorm backward on channels_last input was 10x slower than on
    NCHW (25 ms against 2.3 ms per call at batch 32, 64 px), more than the two layout copies cost.
    Same parameters and state-dict keys as nn.BatchNorm2d."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.is_contiguous() or x.device.type != "cpu":
            return super().forward(x)
        return super().forward(x.contiguous()).contiguous(memory_format=torch.channels_last)


class UpBlock(nn.Sequential):
    """(B, c_in, H, W) -> (B, c_out, 2H, 2W): nearest x2, conv 3x3 to 2 c_out, BN, GLU (FastGAN's UpBlock)."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__(nn.Upsample(scale_factor=2, mode="nearest"),
                         nn.Conv2d(c_in, 2 * c_out, 3, 1, 1, bias=False), BatchNorm2d(2 * c_out), nn.GLU(dim=1))


class SkipExcitation(nn.Module):
    """SLE: small (B, c_small, h, w) -> a per-channel gate in (0, 1) for big (B, c_big, H, W)."""

    def __init__(self, c_small: int, c_big: int):
        super().__init__()
        self.gate = nn.Sequential(nn.AdaptiveAvgPool2d(4), nn.Conv2d(c_small, c_big, 4, 1, 0, bias=False), nn.SiLU(),
                                  nn.Conv2d(c_big, c_big, 1, 1, 0, bias=False), nn.Sigmoid())

    def forward(self, small: torch.Tensor, big: torch.Tensor) -> torch.Tensor:
        return big * self.gate(small)  # (B, c_big, 1, 1) broadcast over H, W


class FastGenerator(nn.Module):
    """z (B, z_dim) -> image (B, C, S, S) in [-1, 1]."""

    def __init__(self, cfg) -> None:
        super().__init__()
        self.cfg = cfg
        w = _widths(G_WIDTHS, cfg.g_width / 64)
        size = cfg.image_size
        self.resolutions = [2 ** k for k in range(2, size.bit_length())]  # 64 px: [4, 8, 16, 32, 64]
        self.init = nn.Sequential(nn.ConvTranspose2d(cfg.z_dim, 2 * w[4], 4, 1, 0, bias=False),
                                  BatchNorm2d(2 * w[4]), nn.GLU(dim=1))  # (B, w4, 4, 4)
        self.ups = nn.ModuleDict({str(r): UpBlock(w[r // 2], w[r]) for r in self.resolutions[1:]})
        # Gates from the 4x4 feature to the half-size one and from the 8x8 to the full-size one.
        self.sources = {size // 2: 4, size: 8}  # target resolution -> source resolution
        self.excite = nn.ModuleDict({str(t): SkipExcitation(w[s], w[t]) for t, s in self.sources.items()})
        self.to_rgb = nn.Conv2d(w[size], cfg.channels, 3, 1, 1, bias=False)
        self.to_rgb_half = nn.Conv2d(w[size // 2], cfg.channels, 1, 1, 0, bias=False)
        self.register_buffer("fade", torch.ones(()))  # 1 = full resolution (see the module docstring)
        self.apply(init_fastgan_weights)

    def forward(self, z: torch.Tensor, half_only: bool = False) -> torch.Tensor:
        """half_only: return the half-size image (B, C, S/2, S/2), skipping the last stage (the first
        phase of the resolution schedule)."""
        feats = {4: self.init(z.view(z.shape[0], -1, 1, 1))}  # (B, w4, 4, 4)
        size = self.cfg.image_size
        for r in self.resolutions[1:]:
            if half_only and r == size:
                break
            x = self.ups[str(r)](feats[r // 2])
            if r in self.sources:
                x = self.excite[str(r)](feats[self.sources[r]], x)
            feats[r] = x
        half = torch.tanh(self.to_rgb_half(feats[size // 2]))  # (B, C, S/2, S/2)
        if half_only:
            return half
        full = torch.tanh(self.to_rgb(feats[size]))  # (B, C, S, S)
        if bool(self.fade >= 1):
            return full
        return torch.lerp(F.interpolate(half, scale_factor=2, mode="nearest"), full, self.fade.to(full.dtype))


class DownBlock(nn.Module):
    """(B, c_in, H, W) -> (B, c_out, H/2, W/2): FastGAN's DownBlockComp without BatchNorm (spectral norm
    instead, so real and fake batches can share one forward pass): a conv path and a pooled 1x1 path, averaged."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.main = nn.Sequential(spectral_norm(nn.Conv2d(c_in, c_out, 4, 2, 1, bias=False)), nn.LeakyReLU(0.2, True),
                                  spectral_norm(nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)), nn.LeakyReLU(0.2, True))
        self.direct = nn.Sequential(nn.AvgPool2d(2), spectral_norm(nn.Conv2d(c_in, c_out, 1, 1, 0, bias=False)),
                                    nn.LeakyReLU(0.2, True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (self.main(x) + self.direct(x)) / 2


class Decoder(nn.Module):
    """D's self-supervised decoder: a feature (B, c, h, h) -> an image (B, C, h * 2^n_up, ...) in [-1, 1]."""

    def __init__(self, c_in: int, channels: int, n_up: int):
        super().__init__()
        layers: list[nn.Module] = []
        c = c_in
        for _ in range(n_up):
            layers += [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(c, 2 * DECODER_WIDTH, 3, 1, 1, bias=False),
                       BatchNorm2d(2 * DECODER_WIDTH), nn.GLU(dim=1)]
            c = DECODER_WIDTH
        layers += [nn.Conv2d(c, channels, 3, 1, 1, bias=False), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class FastDiscriminator(nn.Module):
    """image (B, C, S, S) or, in the first phase of the schedule, (B, C, S/2, S/2) -> logit (B,).

    forward(x, with_features=True) also returns the features by resolution, which the decoders read (a
    keyword rather than a second method, so it passes through DistributedDataParallel's forward)."""

    def __init__(self, cfg) -> None:
        super().__init__()
        self.cfg = cfg
        w = _widths(D_WIDTHS, cfg.d_width / 64)
        half = cfg.image_size // 2
        # Entries: the full image enters with a stride-2 conv, the half-size one with a stride-1 conv; both
        # give (B, w[S/2], S/2, S/2).
        self.from_rgb = nn.Sequential(spectral_norm(nn.Conv2d(cfg.channels, w[half], 4, 2, 1, bias=False)),
                                      nn.LeakyReLU(0.2, True))
        self.from_rgb_half = nn.Sequential(spectral_norm(nn.Conv2d(cfg.channels, w[half], 3, 1, 1, bias=False)),
                                           nn.LeakyReLU(0.2, True))
        self.resolutions = [r for r in (32, 16, 8, 4) if r < half]  # feature sizes after each block
        self.downs = nn.ModuleDict({str(r): DownBlock(w[2 * r], w[r]) for r in self.resolutions})
        self.logit = spectral_norm(nn.Conv2d(w[4], 1, 4, 1, 0, bias=False))  # (B, 1, 1, 1)
        # Whole image at S/2 from the 8x8 feature; a quarter of it at S/2 from a quarter (8x8) of the 16x16 one.
        self.decode_whole = Decoder(w[8], cfg.channels, n_up=(half // 8).bit_length() - 1)
        self.decode_part = Decoder(w[16], cfg.channels, n_up=(half // 8).bit_length() - 1)
        self.register_buffer("fade", torch.ones(()))
        self.apply(init_fastgan_weights)

    def forward(self, x: torch.Tensor, with_features: bool = False):
        half = self.cfg.image_size // 2
        if x.shape[-1] == half:
            h = self.from_rgb_half(x)
        elif bool(self.fade >= 1):
            h = self.from_rgb(x)
        else:  # fade-in: the new full-size entry blended with the half-size path on a pooled input
            h = torch.lerp(self.from_rgb_half(F.avg_pool2d(x, 2)), self.from_rgb(x), self.fade.to(x.dtype))
        feats = {half: h}
        for r in self.resolutions:
            h = self.downs[str(r)](h)
            feats[r] = h
        logits = self.logit(h).flatten()  # (B,)
        return (logits, feats) if with_features else logits


def quarter_crop(x: torch.Tensor, quarter: int) -> torch.Tensor:
    """The quarter (0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right) of (B, C, H, W)."""
    h, w = x.shape[-2] // 2, x.shape[-1] // 2
    top, left = (quarter // 2) * h, (quarter % 2) * w
    return x[..., top:top + h, left:left + w]


def reconstruction_loss(D: FastDiscriminator, feats: dict[int, torch.Tensor], real: torch.Tensor,
                        quarter: int) -> torch.Tensor:
    """FastGAN's self-supervision on a real batch (the D input, (B, C, H, W)): L1 between the decoders'
    outputs and the real image at half size (whole) and its quarter at full size (part), both (B, C, S/2, S/2)."""
    out = D.decode_whole(feats[8])
    target = F.interpolate(real, size=out.shape[-2:], mode="area")
    loss = F.l1_loss(out.float(), target.float())
    part = D.decode_part(quarter_crop(feats[16], quarter))
    target_part = F.interpolate(quarter_crop(real, quarter), size=part.shape[-2:], mode="area")
    return loss + F.l1_loss(part.float(), target_part.float())
