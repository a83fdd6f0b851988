"""Write the Patterns feature's sample textures, samples/textures/*.png, procedurally.

    python -m scripts.make_sample_textures [--out samples/textures]

The Patterns feature trains a texture GAN on one picture and draws seamless tiles from it. These
samples are drawn from code (numpy noise, OpenCV and Pillow; no downloads), so they are ours to
ship under the project's licence. Each is a 256 x 256 RGB PNG of a familiar design material:
  - bricks.png   running-bond red/orange brick wall with grey mortar (about 7 courses),
  - wood.png     warm brown plank with wavy grain lines bending round a knot,
  - cobbles.png  rounded grey-beige cobblestones (Voronoi cells ~40 px) with dark gaps,
  - fabric.png   indigo/white 3/1 twill weave (denim) with thread-level noise,
  - marble.png   white marble with branching grey veins (ridged fractal noise).
The model learns from 64 px crops, so every texture's features (a brick, a grain line, a cobble,
a thread) recur several times inside 64 px; noise and jitter keep each picture from being an
exact pixel tile. Fixed seeds: a rebuild writes the same pixels.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "samples" / "textures"
SIZE = 256
MAX_BYTES = 1024 * 1024

# ---------------------------------------------------------------------------------------------
# Shared noise helpers. All fields are float32 (SIZE, SIZE).


def value_noise(rng: np.random.Generator, cells_x: int, cells_y: int | None = None) -> np.ndarray:
    """Smooth noise in about [0, 1]: a coarse grid of random values, bicubic-upsampled.

    Unequal cells_x / cells_y stretch the blobs into streaks (wood fibres)."""
    grid = rng.random((cells_y or cells_x, cells_x)).astype(np.float32)
    return cv2.resize(grid, (SIZE, SIZE), interpolation=cv2.INTER_CUBIC)


def fbm(rng: np.random.Generator, cells: int, octaves: int = 4) -> np.ndarray:
    """Fractal noise in [0, 1]: octaves of value noise, each twice as fine and half as strong.

    Natural materials vary at every scale at once; one octave alone looks like blurry blobs."""
    total = np.zeros((SIZE, SIZE), np.float32)
    for octave in range(octaves):
        total += value_noise(rng, cells * 2**octave) / 2**octave
    return (total - total.min()) / (total.max() - total.min())


def grain(rng: np.random.Generator, sigma: float) -> np.ndarray:
    """Per-pixel Gaussian noise, slightly blurred so it reads as surface grit, not sensor noise."""
    return cv2.GaussianBlur(rng.normal(0, sigma, (SIZE, SIZE)).astype(np.float32), (3, 3), 0.6)


def mix(a, b, t: np.ndarray) -> np.ndarray:
    """Blend two RGB colours (or images) by t in [0, 1], per pixel."""
    t = t[..., None]
    return np.asarray(a, np.float32) * (1 - t) + np.asarray(b, np.float32) * t


def to_uint8(rgb: np.ndarray) -> np.ndarray:
    return np.clip(rgb, 0, 255).astype(np.uint8)


# ---------------------------------------------------------------------------------------------
# One function per texture, each with its own seed so editing one leaves the others unchanged.


def bricks() -> np.ndarray:
    rng = np.random.default_rng(1)
    course, length, mortar = 36, 76, 4  # 7 courses per 256 px; real bricks are ~2:1 with the joint
    palette = np.array([[158, 62, 42], [178, 78, 48], [140, 52, 38], [190, 96, 58], [128, 58, 44],
                        [168, 70, 40]], np.float32)
    ids = np.zeros((SIZE, SIZE), np.int32)  # 0 = mortar, k = brick k
    colours = [np.zeros(3, np.float32)]
    for row in range(SIZE // course + 2):
        y0 = row * course - 8
        x = -(row % 2) * length // 2 + int(rng.integers(-5, 6)) - length  # running bond, hand-laid slack
        while x < SIZE:
            w = length + int(rng.integers(-4, 5))
            colours.append(palette[rng.integers(len(palette))] * rng.uniform(0.88, 1.1))
            cv2.rectangle(ids, (x + mortar // 2, y0 + mortar // 2), (x + w - mortar // 2 - 1, y0 + course - mortar // 2 - 1),
                          len(colours) - 1, thickness=-1)
            x += w
    # Wobble the joints by a pixel or two: laser-straight lines look like a drawing, not a wall.
    yy, xx = np.mgrid[:SIZE, :SIZE].astype(np.float32)
    dx, dy = (value_noise(rng, 14) - 0.5) * 3, (value_noise(rng, 14) - 0.5) * 3
    ids = cv2.remap(ids.astype(np.float32), xx + dx, yy + dy, cv2.INTER_NEAREST).astype(np.int32)
    brick = ids > 0
    rgb = np.stack(colours)[ids]
    # Soft bevel: bricks darken into the joint, so they read as blocks standing proud of it.
    edge = cv2.distanceTransform(brick.astype(np.uint8), cv2.DIST_L2, 3)
    rgb *= (0.72 + 0.28 * np.clip(edge / 4, 0, 1))[..., None]
    # Fired clay is blotchy (fbm) and pitted (dark specks); mortar is sandy grey.
    rgb *= (0.85 + 0.3 * fbm(rng, 8))[..., None]
    rgb *= np.where(rng.random((SIZE, SIZE)) < 0.015, 0.7, 1.0)[..., None]
    mortar_rgb = mix([150, 146, 138], [196, 192, 184], fbm(rng, 16))
    rgb = np.where(brick[..., None], rgb, mortar_rgb)
    return to_uint8(rgb + grain(rng, 7)[..., None])


def wood() -> np.ndarray:
    rng = np.random.default_rng(2)
    yy, xx = np.mgrid[:SIZE, :SIZE].astype(np.float32)
    # Growth rings cut lengthwise show as long horizontal bands; low-frequency noise makes them wave.
    field = yy + 28 * (fbm(rng, 3, octaves=3) - 0.5) + 6 * np.sin(xx / 41)
    # A knot: a bump in the field makes its contour lines close into ellipses around one point.
    kx, ky = 170, 96
    r2 = ((xx - kx) / 1.6) ** 2 + (yy - ky) ** 2
    field += 48 * np.exp(-r2 / (2 * 14**2))
    phase = (field / 13) % 1.0  # one ring every ~13 px: 4-5 grain lines in a 64 px crop
    # Each ring: pale earlywood darkening into latewood, then a sharp step to the next year;
    # a slight blur anti-aliases that step.
    ring = cv2.GaussianBlur(np.clip((phase - 0.45) / 0.5, 0, 1) ** 1.5, (0, 0), 0.8)
    fibres = value_noise(rng, 6, 180) - 0.5  # streaks along the grain (narrow in y, long in x)
    pores = (value_noise(rng, 40, 220) > 0.82).astype(np.float32)  # short dark dashes of cut vessels
    t = np.clip(0.8 * ring + 0.5 * fibres + 0.25 * pores, 0, 1)
    rgb = mix([206, 152, 98], [122, 70, 36], t)
    rgb *= (0.9 + 0.2 * fbm(rng, 4, octaves=2))[..., None]  # broad tone drift along the plank
    rgb = mix(rgb, [78, 42, 22], 0.85 * np.exp(-r2 / (2 * 7**2)))  # the knot's dark heart
    return to_uint8(rgb + grain(rng, 3)[..., None])


def cobbles() -> np.ndarray:
    rng = np.random.default_rng(3)
    cell = 40  # stone spacing in px: 6-7 stones across 256, ~2 across a 64 px crop
    n = SIZE // cell + 2
    centres = (np.stack(np.mgrid[:n, :n], -1).reshape(-1, 2) - 0.5 + rng.uniform(0.15, 0.85, (n * n, 2))) * cell
    yy, xx = np.mgrid[:SIZE, :SIZE].astype(np.float32)
    # A slight coordinate warp so the joints wander instead of running dead straight.
    px = np.stack([yy, xx], -1) + 5 * (np.stack([fbm(rng, 4, octaves=2), fbm(rng, 4, octaves=2)], -1) - 0.5)
    d = np.linalg.norm(px[:, :, None, :] - centres[None, None], axis=-1)  # (S, S, stones)
    order = np.argsort(d, axis=-1)[..., :2]
    f1 = np.take_along_axis(d, order[..., :1], -1)[..., 0]
    f2 = np.take_along_axis(d, order[..., 1:], -1)[..., 0]
    owner = order[..., 0]
    edge = (f2 - f1) / 2  # distance to the nearest joint between stones
    # Round the Voronoi polygons into pebbles: blur the stone mask, then cut it at half height.
    soft = cv2.GaussianBlur((edge > 3).astype(np.float32), (0, 0), 3.5)
    coverage = np.clip((soft - 0.45) / 0.15, 0, 1)  # 1 on a stone, 0 in a gap, anti-aliased between
    inside = cv2.distanceTransform((soft > 0.5).astype(np.uint8), cv2.DIST_L2, 5)
    # Dome height from the distance to the stone's rim (a quarter circle of radius 12 px), blurred
    # so the straight ridges a distance field leaves along each stone's spine disappear.
    h = cv2.GaussianBlur(np.sqrt(1 - (1 - np.clip(inside / 12, 0, 1)) ** 2), (0, 0), 2)
    gy, gx = np.gradient(h * 12)
    light = np.clip((0.55 + 0.45 * h) * (1 + 0.8 * (-gx * 0.6 - gy * 0.8)), 0.3, 1.4)  # lit from top left
    palette = np.array([[164, 156, 140], [184, 174, 154], [140, 136, 128], [196, 186, 166], [152, 142, 126],
                        [172, 168, 160]], np.float32)
    tone = palette[rng.integers(len(palette), size=len(centres))] * rng.uniform(0.9, 1.08, (len(centres), 1))
    rgb = tone[owner] * (0.82 + 0.3 * fbm(rng, 12))[..., None] * light[..., None]
    dirt = mix([48, 42, 36], [78, 70, 60], fbm(rng, 24))
    rgb = mix(dirt, rgb, coverage)
    return to_uint8(rgb + grain(rng, 6)[..., None])


def fabric() -> np.ndarray:
    rng = np.random.default_rng(4)
    pitch = 5  # thread width in px: 12-13 threads across a 64 px crop
    yy, xx = np.mgrid[:SIZE, :SIZE].astype(np.float32)
    # Cloth is never perfectly square: a gentle warp lets the threads drift a little.
    x = xx + 3 * (fbm(rng, 3, octaves=2) - 0.5)
    y = yy + 3 * (fbm(rng, 3, octaves=2) - 0.5)
    ix, iy = np.floor(x / pitch).astype(int), np.floor(y / pitch).astype(int)
    fx, fy = x / pitch - ix, y / pitch - iy  # position across a thread, 0..1
    phase = (ix - iy) % 4
    warp_up = phase < 3  # 3/1 twill, as in denim: indigo warp over three weft threads, under one
    # Round threads: bright along the middle, dark at the sides; a warp float is brightest in its
    # middle and dips into shadow at both ends, where it goes under.
    float_pos = np.clip((2 - phase + fy) / 3, 0, 1)
    shade = np.where(warp_up, np.sin(np.pi * fx) ** 0.6 * np.sin(np.pi * float_pos) ** 0.5,
                     np.sin(np.pi * fy) ** 0.6 * np.sin(np.pi * fx) ** 0.5)
    # Uneven yarn: each thread takes the dye a little differently, and a slow fade mottles the cloth.
    warp_tone = rng.uniform(0.8, 1.15, ix.max() + 2)[ix]
    weft_tone = rng.uniform(0.9, 1.05, iy.max() + 2)[iy]
    fade = fbm(rng, 5)
    indigo = mix([38, 58, 104], [78, 104, 150], fade) * warp_tone[..., None]
    ecru = np.array([214, 208, 192], np.float32) * weft_tone[..., None]
    rgb = np.where(warp_up[..., None], indigo, ecru) * (0.35 + 0.65 * shade)[..., None]
    rgb *= (0.92 + 0.16 * value_noise(rng, 120, 40))[..., None]  # fibre fuzz
    return to_uint8(rgb + grain(rng, 5)[..., None])


def marble() -> np.ndarray:
    rng = np.random.default_rng(9)
    # Ridged noise: 1 - |2n - 1| peaks along the mid-level contours of fractal noise, which wander
    # and branch like the veins of Carrara marble; a high power keeps them thin.
    veins = (1 - np.abs(2 * fbm(rng, 5) - 1)) ** 14
    threads = (1 - np.abs(2 * fbm(rng, 7) - 1)) ** 30  # a second, fainter network of hairline veins
    halo = cv2.GaussianBlur(veins, (0, 0), 4)  # mineral stain bleeding out either side of a vein
    base = mix([241, 239, 235], [210, 209, 208], fbm(rng, 3))  # soft cloudy greys in the white
    rgb = mix(base, [92, 94, 102], np.clip(0.75 * veins + 0.35 * halo + 0.25 * threads, 0, 1))
    return to_uint8(rgb + grain(rng, 2)[..., None])


TEXTURES = {"bricks": bricks, "wood": wood, "cobbles": cobbles, "fabric": fabric, "marble": marble}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder to write (default samples/textures)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for name, make in TEXTURES.items():
        Image.fromarray(make(), "RGB").save(args.out / f"{name}.png", optimize=True)
    total = sum((args.out / f"{name}.png").stat().st_size for name in TEXTURES)
    print(f"{len(TEXTURES)} textures, {total / 1e6:.2f} MB in {args.out} ({time.perf_counter() - start:.1f} s)")
    if total > MAX_BYTES:
        raise SystemExit(f"The textures are {total / 1e6:.2f} MB, over the 1 MB limit.")


if __name__ == "__main__":
    main()
