"""Periodic inputs for texture models: PSGAN's periodic dimensions (Bergmann et al. 2017).

A generator fed only per-cell noise knows nothing of where a cell sits, so it cannot keep a regular
pattern (a twill, brick courses) in phase from one cell to the next: the pattern wanders at every
cell boundary. Here the generator also reads, at every stage, sin and cos of a few plane waves
2 pi (m x + n y) / P, evaluated at that stage's pixels: (m, n) are whole numbers of cycles per period
P px (a whole number of training crops: TextureConfig.period), chosen once from the training
pictures' power spectrum (their strongest repeats), and each picture gets a random shift (its phase).
Whole cycles keep every texture whose side is a multiple of P exactly periodic, as circular padding
needs. A period of four crops places a repeat to a quarter cycle per crop: rounded to whole cycles per
crop, a twill of 3.25 cycles per 64 px beat against its wave every 64 px. A grid too coarse for a wave
sees it aliased, as a slow wave: with `nyquist` such a grid reads a constant instead (TextureConfig.wave_nyquist).

dominant_waves   crops (N, C, S, S) -> (k, 2) the k strongest repeats, as whole cycles per periods x S px
wave_features    waves, shifts, a grid's size and pixel pitch -> (B, 2k, h, w) sin and cos inputs
"""
from __future__ import annotations

import math

import torch

SPECTRUM_CROPS = 512  # crops averaged for the power spectrum: plenty for a stable estimate, fast
SPECTRUM_PAD = 4  # the spectrum is read on a grid this many times finer than whole cycles
# A repeat's power over its ring's median (the frequencies as far from 0), and its share of the strongest
# peak's power. The sample fabric's peaks stand out by 260 and more: a woven, strictly regular repeat. Wood's
# grain spacing (62) and the bricks' courses (44-76) vary from place to place, and as waves they drew
# evenly ruled grain and doubled mortar lines; marble (at most 1.3) and cobbles (1.7) have no repeat. Only
# the fabric gets waves (README "Patterns").
PROMINENCE, SHARE = 100.0, 0.25
# Repeats slower than this many cycles per crop are not waves: the cell-level convolutions span them, and
# as waves they tiled marble's colour drifts into an obvious wallpaper; a bricks picture's strongest peak
# is such a drift (1.5 cycles), with its courses' harmonics above it.
MIN_CYCLES = 2.0


def dominant_waves(crops: torch.Tensor, k: int, periods: int = 1, prominence: float = PROMINENCE) -> torch.Tensor:
    """The k strongest repeats of the crops' brightness as plane waves, float (k, 2) of whole cycles (along
    x, along y) per `periods` crop sides (1, 2 or 4), one of each +/- pair (n > 0, or n = 0 and m > 0),
    strongest first; (0, 0) rows (constant inputs, which the generator can ignore) pad the list when fewer
    repeats stand out.

    The crops' mean power spectrum (Hann-windowed, zero-padded SPECTRUM_PAD times, so a repeat is found to
    a quarter cycle per crop) is searched peak by peak, over its local maxima from MIN_CYCLES per crop up.
    A peak counts as a repeat when it holds `prominence` times the median power of its ring and SHARE of the
    strongest such peak's power; when the strongest itself does not stand out, the picture has no regular pattern and
    gets no waves. That keeps a twill's lines and leaves out repeats that vary from place to place (wood's
    grain, brick courses) and smooth spectra (marble, cobbles).
    Each peak is rounded to whole cycles per period, and two cycles per crop around it and its mirror (the
    window's main lobe) are cleared before the next, so its own leakage is not taken as another repeat."""
    x = crops[:SPECTRUM_CROPS].float().mean(1)  # brightness (N, S, S)
    size = x.shape[-1]
    x = x - x.mean((1, 2), keepdim=True)
    window = torch.hann_window(size, periodic=True, dtype=x.dtype)
    x = x * window[:, None] * window[None, :]
    grid = size * SPECTRUM_PAD
    power = torch.fft.fft2(x, s=(grid, grid)).abs().square().mean(0)  # (y, x) frequencies
    cycles = torch.fft.fftfreq(grid) * size  # each bin in cycles per crop side
    radius = (cycles[:, None] ** 2 + cycles[None, :] ** 2).sqrt()
    # Candidates are the spectrum's local maxima: the flank of a slow drift's peak is not a repeat.
    wrapped = torch.nn.functional.pad(power[None, None], (1, 1, 1, 1), mode="circular")
    local_max = power >= torch.nn.functional.max_pool2d(wrapped, 3, 1)[0, 0]
    left = torch.where((radius >= MIN_CYCLES) & local_max, power, torch.zeros(()))
    found, strongest = [], left.max()
    near = torch.arange(-2 * SPECTRUM_PAD, 2 * SPECTRUM_PAD + 1)  # the Hann window's main lobe: +/- 2 cycles
    for peak_index in range(4 * k):  # a few more tries than waves: some peaks round to one found, or to 0
        if len(found) == k or float(left.max()) <= 0:
            break
        row, col = divmod(int(left.argmax()), grid)
        ring = (radius - radius[row, col]).abs() < 0.5
        m, n = round(float(cycles[col]) * periods), round(float(cycles[row]) * periods)
        if n < 0 or (n == 0 and m < 0):
            m, n = -m, -n
        peak = power[row, col]
        stands_out = peak >= prominence * power[ring].median()
        if peak_index == 0 and not stands_out:  # the strongest repeat does not stand out: no regular pattern
            break
        if stands_out and peak >= SHARE * strongest and (m, n) not in [(0, 0), *found]:
            found.append((m, n))
        for r, c in ((row, col), (-row, -col)):  # the peak and its mirror
            left[((r + near) % grid)[:, None], ((c + near) % grid)[None, :]] = 0
    found += [(0, 0)] * (k - len(found))
    return torch.tensor(found, dtype=torch.float32)


def wave_features(waves: torch.Tensor, shifts: torch.Tensor, h: int, w: int, pitch: float, period: float,
                  nyquist: bool = False) -> torch.Tensor:
    """sin and cos of each wave at the centres of an h x w grid whose pixels are `pitch` output px apart:
    (B, 2K, h, w). waves (K, 2): whole cycles along x and y per `period` px; shifts (B, 2): each picture's
    shift along x and y as a fraction of the period (its phase)."""
    ys = (torch.arange(h, device=waves.device, dtype=torch.float32) + 0.5) * pitch
    xs = (torch.arange(w, device=waves.device, dtype=torch.float32) + 0.5) * pitch
    sx, sy = (shifts[:, 0].float() * period)[:, None, None, None], (shifts[:, 1].float() * period)[:, None, None, None]
    m, n = waves[None, :, 0, None, None], waves[None, :, 1, None, None]
    phase = (m * (xs[None, None, None, :] + sx) + n * (ys[None, None, :, None] + sy)) * (2 * math.pi / period)
    features = torch.cat([torch.sin(phase), torch.cos(phase)], 1)
    if nyquist:  # a wave of Nyquist's frequency or more would alias here: a constant 0 instead
        carried = (waves.abs().amax(1) < period / pitch / 2).to(features.dtype)  # (K,)
        features = features * carried.repeat(2)[None, :, None, None]
    return features
