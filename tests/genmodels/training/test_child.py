"""Training in a child process (genmodels/training/child.py): the app's runs go there."""
import os
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from genmodels import load_model, sharing_cores
from genmodels.data.dataset import load_dataset
from genmodels.errors import StudioError
from genmodels.models.presets import get_preset
from genmodels.training.child import train_in_child
from genmodels.training.config import TrainConfig
from genmodels.training.loop import train
from tests.train_helpers import write_discs

pytestmark = pytest.mark.slow  # each test starts a Python process that imports torch


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    cfg = get_preset("dcgan-32")
    return load_dataset(write_discs(tmp_path_factory.mktemp("discs")), cfg.image_size, cfg.channels)


def config(**kw):
    return TrainConfig(**{"preset": "dcgan-32", "recipe": "small-data", "minutes": None, "max_steps": 6,
                          "batch_size": 8, "precision": "fp32", "preview_every": 5, "seed": 3, **kw})


def _children() -> set[int]:
    """Live (not zombie) child processes of this one, from /proc (Linux)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and fields[0] != "Z":
            found.add(int(stat.parent.name))
    return found


def test_a_run_in_a_child_matches_the_same_run_in_this_process(dataset, tmp_path):
    here = list(train(config(), dataset, tmp_path / "here"))
    there = list(train_in_child(config(), dataset, tmp_path / "there", threading.Event()))
    assert [(e.kind, e.step) for e in there] == [(e.kind, e.step) for e in here]
    assert there[-1].kind == "finished" and there[-1].model_dir == str(tmp_path / "there")
    previews = [(a.preview, b.preview) for a, b in zip(here, there) if a.preview is not None]
    assert previews and all(b.dtype == np.uint8 and b.shape == a.shape for a, b in previews)
    assert there[1].losses.keys() == here[1].losses.keys()
    a, b = load_model(tmp_path / "here"), load_model(tmp_path / "there")
    for name, value in a.network.state_dict().items():  # same seed, same code: the same weights
        torch.testing.assert_close(b.network.state_dict()[name], value)
    assert not _children()


def test_a_run_told_to_share_the_cores_trains_on_to_its_end(dataset, tmp_path):
    with sharing_cores():  # a request at work all along: the child hears "share" as it starts, "alone" at the end
        events = list(train_in_child(config(), dataset, tmp_path / "shared", threading.Event()))
    assert events[-1].kind == "finished" and events[-1].step == 6  # the lines were not taken for "stop"
    assert not _children()


def test_stop_reaches_the_child_and_the_model_so_far_is_saved(dataset, tmp_path):
    stop = threading.Event()
    events = []
    for event in train_in_child(config(max_steps=100_000, preview_every=1000), dataset, tmp_path / "m", stop):
        events.append(event)
        if event.kind == "progress":
            stop.set()
    assert events[-1].kind == "stopped" and 0 < events[-1].step < 100_000
    assert load_model(tmp_path / "m").meta["training"]["steps"] == events[-1].step
    assert not _children()


def test_an_abandoned_stream_stops_its_child_which_still_saves(dataset, tmp_path):
    events = train_in_child(config(max_steps=100_000, preview_every=1000), dataset, tmp_path / "m",
                            threading.Event())
    assert next(events).kind == "started"
    assert _children()
    events.close()  # what the server does when the visitor leaves mid-run
    assert not _children()
    assert load_model(tmp_path / "m").meta["training"]["steps"] >= 0


def test_a_refusal_in_the_child_is_the_same_studio_error(dataset, tmp_path):
    with pytest.raises(StudioError, match="resume"):
        list(train_in_child(config(), dataset, tmp_path / "empty", threading.Event(), resume=True))
    assert not _children()


def test_a_child_that_dies_ends_the_run_with_one_sentence(dataset, tmp_path):
    events = train_in_child(config(max_steps=100_000, preview_every=1000), dataset, tmp_path / "m",
                            threading.Event())
    next(events)
    for pid in _children():
        os.kill(pid, 9)  # as the kernel's out-of-memory killer would
    with pytest.raises(StudioError, match="ended without finishing .*exit code -9"):
        list(events)
    assert not _children()


def test_the_child_exits_cleanly_after_its_last_event(dataset, tmp_path):
    """Its stop watcher still waits on stdin when the run ends: the child must exit with 0, not abort in the
    interpreter's shutdown over a reader that thread holds."""
    import subprocess
    import sys

    from genmodels.training.child import _read_event, _send_request

    child = subprocess.Popen([sys.executable, "-m", "genmodels.training"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _send_request(child.stdin, config(max_steps=2), dataset, tmp_path / "m", False)
    kinds = []
    while (event := _read_event(child.stdout)) is not None:
        kinds.append(event.kind)
    assert kinds[-1] == "finished"
    assert child.wait(60) == 0, child.stderr.read().decode()[-2000:]
    assert b"Fatal Python error" not in child.stderr.read()
    child.stdin.close()
