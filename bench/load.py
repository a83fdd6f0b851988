"""Load: many clients generating while one model trains, then repeated train/generate/stop cycles, then
the most expensive requests a visitor may send while others generate.
Targets: 0 failed requests, the queue reports positions, generate latency back to normal once the
load stops, and the server's RSS within 10% after the cycles; in phase 3, Generate's p95 within 2x
of its p95 without the expensive requests, and the server's RSS back within 10% afterwards.

    python -m bench.load [--clients 20] [--seconds 60] [--cycles 50] [--weights-dir weights]
    python -m bench.load --phases 3          # only the expensive-requests phase

It starts `app.py` on loopback (127.0.0.1, a free port) as a separate process, so the RSS is the
server's alone. Phase 1: one client uses the sample images and starts a training run through the
Train tab's endpoints; meanwhile --clients clients (one session each) call /generate in a loop for
--seconds; each request's latency and the highest queue position its client was told are kept.
Then the training is stopped and a few single generate calls show the latency after the load.
Phase 2: one session runs --cycles cycles of start a short training, generate, Stop, and the
server's RSS is read before, after the first (warm-up) cycle and at the end.
Phase 3: --clients clients generate for --seconds alone, then for --seconds again while two more
clients drop, back to back, a small PNG whose recipe carries the dearest edit stack the work budget
allows (three 4x upscales to 4096 px, then non-local-means denoising, watercolour, cartoon and four
lighter filters: about 27 of the 30 budgeted seconds); Generate's p95 is compared between the two, and the server's RSS is
read before and after.
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from bench.app_server import rss_mb, start_app

SAMPLES = ROOT / "samples" / "emoji"


def client_for(url: str):
    from gradio_client import Client

    # download_files=False: a browser fetches thumbnails lazily; the latency is the request and the
    # server's work, as in bench/app_latency.py.
    return Client(url, verbose=False, download_files=False)


def sample_pictures(n: int | None = None) -> list:
    from gradio_client import handle_file

    return [handle_file(str(p)) for p in sorted(SAMPLES.glob("*.png"))[:n]]


def start_training(client, pictures: list, minutes: float, batch: int = 64, timeout_s: float = 120):
    """Submit /train and wait for its first update (the run holds the training slot); -> the job."""
    job = client.submit(pictures, "gan", 32, False, "crop", "small-data", minutes, 0, batch, api_name="/train")
    deadline = time.perf_counter() + timeout_s
    while not job.outputs():
        if job.done():
            job.result()  # raises the server's error
            raise RuntimeError("the training ended before its first update")
        if time.perf_counter() > deadline:
            raise RuntimeError("no training update within the timeout")
        time.sleep(0.05)
    return job


def stop_training(client, job, timeout_s: float = 180) -> tuple:
    """Press Stop and wait for the run to end (model saved, quality figures): -> its final outputs."""
    client.predict(api_name="/stop_training")
    return job.result(timeout=timeout_s)


@dataclass
class LoadResult:
    latencies_ms: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    max_rank: int = -1  # the highest queue position any client was told (0 = next in line)
    max_queue_size: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def requests(self) -> int:
        return len(self.latencies_ms) + len(self.failures)


def one_generate(client, model: str, count: int, seed: int, result: LoadResult | None = None) -> float:
    """One /generate call, watching the queue position it is given; -> milliseconds."""
    start = time.perf_counter()
    job = client.submit(model, count, seed, 1.0, api_name="/generate")
    rank, size = -1, 0
    while not job.done():
        st = job.status()
        if st.rank is not None:
            rank = max(rank, st.rank)
        if st.queue_size is not None:
            size = max(size, st.queue_size)
        time.sleep(0.01)
    gallery, _ = job.result()
    ms = (time.perf_counter() - start) * 1000
    if len(gallery) != count:
        raise RuntimeError(f"asked for {count} images, got {len(gallery)}")
    if result is not None:
        with result.lock:
            result.max_rank, result.max_queue_size = max(result.max_rank, rank), max(result.max_queue_size, size)
    return ms


def generate_load(url: str, model: str, clients: int, seconds: float, count: int = 16) -> LoadResult:
    """`clients` sessions call /generate back to back for `seconds`; every failure is recorded."""
    result = LoadResult()
    with ThreadPoolExecutor(8) as pool:  # each client fetches the app's config first
        sessions = list(pool.map(lambda _: client_for(url), range(clients)))
    barrier = threading.Barrier(clients)

    def worker(k: int) -> None:
        barrier.wait()
        deadline = time.perf_counter() + seconds
        seed = k * 1000
        while time.perf_counter() < deadline:
            try:
                ms = one_generate(sessions[k], model, count, seed, result)
                with result.lock:
                    result.latencies_ms.append(ms)
            except Exception as exc:  # noqa: BLE001 - every failure counts, whatever it is
                with result.lock:
                    result.failures.append(f"{type(exc).__name__}: {exc}")
            seed += 1

    threads = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 300)
    for c in sessions:
        c.close()
    return result


# The dearest restore the budget allows on a 64 px model: priced ~27 of the 30 budgeted seconds
# (`python -m bench.edit_speed --costs` checks the prices).
EXPENSIVE_EDITS = [("upscale", {"factor": 4})] * 3 + [("denoise", {"method": "best"}), ("watercolour", {}),
                                                      ("cartoon", {}), ("film_grain", {}), ("local_contrast", {}),
                                                      ("sharpen", {}), ("neon", {}), ("vignette", {})]


IDLE_MINUTES = 1  # phase 3's server closes a session a minute after its last request (the API clients have no page)


def expensive_png(folder: Path, model_name: str) -> Path:
    """A PNG of a few KB whose recipe asks for EXPENSIVE_EDITS (what a hostile visitor would drop)."""
    import numpy as np

    import postprocess

    path = folder / "expensive.png"
    postprocess.save_png(path, np.zeros((64, 64, 3), np.uint8), recipe={"model": model_name, "seed": 1},
                         edit_stack=postprocess.EditStack(EXPENSIVE_EDITS))
    return path


def expensive_load(url: str, png: Path, clients: int, stop: threading.Event) -> list[float]:
    """`clients` sessions drop the expensive PNG on Generate back to back until `stop`; -> seconds each."""
    from gradio_client import handle_file

    times: list[float] = []

    def worker() -> None:
        client = client_for(url)
        while not stop.is_set():
            start = time.perf_counter()
            try:
                client.predict(handle_file(str(png)), api_name="/restore_png")
                times.append(time.perf_counter() - start)
            except Exception as exc:  # noqa: BLE001 - a refusal would make the phase meaningless: say so
                print(f"  expensive request failed: {type(exc).__name__}: {exc}")
                return
        client.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    stop.wait()
    for t in threads:
        t.join(120)
    return times


def phase_expensive(url: str, pid: int, model: str, model_name: str, clients: int, seconds: float,
                    count: int) -> None:
    """Phase 3: Generate's p95 alone and beside two clients sending the dearest allowed requests."""
    png = expensive_png(Path(tempfile.mkdtemp()), model_name)
    generate_load(url, model, 2, 10, count)  # warm-up
    rss_before = rss_mb(pid)
    alone = generate_load(url, model, clients, seconds, count)
    stop = threading.Event()
    heavy: list[float] = []
    sender = threading.Thread(target=lambda: heavy.extend(expensive_load(url, png, 2, stop)), daemon=True)
    sender.start()
    time.sleep(2)  # the first expensive request is running
    beside = generate_load(url, model, clients, seconds, count)
    stop.set()
    sender.join(180)
    rss_peak = rss_mb(pid)
    # The clients have gone; the server closes their sessions after its idle timeout (1 minute here).
    time.sleep(IDLE_MINUTES * 60 + 45)
    rss_after = rss_mb(pid)
    p95_alone, p95_beside = percentile(alone.latencies_ms, 95), percentile(beside.latencies_ms, 95)
    print(f"\nphase 3: {clients} clients generating for {seconds:.0f} s alone, then beside 2 clients sending "
          f"the dearest allowed restore")
    print(f"{'measure':52} {'value':>10} {'target':>8}")
    print(f"{'expensive requests completed (median s each)':52} {len(heavy):4d} ({statistics.median(heavy or [0]):.1f})")
    print(f"{'generate requests alone / beside':52} {len(alone.latencies_ms):4d} / {len(beside.latencies_ms):d}")
    print(f"{'failed generate requests':52} {len(alone.failures) + len(beside.failures):10d} {'0':>8}")
    print(f"{'generate p50 alone / beside (ms)':52} {percentile(alone.latencies_ms, 50):5.0f} / "
          f"{percentile(beside.latencies_ms, 50):.0f}")
    print(f"{'generate p95 alone (ms)':52} {p95_alone:10.0f}")
    print(f"{'generate p95 beside the expensive requests (ms)':52} {p95_beside:10.0f}")
    print(f"{'  ... ratio':52} {p95_beside / p95_alone:9.2f}x {'<= 2x':>8}")
    print(f"{'server RSS before / at the end / sessions closed (MB)':52} {rss_before:5.0f} / {rss_peak:.0f} / "
          f"{rss_after:.0f}")
    print(f"{'  ... change (%)':52} {100 * (rss_after - rss_before) / rss_before:+10.1f} {'<= 10':>8}")


