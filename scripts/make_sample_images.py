"""Write the Train tab's sample pictures, samples/emoji/*.png, from the Noto Emoji data set.

    python -m scripts.make_sample_images [--data ../shared/datasets/noto_emoji_64.npz] [--out samples/emoji]

The set is the round, mostly yellow emoji: the smileys, cat faces and people's heads, plus a few
round yellow objects (169 pictures from the 1,432). One family of shapes and colours is what a
small GAN learns in minutes on a laptop CPU, so a designer sees recognisable faces within the
first five minutes; the whole mixed set would show coloured blobs for much longer. The rule is
fixed (no randomness): a picture is kept when, with r = distance from the centre of the 64 px square,
  - at least 35 % of the disc r < 26 px is yellow (R > 190, G > 120, B < 110),
  - at least 85 % of that disc is not background (white: every channel > 235), and
  - at least 80 % of the ring r > 34 px (the corners) is background.
--theme random takes --count pictures at random (fixed seed) from the whole set instead.
Each is saved as a 64 x 64 RGB PNG (lossless, optimised) named after its row in the npz. The credit
goes into samples/README.md, outside the picture folder, so loading the folder skips nothing.
"""
from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "datasets" / "noto_emoji_64.npz"
DEFAULT_OUT = REPO / "samples" / "emoji"
MAX_BYTES = 2 * 1024 * 1024
MAX_IMAGES = 300

CREDITS = """# Sample pictures

`emoji/` holds {count} pictures for the Train tab's "use the sample images" button:
{what}, from Noto Emoji (Google), rendered from the Noto Color Emoji font (fonts-noto-color-emoji 2.042) at
64 x 64 px on white. Each file is named after its row in `noto_emoji_64.npz`.

Credit: **Noto Emoji (Google), Apache-2.0**. The emoji images are under the Apache License 2.0
(https://www.apache.org/licenses/LICENSE-2.0); the font file itself is under the SIL Open Font
License 1.1. Any model trained on these pictures should credit "Noto Emoji (Google), Apache-2.0".

Rebuild with `python -m scripts.make_sample_images` (the rule that picks them is in its docstring).
"""


def round_yellow(images: np.ndarray) -> np.ndarray:
    """Rows of uint8 (N, 64, 64, 3) that are round, mostly yellow emoji (see the module docstring)."""
    size = images.shape[1]
    yy, xx = np.mgrid[:size, :size]
    r = np.hypot(yy - (size - 1) / 2, xx - (size - 1) / 2) * (64 / size)  # in 64 px units
    x = images.astype(np.int16)
    yellow = (x[..., 0] > 190) & (x[..., 1] > 120) & (x[..., 2] < 110)  # (N, S, S)
    white = x.min(axis=-1) > 235
    disc, ring = r < 26, r > 34
    keep = ((yellow[:, disc].mean(1) >= 0.35) & ((~white)[:, disc].mean(1) >= 0.85)
            & (white[:, ring].mean(1) >= 0.80))
    return np.flatnonzero(keep)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="npz with `images` uint8 (N, 64, 64, 3)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder to (re)write (default samples/emoji)")
    parser.add_argument("--theme", choices=("faces", "random"), default="faces")
    parser.add_argument("--count", type=int, default=256, help="pictures for --theme random (default 256)")
    args = parser.parse_args()
    images = np.load(args.data)["images"]
    if args.theme == "faces":
        rows = round_yellow(images)
        what = "the round, mostly yellow emoji (smileys, cat faces, heads and a few round yellow things)"
    else:
        rows = np.sort(np.random.default_rng(0).choice(len(images), min(args.count, len(images)), replace=False))
        what = f"{len(rows)} emoji chosen at random (seed 0)"
    if len(rows) > MAX_IMAGES:
        raise SystemExit(f"{len(rows)} pictures selected; the sample set must stay at or under {MAX_IMAGES}.")
    if args.out.exists():
        shutil.rmtree(args.out)
    args.out.mkdir(parents=True)
    for row in rows:
        Image.fromarray(images[row]).save(args.out / f"noto_emoji_{row:04d}.png", optimize=True)
    readme = args.out.parent / "README.md"
    # The emoji section is this script's; the sections after it (textures/) belong to other scripts.
    rest = readme.read_text(encoding="utf-8").partition("\n## ")[2] if readme.exists() else ""
    readme.write_text(CREDITS.format(count=len(rows), what=what) + (f"\n## {rest}" if rest else ""),
                      encoding="utf-8")
    total = sum(p.stat().st_size for p in args.out.iterdir())
    print(f"{len(rows)} pictures, {total / 1e6:.2f} MB in {args.out}; credit in {args.out.parent / 'README.md'}")
    if total > MAX_BYTES:
        raise SystemExit(f"The sample set is {total / 1e6:.2f} MB, over the 2 MB limit.")


if __name__ == "__main__":
    main()
