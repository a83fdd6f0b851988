"""Texture models and the seamless edit, on the sample textures (samples/textures/): for each picture, train
the `texture` preset for the default budget (CPU time, one torch thread) and print

  fidelity  SWD (x 1e3) between 64 x 64 crops of 16 drawn textures (256 px) and crops of the picture, per
            pyramid level and mean, beside the floor (two independent sets of the picture's crops) and, for
            scale, the picture's own halves (crops of its left half against crops of its right half, as
            a multiple of the floor: how far a new piece of the same material is from this one) and two
            copies, the picture itself tiled 2 x 2 and cut into crops as the drawn textures are, as it is
            (seams and all) and after the `seamless` edit: what a model that reproduced its picture
            would score; and the same 16 seeds with crisp detail (drawn from the model's swatches,
            generation/texture_crisp.py, as the app, the API and the command line draw them by default)
            beside them; and both again over SEED_SETS sets of 16 seeds (seeds 0-127), mean and range;
  seams     postprocess.seam_score of the drawn textures (1.0 = the wrap-around edge is like any other
            pair of neighbouring pixels), mean (with its standard error) and worst of SEAM_TILES, beside
            the same ratio for the picture's own neighbouring rows and columns inside it (95th percentile:
            a regular pattern's rows differ by their phase, so even an invisible edge scores up to about
            that), and the picture's own seam before and after the `seamless` edit;
  grid      how much more a texture steps across the columns (rows) at one place in every 16 px than across
            the average column (row), the larger direction, mean of 16 textures, beside the picture's own:
            crisp detail's patches start every 16 px, and joins along straight lines there raise it (a
            mosaic of squares); about the picture's own figure = no grid to see;
  speed     training crops/s, and drawing one 1024 x 1024 texture (best of 3, all threads), with crisp detail
            (the default) and with the network's own detail (crisp=False, `--no-crisp`);

and save, per picture, a 3 x 3 tiled preview of one 256 px texture (and of it with crisp detail) and a
morph strip.

    python -m bench.texture [--minutes 5] [--textures bricks wood ...] [--preset texture-large] [--jobs 2]
                            [--out DIR]

Targets (issue 16): generated tiles' seam score <= 1.15; the edit brings a picture from well above that to
<= 1.15; fidelity <= 2x the floor after the default 5-minute training; a 1024 px texture in <= 1 s.
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
TEXTURES = REPO / "samples" / "textures"
DEFAULT_OUT = Path(tempfile.gettempdir()) / "latent-studio-bench-texture"
# A tile's seam score is one row and one column against the rest, so on a regular pattern it swings with the
# pattern's phase at the edge (a fabric's crisp tiles: 0.3 to 2.3); a mean of 16 moved by 0.1 between seed sets.
SEAM_TILES = 64
# One set of 16 seeds is a small sample of what a model draws, and the recipes were tuned on seeds 0-15 (README,
# "Judged over 128 seeds"): fidelity is also scored on SEED_SETS sets of 16, the first being seeds 0-15.
SEED_SETS = 8


def run_one(name: str, minutes: float, out: Path, preset: str = "texture") -> dict:
    """Train on one sample texture and measure it (runs in its own process, one torch thread)."""
    import torch
    from PIL import Image

    import postprocess
    from genmodels.data.safe_image import load_image
    from genmodels.data.texture_crops import DEFAULT_SCALE, _fit_short_side, load_texture_dataset
    from genmodels.evaluation.swd import swd
    from genmodels.evaluation.texture_quality import random_crops, texture_report
    from genmodels.generation.texture import draw_texture, morph_strip, tile
    from genmodels.generation.texture_crisp import crisp
    from genmodels.models.presets import get_preset
    from genmodels.storage.store import load_model
    from genmodels.training.config import TrainConfig
    from genmodels.training.loop import train

    torch.set_num_threads(1)
    path = TEXTURES / f"{name}.png"
    folder = out / name
    dataset = load_texture_dataset(path, get_preset(preset).crop_size)
    cfg = TrainConfig(preset=preset, minutes=minutes, checkpoint_minutes=0, preview_every=10**6)
    last = None
    for last in train(cfg, dataset, folder, clock=time.process_time):
        pass
    model = load_model(folder)
    source = _fit_short_side(load_image(path), 1, DEFAULT_SCALE)
    report = texture_report(model, random_crops([source], 256, 1), random_crops([source], 256, 2))
    half = source.shape[1] // 2
    halves = swd(random_crops([source[:, :half]], 256, 1), random_crops([source[:, half:]], 256, 2))["mean"]
    made_seamless = postprocess.seamless(source)
    copies = [swd(random_crops([source], 256, 1), random_crops([tile(picture, 2)], 256, 3))["mean"]
              for picture in (source, made_seamless)]
    per_set = len(report["textures"])
    more_seeds = range(per_set, max(SEAM_TILES, per_set * SEED_SETS))
    drawn_textures = report["textures"] + [draw_texture(model.network, model.config, seed, 256) for seed in more_seeds]
    seams = [postprocess.seam_score(t) for t in drawn_textures[:SEAM_TILES]]
    # as the app draws them: from the same seeds' layouts (a two-scale model's detail network left out)
    all_crisp = [crisp(draw_texture(model.network, model.config, seed, 256, layout=True), model.swatches,
                       model.config.crisp_patch) for seed in range(len(drawn_textures))]
    crisp_textures = all_crisp[:per_set]
    crisp_sets = set_swds(source, all_crisp, per_set, SEED_SETS)
    crisp_swd = crisp_sets[0]
    crisp_seams = [postprocess.seam_score(t) for t in all_crisp[:SEAM_TILES]]
    floor = report["floor"]["mean"]
    texture = report["textures"][0]
    Image.fromarray(tile(texture, 3)).save(out / f"{name}-tiled.png")
    Image.fromarray(tile(crisp_textures[0], 3)).save(out / f"{name}-crisp-tiled.png")
    Image.fromarray(morph_strip(model.network, model.config, 0, 1, 1024, 256, model.swatches)).save(
        out / f"{name}-morph.png")  # crisp, as drawn by default
    return {"texture": name, "steps": last.step, "crops_per_s": last.images_per_s,
            "swd": report["swd"]["levels"] | {"mean": report["swd"]["mean"]}, "floor": floor,
            "ratio": report["ratio"], "halves": halves / floor,
            "ratio_sets": [report["ratio"]] + [r["mean"] / floor for r in
                                               set_swds(source, drawn_textures[per_set:], per_set, SEED_SETS - 1)],
            "crisp_ratio_sets": [r["mean"] / floor for r in crisp_sets],
            "copy": copies[0] / floor, "seamless_copy": copies[1] / floor,
            "crisp_swd": crisp_swd["levels"] | {"mean": crisp_swd["mean"]},
            "crisp_ratio": crisp_swd["mean"] / floor, "crisp_patch": model.config.crisp_patch,
            "crisp_seam_mean": float(np.mean(crisp_seams)), "crisp_seam_max": float(np.max(crisp_seams)),
            "crisp_seam_error": standard_error(crisp_seams), "seam_error": standard_error(seams),
            "crisp_grid": float(np.mean([grid_score(t) for t in crisp_textures])), "picture_grid": grid_score(source),
            "seam_mean": float(np.mean(seams)), "seam_max": float(np.max(seams)),
            "inside_seam": inside_seam_range(source), "photo_seam": postprocess.seam_score(source),
            "photo_seam_after": postprocess.seam_score(made_seamless)}


def set_swds(source: np.ndarray, textures: list[np.ndarray], per_set: int, sets: int) -> list[dict]:
    """SWD against the picture of each of the first `sets` runs of per_set textures (seeds 0-15, 16-31, ...),
    each scored as texture_report scores seeds 0-15 (the same picture crops, crop seed and SWD seed)."""
    from genmodels.evaluation.swd import swd
    from genmodels.evaluation.texture_quality import random_crops

    real = random_crops([source], 256, 1)
    return [swd(real, random_crops(textures[k:k + per_set], 256, 3)) for k in range(0, sets * per_set, per_set)]


def spread(ratios: list[float]) -> str:
    """'mean (lowest-highest)' of the seed sets' figures."""
    return f"{np.mean(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f})"


