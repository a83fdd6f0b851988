"""RELIABILITY.md "Images" and "Archives and uploads", end to end through the Python facade.

Every file of tests/hostile_files.py goes through the paths a visitor's upload takes: the single
image loads (genmodels.load_image, then encode_picture / reconstruct / blend_images for the Edit and
Blend tabs), a training dataset (prepare_dataset, alone and beside a good picture) and a model zip
import. Each ends in one clear StudioError sentence (or correct RGB for the odd but valid files)
within 2 s, with bounded memory and nothing written to disk.
"""
from __future__ import annotations

import os
import re
import sys
import time
import tracemalloc
from contextlib import contextmanager

import numpy as np
import pytest

import genmodels
from genmodels.data.dataset import DatasetError
from genmodels.errors import StudioError
from genmodels.data.safe_image import ImageLoadError
from tests.hostile_files import IMAGES, ZIPS, good_png, write_case

SECONDS = 2.0  # RELIABILITY's bound for any one hostile file

# -- watching for writes -------------------------------------------------------------------------------------
# An audit hook sees every open() and every file-system change the interpreter makes (C extensions
# that open files through Python's io included). It cannot be removed, so it only records while on.
_writes: list[str] | None = None
_WRITE_EVENTS = {"os.mkdir", "os.rename", "os.replace", "os.symlink", "os.link", "os.truncate", "shutil.copyfile",
                 "shutil.move", "tempfile.mkstemp", "tempfile.mkdtemp"}


def _audit(event: str, args: tuple) -> None:
    if _writes is None:
        return
    if event == "open" and len(args) >= 3:
        path, mode, flags = args[0], args[1], args[2]
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))
        if writing:
            _writes.append(f"open {path!r} {mode!r}")
    elif event in _WRITE_EVENTS:
        _writes.append(f"{event} {args[:2]!r}")


sys.addaudithook(_audit)


@contextmanager
def no_writes():
    """Fails if anything inside opens a file for writing or changes the file system."""
    global _writes
    _writes = []
    try:
        yield
    finally:
        seen, _writes = _writes, None
    assert not seen, seen


@contextmanager
def within(seconds: float = SECONDS, wall: float = 15.0):
    """The work takes under `seconds` of this process's CPU time (robust on a busy shared machine, and
    what a bomb really costs), and never hangs (a generous wall-clock bound)."""
    cpu, start = time.process_time(), time.perf_counter()
    yield
    used, elapsed = time.process_time() - cpu, time.perf_counter() - start
    assert used < seconds and elapsed < wall, f"took {used:.2f} s of CPU, {elapsed:.2f} s in all"


def one_sentence(message: str, name: str) -> None:
    assert message.startswith(name) or message.startswith("No usable images found"), message
    assert message.endswith(".") and "\n" not in message and "Traceback" not in message, message
    assert "/tmp" not in message and os.sep + "pytest" not in message, message  # never a server path


# -- fixtures ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return tmp_path_factory.mktemp("hostile")


@pytest.fixture(scope="module")
def vae(tmp_path_factory):
    """A tiny VAE, loaded once: the model Edit and Blend uploads meet."""
    import torch

    from genmodels.storage.store import save_model
    from genmodels.models.vae import VAE
    from tests.conftest import TINY_VAE

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        folder = save_model(tmp_path_factory.mktemp("m") / "vae", VAE(TINY_VAE).eval(), TINY_VAE, {"name": "v"})
    return genmodels.get_model(folder)


@pytest.fixture(scope="module")
def good(corpus):
    path = corpus / "good.png"
    path.write_bytes(good_png(42))
    return path


# -- single pictures (Edit, Blend, the VAE's "start from my picture") ---------------------------------------

@pytest.mark.parametrize("name", sorted(IMAGES))
def test_single_picture_paths(name, corpus, vae):
    case, path = IMAGES[name], write_case(corpus, name)
    with no_writes(), within():
        try:
            rgb = genmodels.load_image(str(path))
        except StudioError as err:
            outcome, message = "refused", str(err)
        else:
            outcome = "rgb"
            assert rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3
            # the array is what every other facade call gets: it must be usable as it is
            z = genmodels.encode_picture(vae, rgb)
            assert z.shape == (vae.z_dim,) and np.isfinite(z).all()
            assert genmodels.reconstruct(vae, rgb).shape == (32, 32, 3)
            assert len(genmodels.blend_images(vae, rgb, rgb, steps=2)) == 2
    if case.expect == "either":
        if outcome == "refused":
            one_sentence(message, name)
        return
    assert outcome == case.expect, f"{name}: {outcome}"
    if outcome == "refused":
        one_sentence(message, name)
        with pytest.raises(ImageLoadError) as err:
            genmodels.load_image(str(path))
        assert err.value.kind == case.kind
    else:
        assert case.check(rgb), rgb[:2, :4].tolist()


