"""Draw images from a model on the command line.

  python -m genmodels.sample --model dcgan-32 --n 16 --seed 0 --out grid.png
  python -m genmodels.sample --model MODEL --blend 3 7 --steps 12 --out strip.png --gif blend.gif
  python -m genmodels.sample --model LABELLED_MODEL --label food --n 16 --out food.png
  python -m genmodels.sample --model LABELLED_MODEL --each-class --seed 5 --out classes.png
  python -m genmodels.sample --model LABELLED_MODEL --label food --class-strength 2 --out clearly-food.png
  python -m genmodels.sample --model LABELLED_MODEL --blend 5 5 --label cats --label-b dogs --out strip.png
  python -m genmodels.sample --model VAE_MODEL --blend-images a.jpg b.png --out strip.png --gif blend.gif
  python -m genmodels.sample --model TEXTURE_MODEL --size 1024 --seed 0 --out tile.png
  python -m genmodels.sample --model TEXTURE_MODEL --size 1024 --seed 0 --no-crisp --out network-tile.png
  python -m genmodels.sample --model TEXTURE_MODEL --morph 0 1 --size 2048 --out strip.png
"""
from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image

from .. import api
from ..errors import StudioError
from ..generation.media import write_gif, write_mp4
from ..generation.texture import MAX_SIZE, MIN_SIZE
from .common import OneLineParser, resolve_model, run_cli


TEXTURE_SIZE = 512


def build_parser() -> OneLineParser:
    p = OneLineParser(prog="python -m genmodels.sample", description=(
        "Draw a grid of images from a model, or blend between two seeds (any model) or two pictures "
        "(VAE models) into a strip PNG and an animated GIF. Texture models draw one seamless tile "
        "(--size) or a strip that morphs one texture into another (--morph)."))
    p.add_argument("--model", required=True, help="model folder, built-in model name, or preset (e.g. dcgan-32)")
    p.add_argument("--out", type=Path, help="output PNG: the grid, or the blend strip (required unless --list-classes)")
    p.add_argument("--n", type=int, default=16, help="number of images, 1-64 (default 16)")
    p.add_argument("--seed", type=int, default=0, help="first seed; image k uses seed+k (default 0)")
    p.add_argument("--variety", type=float, default=1.0, help="0-2: 1 = as trained, lower = safer (default 1)")
    p.add_argument("--columns", type=int, default=None, help="grid columns (default: square-ish)")
    p.add_argument("--label", default=None,
                   help="labelled models: the class to draw (a name from --list-classes; default any class); "
                        "with --blend, SEED_A's class")
    p.add_argument("--label-b", default=None, help="labelled models, with --blend: SEED_B's class (default --label)")
    p.add_argument("--each-class", action="store_true",
                   help="labelled models: one image of each class from --seed, in class order")
    p.add_argument("--list-classes", action="store_true", help="print a labelled model's classes and stop")
    p.add_argument("--class-strength", type=float, default=1.0,
                   help="labelled models, with a grid or --each-class: 1-3, 1 = the model's own per class, higher = "
                        "every class at least that clearly and less varied (default 1)")
    blend = p.add_mutually_exclusive_group()
    blend.add_argument("--blend", nargs=2, type=int, metavar=("SEED_A", "SEED_B"), help="blend two seeds")
    blend.add_argument("--blend-images", nargs=2, type=Path, metavar=("IMAGE_A", "IMAGE_B"),
                       help="blend two pictures (VAE models only)")
    blend.add_argument("--morph", nargs=2, type=int, metavar=("SEED_A", "SEED_B"),
                       help="texture models: a strip (--size wide, a quarter as high) turning SEED_A's texture "
                            "into SEED_B's")
    p.add_argument("--size", type=int, default=None,
                   help=f"texture models: the tile's side (or the morph strip's width) in px, {MIN_SIZE}-{MAX_SIZE} "
                        f"in the model's size step: 256 px (64 or 16 for texture models made before; the model card "
                        f"says which; default {TEXTURE_SIZE}); the tile repeats with no seam")
    p.add_argument("--crisp", action=argparse.BooleanOptionalAction, default=None,
                   help="texture models: rebuild the tile's (or morph strip's) detail from small pieces of the "
                        "training pictures the model keeps (its swatches): sharper grain and edges, the same "
                        "layout; a 1024 px tile in "
                        "under a second on a 2-core CPU, plus about a second to index the swatches. Default: on "
                        "when the model keeps swatches; --no-crisp draws the network's own detail")
    p.add_argument("--steps", type=int, default=10, help="blend frames including both ends, 2-120 (default 10)")
    p.add_argument("--path", choices=["smooth", "linear"], default="smooth", help="blend path (default smooth)")
    p.add_argument("--loop", action="store_true", help="blend there and back again (ping-pong)")
    p.add_argument("--gif", type=Path, help="also write the blend as an animated GIF")
    p.add_argument("--mp4", type=Path, help="also write the blend as an MP4 video")
    p.add_argument("--fps", type=float, default=12.0, help="GIF/MP4 frames per second, 1-60 (default 12)")
    return p


