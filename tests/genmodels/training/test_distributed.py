"""Two processes under torchrun (gloo on CPU): the ranks end with identical weights, buffers, EMA and
optimizer states, only rank 0 writes the model folder, and a NaN on one rank stops both.

Each run is a real `python -m torch.distributed.run --nproc_per_node=2 --standalone -m genmodels.train`.
train() saves every rank's final state to $LATENT_STUDIO_RANK_STATE_DIR/rank<N>.safetensors (a
test-only hook), which the tests compare bit for bit.

This file is also the torchrun target of the divergence test: run as a script, it poisons one
rank's batch and then runs the normal CLI.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[3]
RANK_STATE_ENV = "LATENT_STUDIO_RANK_STATE_DIR"  # = genmodels.training.loop.RANK_STATE_ENV (not imported: see main)
POISON_ENV = "LATENT_STUDIO_TEST_POISON"  # "rank,step": that rank's batch at that step becomes inf

pytestmark = [pytest.mark.slow,  # two processes under torchrun
              pytest.mark.skipif(not torch.distributed.is_available() or not torch.distributed.is_gloo_available(),
                                 reason="torch.distributed with gloo is needed")]


def torchrun(target: list[str], data: Path, out: Path, states: Path, *flags: str, env: dict | None = None) -> str:
    """Run 2 processes on CPU; returns their combined output. A hang fails the test, not the session."""
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--standalone", *target,
           "--data", str(data), "--out", str(out), "--batch-size", "8", "--precision", "fp32",
           "--preview-every", "1000", *flags]
    full_env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", RANK_STATE_ENV: str(states),
                "CUDA_VISIBLE_DEVICES": "", **(env or {})}
    states.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(cmd, cwd=REPO, env=full_env, capture_output=True, text=True, timeout=150)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    return output


def cli(data, out, states, *flags, env=None) -> str:
    return torchrun(["-m", "genmodels.train"], data, out, states, *flags, env=env)


def assert_ranks_identical(states: Path) -> dict[str, torch.Tensor]:
    from genmodels.storage.safe_tensors_io import read_tensors

    a, b = read_tensors(states / "rank0.safetensors"), read_tensors(states / "rank1.safetensors")
    assert a.keys() == b.keys() and any(k.startswith("opt.") for k in a)
    different = [k for k in a if not torch.equal(a[k], b[k])]
    assert not different, f"ranks differ in {different[:5]}"
    return a


def assert_written_once(output: str, out: Path) -> None:
    """Only rank 0 reports, checkpoints and exports: one "model folder" line, one start line."""
    assert output.count("model folder:") == 1 and output.count(", 2 processes.") == 1, output[-2000:]
    assert {"config.json", "model.safetensors", "README.md"} <= {p.name for p in out.iterdir()}
    assert (out / "checkpoint" / "checkpoint.safetensors").is_file() and not list(out.rglob("*.tmp"))


@pytest.fixture(scope="module")
def pictures(tmp_path_factory):
    from tests.train_helpers import write_discs

    return write_discs(tmp_path_factory.mktemp("discs"))


def test_classic_gan_ranks_end_identical(pictures, tmp_path):
    # The classic recipe: a BatchNorm discriminator called twice (real, fake) before one backward.
    out = tmp_path / "m"
    output = cli(pictures, out, tmp_path / "states", "--model", "dcgan-32", "--recipe", "classic", "--steps", "4")
    state = assert_ranks_identical(tmp_path / "states")
    assert all(torch.isfinite(t).all() for t in state.values() if t.is_floating_point())
    assert_written_once(output, out)
    assert "Finished after 4 steps." in output

    from genmodels import load_model
    from genmodels.training.checkpoint import load_checkpoint

    assert load_model(out).meta["training"]["steps"] == 4
    tensors, meta = load_checkpoint(out / "checkpoint")
    assert meta["step"] == 4  # rank 0's checkpoint is every rank's state
    assert all(torch.equal(tensors[k], state[k]) for k in tensors)


def test_small_data_gan_resumes_on_every_rank(pictures, tmp_path):
    # Spectral norm (u vectors), DiffAugment and the EMA generator; the resumed run loads rank 0's
    # checkpoint on both ranks.
    out, flags = tmp_path / "m", ("--model", "dcgan-32", "--recipe", "small-data")
    cli(pictures, out, tmp_path / "first", *flags, "--steps", "2")
    output = cli(pictures, out, tmp_path / "states", *flags, "--steps", "4", "--resume")
    state = assert_ranks_identical(tmp_path / "states")
    assert any(k.startswith("ema/") for k in state) and any(k.endswith("weight_u") for k in state)
    assert_written_once(output, out)
    first = assert_ranks_identical(tmp_path / "first")
    assert not torch.equal(first["model/net.0.weight"], state["model/net.0.weight"])  # it did train on


def test_nan_on_one_rank_stops_every_rank(pictures, tmp_path):
    # Rank 1's batch at step 27 is inf: its VAE loss is NaN while rank 0's, computed before the
    # all-reduced update, is finite. Both must roll back to step 25 and stop, not hang or go on.
    out = tmp_path / "m"
    output = torchrun([str(Path(__file__))], pictures, out, tmp_path / "states", "--model", "vae-32",
                      "--steps", "40", env={POISON_ENV: "1,27"})
    assert_ranks_identical(tmp_path / "states")
    assert "diverged at step 27" in output and "kept the model from step 25" in output
    assert_written_once(output, out)

    from genmodels import load_model

    assert load_model(out).meta["training"]["steps"] == 25


def _poisoned_cli() -> int:
    """The torchrun target of test_nan_on_one_rank_stops_every_rank: the CLI with one bad batch."""
    from genmodels.cli.common import run_cli
    from genmodels.training.loop import _Run
    from genmodels.cli.train import main

    bad_rank, bad_step = map(int, os.environ[POISON_ENV].split(","))
    original = _Run._batch

    def poisoned(self):
        real, labels = original(self)  # the pictures and (for a labelled set) their classes
        return (real * float("inf") if (self.rank, self.step) == (bad_rank, bad_step) else real), labels

    _Run._batch = poisoned
    run_cli(main)
    return 0


if __name__ == "__main__":
    _poisoned_cli()


def test_two_stage_vae_ranks_end_identical(pictures, tmp_path):
    # Two optimisers per stage: DDP skips the detail network in first-stage steps, then the detail
    # network and its critic train on every rank's shard.
    out = tmp_path / "m"
    output = cli(pictures, out, tmp_path / "states", "--model", "vae-64", "--steps", "4")
    state = assert_ranks_identical(tmp_path / "states")
    assert any(k.startswith("critic/") for k in state) and any(k.startswith("opt.detail/") for k in state)
    assert_written_once(output, out)