def cycle(client, pictures: list, model: str, minutes: float = 0.5, batch: int = 8) -> tuple:
    """Start a short training, generate while it runs, Stop it; -> the run's final outputs."""
    job = start_training(client, pictures, minutes, batch)
    one_generate(client, model, 16, 0)
    final = stop_training(client, job)
    if "model picker" not in final[0]:
        raise RuntimeError(f"the stopped run did not save its model: {final[0]}")
    return final


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))] if ordered else float("nan")


def builtin_key(weights: Path) -> str:
    import genmodels

    folders = list(genmodels.list_models(weights).values())
    if not folders:
        raise SystemExit(f"no models in {weights}")
    preferred = [f for f in folders if Path(f).name == "emoji-gan-64"]
    return f"builtin:{Path((preferred or folders)[0]).name}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights-dir", type=Path, default=ROOT / "weights")
    parser.add_argument("--clients", type=int, default=20, help="concurrent generating sessions (default 20)")
    parser.add_argument("--seconds", type=float, default=60, help="how long they generate (default 60)")
    parser.add_argument("--count", type=int, default=16, help="images per generate call (default 16)")
    parser.add_argument("--cycles", type=int, default=50, help="train/generate/stop cycles (default 50)")
    parser.add_argument("--phases", default="123", help="which phases to run (default 123)")
    args = parser.parse_args()
    model = builtin_key(args.weights_dir)
    log = Path(tempfile.mkdtemp()) / "app.log"
    if "3" in args.phases:
        import genmodels

        name = genmodels.describe(args.weights_dir / model.removeprefix("builtin:"))["name"]
        proc, url = start_app(args.weights_dir, log, extra=("--idle-minutes", str(IDLE_MINUTES)))
        try:
            phase_expensive(url, proc.pid, model, name, args.clients, args.seconds, args.count)
        finally:
            proc.terminate()
            proc.wait(15)
        if not set("12") & set(args.phases):
            return
    proc, url = start_app(args.weights_dir, log)
    try:
        rss_start = rss_mb(proc.pid)
        trainer = client_for(url)
        offered = trainer.predict(api_name="/use_sample_images")
        pictures = sample_pictures()
        one_generate(trainer, model, args.count, 0)  # warm-up
        idle = [one_generate(trainer, model, args.count, k) for k in range(5)]
        # A budget that outlasts the load: the run is stopped by hand once the load ends.
        minutes = min(60.0, max(0.5, round((args.seconds + 60) / 30) / 2))
        job = start_training(trainer, pictures, minutes)
        training = [one_generate(trainer, model, args.count, k) for k in range(5)]
        load = generate_load(url, model, args.clients, args.seconds, args.count)
        still_training = not job.done()
        after_training = [one_generate(trainer, model, args.count, k) for k in range(5)]
        t0 = time.perf_counter()
        final = stop_training(trainer, job)
        stop_s = time.perf_counter() - t0
        after = [one_generate(trainer, model, args.count, k) for k in range(5)]
        rss_after_load = rss_mb(proc.pid)

        cycler = client_for(url)
        small = sample_pictures(32)
        rss_before = rss_mb(proc.pid)
        rss_series = [rss_before]
        t0 = time.perf_counter()
        cycle_failures = []
        for k in range(args.cycles):
            try:
                cycle(cycler, small, model)
            except Exception as exc:  # noqa: BLE001
                cycle_failures.append(f"cycle {k}: {type(exc).__name__}: {exc}")
            rss_series.append(rss_mb(proc.pid))
        cycles_s = time.perf_counter() - t0
        # After Stop the slot is free: a fresh run starts at once.
        slot_free = cycle(cycler, small, model) is not None
    finally:
        proc.terminate()
        proc.wait(15)

    lat = load.latencies_ms
    print(f"cpu threads: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}, model {model}, "
          f"{args.count} images per call")
    print(f"\nphase 1: {args.clients} clients generating for {args.seconds:.0f} s while one model trains "
          f"(sample images: {len(offered)} offered, {len(pictures)} uploaded)")
    print(f"{'measure':52} {'value':>10} {'target':>8}")
    print(f"{'requests completed':52} {len(lat):10d}")
    print(f"{'failed requests':52} {len(load.failures):10d} {'0':>8}")
    print(f"{'latency p50 (ms)':52} {percentile(lat, 50):10.0f}")
    print(f"{'latency p95 (ms)':52} {percentile(lat, 95):10.0f}")
    print(f"{'latency max (ms)':52} {max(lat, default=float('nan')):10.0f}")
    print(f"{'throughput (requests/s)':52} {len(lat) / args.seconds:10.1f}")
    print(f"{'highest queue position seen (0 = next)':52} {load.max_rank:10d}")
    print(f"{'largest queue size seen':52} {load.max_queue_size:10d}")
    print(f"{'training still running at the end of the load':52} {str(still_training):>10}")
    print(f"{'generate alone, idle, median (ms)':52} {statistics.median(idle):10.0f}")
    print(f"{'generate alone, while training, before load (ms)':52} {statistics.median(training):10.0f}")
    print(f"{'generate alone, while training, after load (ms)':52} {statistics.median(after_training):10.0f}")
    print(f"{'Stop to the run saved, quality checked (s)':52} {stop_s:10.1f}")
    print(f"{'generate alone, after Stop, median (ms)':52} {statistics.median(after):10.0f}")
    print(f"{'  ... vs idle before the load':52} {statistics.median(after) / statistics.median(idle):9.2f}x {'~1x':>8}")
    print(f"{'run ended with':52} {final[0].split('</p>')[0].split('>')[-1][:60]}")
    for message in sorted(set(load.failures))[:10]:
        print(f"  failure: {message}")

    print(f"\nphase 2: {args.cycles} cycles of train (32 images, batch 8) / generate / Stop, "
          f"{cycles_s / max(1, args.cycles):.1f} s each")
    warm = rss_series[1] if len(rss_series) > 1 else rss_before
    end = rss_series[-1]
    print(f"{'server RSS at launch (MB)':52} {rss_start:10.0f}")
    print(f"{'server RSS after phase 1 (MB)':52} {rss_after_load:10.0f}")
    print(f"{'server RSS before the cycles (MB)':52} {rss_before:10.0f}")
    print(f"{'server RSS after the first cycle (MB)':52} {warm:10.0f}")
    print(f"{'server RSS after the last cycle (MB)':52} {end:10.0f}")
    print(f"{'change over the cycles (%)':52} {100 * (end - rss_before) / rss_before:+10.1f} {'<= 10':>8}")
    print(f"{'change after the warm-up cycle (%)':52} {100 * (end - warm) / warm:+10.1f}")
    print(f"{'failed cycles':52} {len(cycle_failures):10d} {'0':>8}")
    print(f"{'a new run starts after the last Stop':52} {str(slot_free):>10}")
    tenth = max(1, len(rss_series) // 10)
    print("RSS every ~10% of the cycles (MB): " + " ".join(f"{v:.0f}" for v in rss_series[::tenth]))
    for message in cycle_failures[:10]:
        print(f"  failure: {message}")


if __name__ == "__main__":
    main()