def _read_picture(path: Path):
    from ..data.safe_image import (
        load_image,  # safe decoding: format allow-list, pixel cap
    )

    return load_image(path)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.out is None and not args.list_classes:
        raise StudioError("--out is required: the PNG to write.")
    if args.out is not None and args.out.suffix.lower() != ".png":
        raise StudioError("--out must be a .png file.")
    if (args.gif or args.mp4) and not (args.blend or args.blend_images):
        raise StudioError("--gif and --mp4 need --blend or --blend-images.")
    model = resolve_model(args.model)
    info = api.describe(model)
    if args.list_classes:
        print("\n".join(info["classes"]) if info["classes"] else f"{info['name']} has no classes.")
        return 0
    if info["kind"] == "texture":
        return _texture(model, args)
    if (args.label or args.label_b or args.each_class) and not info["classes"]:
        raise StudioError(f"{info['name']} was not trained with classes; leave out --label and --each-class.")
    if args.class_strength != 1.0 and (args.blend or args.blend_images):
        raise StudioError("--class-strength is for grids and --each-class; leave it out of a blend.")
    if args.size is not None or args.morph or args.crisp is not None:
        raise StudioError("--size, --morph and --crisp are for texture models (train one with --model texture).")
    if args.blend:
        frames = api.blend_seeds(model, args.blend[0], args.blend[1], args.steps, args.path, args.variety, args.loop,
                                 args.label, args.label_b if args.label_b is not None else args.label)
    elif args.blend_images:
        a, b = (_read_picture(p) for p in args.blend_images)
        frames = api.blend_images(model, a, b, args.steps, args.path, args.loop)
    elif args.each_class:
        images = api.each_class(model, args.seed, args.variety, args.class_strength)[0]
        Image.fromarray(api.grid(images, args.columns)).save(args.out)
        print(f"wrote one image of each of {len(images)} classes to {args.out}")
        return 0
    else:
        images = api.generate(model, args.n, args.seed, args.variety, args.label, args.class_strength)
        Image.fromarray(api.grid(images, args.columns)).save(args.out)
        print(f"wrote {len(images)} images to {args.out}")
        return 0
    Image.fromarray(api.strip(frames)).save(args.out)
    print(f"wrote a {len(frames)}-frame strip to {args.out}")
    if args.gif:
        print(f"wrote {write_gif(frames, args.gif, args.fps)}")
    if args.mp4:
        print(f"wrote {write_mp4(frames, args.mp4, args.fps)}")
    return 0


def _texture(model, args) -> int:
    if args.blend or args.blend_images or args.gif or args.mp4:
        raise StudioError("Texture models draw tiles (--size) and morph strips (--morph), not blends.")
    size = TEXTURE_SIZE if args.size is None else args.size
    crisp = api.has_swatches(model) if args.crisp is None else args.crisp
    if args.morph:
        image = api.morph_texture(model, args.morph[0], args.morph[1], size, crisp)
        what = f"a {image.shape[1]} x {image.shape[0]} px morph strip{' with crisp detail' if crisp else ''}"
    else:
        image = api.draw_texture(model, args.seed, size, crisp)
        what = f"a seamless {size} x {size} px tile (seed {args.seed}{', crisp detail' if crisp else ''})"
    Image.fromarray(image).save(args.out)
    print(f"wrote {what} to {args.out}")
    return 0


def cli() -> None:
    """The installed command's entry point (pyproject.toml [project.scripts])."""
    run_cli(main)

