import pytest
import subprocess
import sys

import imageio.v3 as iio
import numpy as np
from PIL import Image

pytestmark = pytest.mark.slow  # runs the command line in subprocesses


def run(*args):
    return subprocess.run([sys.executable, "-m", "genmodels.sample", *map(str, args)], capture_output=True, text=True)


def test_grid_and_blend_files(gan_folder, tmp_path):
    r = run("--model", gan_folder, "--n", 4, "--seed", 0, "--out", tmp_path / "grid.png")
    assert r.returncode == 0, r.stderr
    assert Image.open(tmp_path / "grid.png").size == (2 + 2 * 34, 2 + 2 * 34)
    r = run("--model", gan_folder, "--blend", 1, 2, "--steps", 5, "--out", tmp_path / "s.png",
            "--gif", tmp_path / "b.gif")
    assert r.returncode == 0, r.stderr
    frames = iio.imread(tmp_path / "b.gif")
    assert frames.shape[0] == 5 and frames.dtype == np.uint8


def test_bad_arguments_are_one_line_errors(gan_folder, tmp_path):
    for args in (["--model", "no-such-model", "--out", tmp_path / "x.png"],
                 ["--model", gan_folder, "--n", 500, "--out", tmp_path / "x.png"],
                 ["--model", gan_folder, "--n", "many", "--out", tmp_path / "x.png"],
                 ["--model", gan_folder, "--blend-images", tmp_path / "a.png", tmp_path / "b.png",
                  "--out", tmp_path / "x.png"]):
        r = run(*args)
        assert r.returncode != 0
        assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
