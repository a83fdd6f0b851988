"""RELIABILITY.md "Training": a training process SIGKILLed while it saves.

`python -m genmodels.train` runs as a real subprocess, checkpointing after every step, and is killed
three times at random moments (once the instant a checkpoint's temp file appears, so mid-save; set
FAULT_SEED to replay the delays). After each kill the last checkpoint loads and never goes backwards;
each `--resume` removes the half-written temp file and continues; the finished run (resumed here,
in-process) equals one that was never interrupted, bit for bit: step, weights, EMA, both optimizers
(and so the RNG, which is a pure function of seed and step).
Stop pressed twice and divergence mid-run are in tests/genmodels/training/test_train.py.
"""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from genmodels.training.checkpoint import load_checkpoint
from genmodels.data.dataset import load_dataset
from genmodels.storage.store import load_model
from genmodels.training.loop import train
from genmodels.training.config import TrainConfig
from tests.train_helpers import write_discs

pytestmark = pytest.mark.slow  # kills training subprocesses

ROOT = Path(__file__).resolve().parents[3]
STEPS = 30
SETTINGS = dict(preset="dcgan-32", recipe="small-data", batch_size=8, seed=3, precision="fp32", device="cpu")


def command(data: Path, out: Path, resume: bool) -> list[str]:
    cmd = [sys.executable, "-m", "genmodels.train", "--data", str(data), "--out", str(out),
           "--model", SETTINGS["preset"], "--recipe", SETTINGS["recipe"], "--steps", str(STEPS),
           "--batch-size", str(SETTINGS["batch_size"]), "--seed", str(SETTINGS["seed"]),
           "--precision", SETTINGS["precision"], "--device", SETTINGS["device"],
           "--preview-every", "100000", "--checkpoint-minutes", "0.00001"]  # a checkpoint after every step
    return cmd + (["--resume"] if resume else [])


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR")}
    env.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    return env


def temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*.tmp"))


def wait_for(predicate, timeout: float = 60.0, poll: float = 0.002) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(poll)
    return False


def kill_at(proc: subprocess.Popen, ckpt: Path, moment: str, rng: random.Random, after_step: int) -> None:
    """Wait until the run has saved a checkpoint past after_step, then SIGKILL it at `moment`."""
    def saved_past() -> bool:  # the small readable copy, written after each checkpoint
        try:
            return json.loads((ckpt / "checkpoint.json").read_text())["step"] > after_step
        except (OSError, ValueError, KeyError):  # not written yet: keep waiting
            return False

    assert wait_for(lambda: proc.poll() is not None or saved_past(), poll=0.05), "no checkpoint appeared"
    assert proc.poll() is None, "the run ended before it could be killed; raise STEPS"
    if moment == "mid-save":  # the instant write_bytes_atomic's temp file exists
        wait_for(lambda: any(p.suffix == ".tmp" for p in ckpt.iterdir()) or proc.poll() is not None, timeout=10)
    else:
        time.sleep(rng.uniform(0.0, 0.25))
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)


@pytest.fixture(scope="module")
def pictures(tmp_path_factory):
    return write_discs(tmp_path_factory.mktemp("discs"), n=16)


def test_sigkill_while_saving_then_resume_equals_an_uninterrupted_run(pictures, tmp_path):
    out, ckpt = tmp_path / "run", tmp_path / "run" / "checkpoint"
    rng = random.Random(int(os.environ.get("FAULT_SEED", time.time())))
    steps_seen, left_behind = [], []
    for attempt, moment in enumerate(["random", "mid-save", "random"]):
        proc = subprocess.Popen(command(pictures, out, resume=attempt > 0), cwd=ROOT, env=environment(),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        kill_at(proc, ckpt, moment, rng, after_step=steps_seen[-1] if steps_seen else 0)
        assert proc.returncode == -signal.SIGKILL
        left_behind += temps(out)
        tensors, meta = load_checkpoint(ckpt)  # the previous checkpoint (or the new one) is whole
        assert all(torch.isfinite(t).all() for t in tensors.values() if t.is_floating_point())
        assert not steps_seen or meta["step"] >= steps_seen[-1]  # never goes backwards
        steps_seen.append(meta["step"])
    assert steps_seen[-1] < STEPS

    # Resume to the end, then the same run never interrupted; one thread, like the subprocesses.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        dataset = load_dataset(pictures, 32, 3)
        cfg = TrainConfig(minutes=None, max_steps=STEPS, preview_every=100000, checkpoint_minutes=0, **SETTINGS)
        events = list(train(cfg, dataset, out, resume=True))
        assert events[0].step == steps_seen[-1] and events[-1].kind == "finished"
        assert temps(out) == []  # whatever the kills left (left_behind), the resume removed
        list(train(cfg, dataset, tmp_path / "straight"))
    finally:
        torch.set_num_threads(threads)
    resumed, meta = load_checkpoint(ckpt)
    assert meta["step"] == STEPS
    assert load_model(out).meta["training"]["steps"] == STEPS
    straight, _ = load_checkpoint(tmp_path / "straight" / "checkpoint")
    assert straight.keys() == resumed.keys()
    assert any(k.startswith("ema/") for k in straight) and any(k.startswith("opt.g/") for k in straight)
    assert any(k.startswith("opt.d/") for k in straight)
    different = [k for k in straight if not torch.equal(straight[k], resumed[k])]
    assert not different, (different[:5], steps_seen, left_behind)


def test_resume_removes_only_stale_temp_files(pictures, tmp_path):
    """The clean-up is limited to write_bytes_atomic's own temp names in the run's folders."""
    out = tmp_path / "run"
    dataset = load_dataset(pictures, 32, 3)
    cfg = TrainConfig(minutes=None, max_steps=2, checkpoint_minutes=0, **SETTINGS)
    list(train(cfg, dataset, out))
    stale = [out / ".model.safetensors.abcd1234.tmp", out / "checkpoint" / ".checkpoint.safetensors.k9x2m1q0.tmp"]
    for path in stale:
        path.write_bytes(b"half a file")
    keep = [out / "notes.tmp", out / ".mine.abcd1234.tmp", out / "checkpoint" / "mine.txt"]
    for path in keep:
        path.write_text("the user's")
    list(train(TrainConfig(minutes=None, max_steps=3, checkpoint_minutes=0, **SETTINGS), dataset, out, resume=True))
    assert not any(p.exists() for p in stale)
    assert all(p.read_text() == "the user's" for p in keep)
    assert load_checkpoint(out / "checkpoint")[1]["step"] == 3