def test_decompression_bomb_png_keeps_memory_flat(corpus):
    path = write_case(corpus, "bomb.png")
    assert path.stat().st_size < 500_000  # 20000 x 20000 pixels: 1.2 GB as RGB
    tracemalloc.start()
    try:
        with pytest.raises(ImageLoadError, match=r"^bomb\.png is too large"):
            genmodels.load_image(str(path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000, peak  # the file itself, plus Pillow's header parse


def test_eps_never_starts_ghostscript(corpus, monkeypatch):
    import subprocess

    import PIL.EpsImagePlugin as eps

    for target in (subprocess, eps.subprocess):
        monkeypatch.setattr(target, "Popen", lambda *a, **k: pytest.fail("a process was started"))
        monkeypatch.setattr(target, "check_call", lambda *a, **k: pytest.fail("a process was started"))
    monkeypatch.setattr(eps, "gs_windows_binary", None, raising=False)
    with pytest.raises(ImageLoadError, match="not a supported image"):
        genmodels.load_image(str(write_case(corpus, "eps.png")))
    with pytest.raises(DatasetError, match="No usable images found"):
        genmodels.prepare_dataset([str(write_case(corpus, "eps.png"))], "vae-32")


# -- training datasets ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(IMAGES))
def test_each_picture_in_a_dataset_is_used_or_skipped_and_counted(name, corpus, good):
    case, path = IMAGES[name], write_case(corpus, name)
    with no_writes(), within():
        dataset = genmodels.prepare_dataset([str(good), str(path)], "dcgan-32")
    report = dataset.report
    if case.expect == "rgb":
        assert len(dataset) == 2 and not report.skipped
    elif case.expect == "refused":
        assert len(dataset) == 1 and report.skipped == [(name, report.skipped[0][1])]
        assert report.skipped_by_kind == {case.kind: 1}
    else:
        assert len(dataset) + len(report.skipped) == 2
    assert str(dataset.images.dtype) == "torch.uint8" and tuple(dataset.images.shape[1:]) == (3, 32, 32)


def test_a_dataset_of_only_hostile_pictures_is_one_clear_error(corpus):
    names = [n for n, c in IMAGES.items() if c.expect == "refused"]
    paths = [str(write_case(corpus, n)) for n in names]
    with no_writes(), within(), pytest.raises(DatasetError) as err:
        genmodels.prepare_dataset(paths, "vae-32")
    message = str(err.value)
    one_sentence(message, "No usable images found")
    assert f"{len(names)} files were skipped" in message and "not images" in message and "too large" in message


@pytest.mark.parametrize("name", sorted(ZIPS))
def test_each_zip_as_a_dataset(name, corpus):
    case, path = ZIPS[name], write_case(corpus, name)
    with no_writes(), within():
        try:
            dataset = genmodels.prepare_dataset([str(path)], "dcgan-32")
        except DatasetError as err:
            outcome, message = "error", str(err)
        else:
            outcome = "partial"
    assert outcome == case.expect, name
    if outcome == "error":
        one_sentence(message, name)
        assert re.search(case.match, message), message
    else:
        assert len(dataset) == case.usable
        assert dataset.report.skipped_by_kind == {case.kind: case.skipped}
        assert all(reason.startswith(("unsafe", "symbolic")) for _, reason in dataset.report.skipped)


@pytest.mark.parametrize("name", ["bomb.zip", "overlap.zip"])
def test_zip_bombs_stop_early_with_bounded_memory(name, corpus):
    path = write_case(corpus, name)
    tracemalloc.start()
    try:
        with pytest.raises(DatasetError, match="20 times its own size"):
            genmodels.prepare_dataset([str(path)], "dcgan-32")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 200_000_000, peak  # the bomb claims 0.8-1.2 GB; at most one 64 MB member is held


@pytest.mark.slow
def test_spec_sized_bomb_10mb_to_10gb_stops_early(tmp_path):
    """RELIABILITY's own numbers: a 10 MB zip that unpacks to 10 GB."""
    from tests.hostile_files import zip_bomb

    path = tmp_path / "huge.zip"
    path.write_bytes(zip_bomb(members=170, member_mb=60))  # 170 x 60 MB = 10.2 GB, ~10 MB compressed
    assert 9_000_000 < path.stat().st_size < 12_000_000
    with within(), pytest.raises(DatasetError, match="^huge.zip unpacks to more than 20 times its own size"):
        genmodels.prepare_dataset([str(path)], "dcgan-32")


# -- model zips ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(ZIPS))
def test_hostile_zips_are_never_imported_as_models(name, corpus, tmp_path):
    path = write_case(corpus, name)
    dest = tmp_path / "models"
    dest.mkdir()
    with within(), pytest.raises(StudioError) as err:
        genmodels.import_model_zip(path, dest)
    one_sentence(str(err.value), name)
    assert list(dest.iterdir()) == []  # nothing left behind, nothing written elsewhere by name


@pytest.mark.slow
def test_model_zip_bomb_stops_early(tmp_path):
    """A model zip whose weights unpack to 100 MB of zeros: refused after the small-zip cap."""
    import io
    import json
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("m/config.json", json.dumps({"format_version": 1}))
        zf.writestr("m/model.safetensors", bytes(100 << 20))
    path = tmp_path / "model.zip"
    path.write_bytes(buf.getvalue())
    dest = tmp_path / "models"
    dest.mkdir()
    with within(), pytest.raises(StudioError, match=r"^model\.zip unpacks to more than 32 MB"):
        genmodels.import_model_zip(path, dest)
    assert list(dest.iterdir()) == []