def standard_error(values: list[float]) -> float:
    return float(np.std(values, ddof=1) / np.sqrt(len(values)))


def inside_seam_range(picture: np.ndarray, percentile: float = 95) -> float:
    """The seam score's ratio for each pair of neighbouring rows (and columns) inside a picture, averaged over
    the two directions as seam_score does, at a percentile: what a seam exactly like the picture's own
    neighbours can score."""
    from postprocess.tiling import _steps

    pixels = picture.astype(np.float64)
    rows, cols = _steps(pixels, 0), _steps(pixels, 1)
    n = min(len(rows), len(cols))
    return float(np.percentile((rows[:n] / rows.mean() + cols[:n] / cols.mean()) / 2, percentile))


def grid_score(picture: np.ndarray, period: int = 16) -> float:
    """The mean step between neighbouring columns (wrapping round), folded every `period` px: its largest
    phase over its mean phase, the larger of the column and row figures. 1.0 = steps spread evenly."""
    pixels = picture.astype(np.float64)
    scores = []
    for axis in (1, 0):
        steps = np.abs(pixels - np.roll(pixels, -1, axis)).sum(2).mean(1 - axis)
        steps = steps[:len(steps) // period * period].reshape(-1, period).mean(0)
        scores.append(steps.max() / steps.mean())
    return float(max(scores))


def draw_speed(folder: Path, crisp: bool = False) -> float:
    """Seconds to draw one 1024 x 1024 texture (with crisp detail or not), best of 3, with torch's default
    threads."""
    from genmodels.api.texture import draw_texture

    draw_texture(folder, 0, 1024, crisp)
    times = []
    for seed in range(3):
        t0 = time.perf_counter()
        draw_texture(folder, seed, 1024, crisp)
        times.append(time.perf_counter() - t0)
    return min(times)


def main(argv: list[str] | None = None) -> None:
    names = sorted(p.stem for p in TEXTURES.glob("*.png"))
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=5.0, help="CPU minutes of training per texture (default 5)")
    p.add_argument("--textures", nargs="+", choices=names, default=names)
    p.add_argument("--preset", choices=("texture", "texture-large"), default="texture",
                   help="the texture preset to train (default texture; texture-large: two scales)")
    p.add_argument("--jobs", type=int, default=2, help="trainings at once, one core each (default 2)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with ProcessPoolExecutor(args.jobs, mp_context=get_context("spawn")) as pool:
        n = len(args.textures)
        rows = list(pool.map(run_one, args.textures, [args.minutes] * n, [args.out] * n, [args.preset] * n))
    import torch

    from genmodels.training.precision import pick_precision

    precision = pick_precision("auto", torch.device("cpu"))[1]
    print(f"\n{args.preset}, {args.minutes:g} CPU-minutes per texture, one torch thread, training precision: "
          f"{precision}; SWD x 1e3 on 64 px crops (levels 64 / 32 / 16 px); first the network's own detail "
          f"(crisp=False, --no-crisp)")
    print(f"'all seeds': x floor of each set of 16 seeds (0-15, 16-31, ...), mean (lowest-highest) of {SEED_SETS} sets")
    print(f"{'texture':<9} {'steps':>6} {'crops/s':>8} {'64':>6} {'32':>6} {'16':>6} {'mean':>6} {'floor':>6} "
          f"{'x floor':>7} {'all seeds':>17} {'halves':>6} {'copy':>5} {'copy+edit':>9} {'seam (64)':>10} {'worst':>5} "
          f"{'inside':>6} {'photo seam':>10} {'after edit':>10}")
    for r in rows:
        s = r["swd"]
        print(f"{r['texture']:<9} {r['steps']:>6} {r['crops_per_s']:>8.0f} {s['64']:>6.1f} {s['32']:>6.1f} "
              f"{s['16']:>6.1f} {s['mean']:>6.1f} {r['floor']:>6.1f} {r['ratio']:>7.2f} {spread(r['ratio_sets']):>17} "
              f"{r['halves']:>6.2f} {r['copy']:>5.2f} {r['seamless_copy']:>9.2f} {r['seam_mean']:>5.2f} "
              f"±{r['seam_error']:.2f} {r['seam_max']:>5.2f} {r['inside_seam']:>6.2f} {r['photo_seam']:>10.2f} "
              f"{r['photo_seam_after']:>10.2f}")
    print(f"\nwith crisp detail (the default draw: the same textures rebuilt from the model's swatches, first patch "
          f"the model's own choice; SWD and grid 16, seams {SEAM_TILES})")
    print(f"{'texture':<9} {'first patch':>11} {'64':>6} {'32':>6} {'16':>6} {'mean':>6} {'x floor':>7} "
          f"{'all seeds':>17} {'seam':>10} {'worst':>5} {'grid':>5} {'picture grid':>12}")
    for r in rows:
        s = r["crisp_swd"]
        print(f"{r['texture']:<9} {r['crisp_patch']:>8} px {s['64']:>6.1f} {s['32']:>6.1f} {s['16']:>6.1f} "
              f"{s['mean']:>6.1f} "
              f"{r['crisp_ratio']:>7.2f} {spread(r['crisp_ratio_sets']):>17} {r['crisp_seam_mean']:>5.2f} "
              f"±{r['crisp_seam_error']:.2f} {r['crisp_seam_max']:>5.2f} {r['crisp_grid']:>5.2f} "
              f"{r['picture_grid']:>12.2f}")
    # every core, as the app draws: an OMP_NUM_THREADS=1 in the environment would otherwise make this one thread
    torch.set_num_threads(os.cpu_count() or 1)
    seconds, crisp_seconds = (draw_speed(args.out / rows[0]["texture"], crisp) for crisp in (False, True))
    print(f"\ndrawing a 1024 x 1024 texture with crisp detail (the default): {crisp_seconds:.2f} s, the network's "
          f"own detail {seconds:.2f} s (best of 3, {torch.get_num_threads()} threads)")
    results = {"rows": rows, "draw_1024_s": seconds, "draw_1024_crisp_s": crisp_seconds, "precision": precision}
    (args.out / "results.json").write_text(json.dumps(results, indent=2))
    print(f"tiled previews and morph strips: {args.out}")


if __name__ == "__main__":
    main()
