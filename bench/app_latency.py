"""Studio latency: cold start to the first HTTP 200, median end-to-end time through gradio_client to
generate 16 images at 64x64 and to apply one edit to a 1024x1024 image, and idle memory (RSS).
Targets: start <= 8 s, generate <= 150 ms, edit <= 250 ms, idle RSS <= 1.2 GB.

    python -m bench.app_latency [--weights-dir weights] [--repeats 20]

Uses the built-in models in --weights-dir (a 64x64 one must be there; with none, it saves an
untrained dcgan-64 into a temp folder: speed does not depend on what the weights learned).
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent

from bench.app_server import rss_mb, start_app
from bench.timing import median_ms


def model_64(weights: Path) -> tuple[Path, str]:
    import genmodels

    for label, folder in genmodels.list_models(weights).items():
        if genmodels.describe(folder)["image_size"] == 64 and genmodels.describe(folder)["kind"] == "gan":
            return weights, f"builtin:{Path(folder).name}"
    tmp = Path(tempfile.mkdtemp())
    m = genmodels.untrained_model("dcgan-64")
    genmodels.save_model(tmp / "untrained-64", m.network, m.config, {"name": "untrained dcgan-64"})
    return tmp, "builtin:untrained-64"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights-dir", type=Path, default=ROOT / "weights")
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    weights, key = model_64(args.weights_dir)
    start = time.perf_counter()
    try:
        proc, url = start_app(weights, Path(tempfile.mkdtemp()) / "app.log", timeout_s=120)
    except RuntimeError as exc:
        raise SystemExit(str(exc)) from None
    try:
        cold = time.perf_counter() - start
        time.sleep(2)
        idle = rss_mb(proc.pid)
        from gradio_client import Client, handle_file

        # download_files=False: the timing covers the request and the server's work and encoding, as in a
        # browser, which then fetches thumbnails lazily.
        client = Client(url, verbose=False, download_files=False)
        gen_ms = median_ms(lambda: client.predict(key, 16, 0, 1.0, api_name="/generate"), args.repeats)
        photo = Path(tempfile.mkdtemp()) / "photo.png"
        rng = np.random.default_rng(0)
        yy, xx = np.mgrid[:1024, :1024]
        img = np.stack([xx / 4, yy / 4, (xx + yy) / 8], -1) + rng.normal(0, 8, (1024, 1024, 3))
        Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(photo)
        client.predict(handle_file(str(photo)), api_name="/edit_load")
        edit_ms = median_ms(lambda: client.predict(1.3, api_name="/preview_contrast"), args.repeats)
        busy = rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(10)
    print(f"cpu threads: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")
    print(f"{'measure':44} {'value':>10} {'target':>10}")
    print(f"{'cold start to first HTTP 200 (s)':44} {cold:10.2f} {'<= 8':>10}")
    print(f"{'generate 16 images at 64x64, median (ms)':44} {gen_ms:10.1f} {'<= 150':>10}")
    print(f"{'one edit (contrast) on 1024x1024, median (ms)':44} {edit_ms:10.1f} {'<= 250':>10}")
    print(f"{'idle RSS after start (MB)':44} {idle:10.0f} {'<= 1229':>10}")
    print(f"{'RSS after the runs (MB)':44} {busy:10.0f}")


if __name__ == "__main__":
    main()
