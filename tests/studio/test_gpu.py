"""GPU use: models follow genmodels.use_device; on ZeroGPU (a fake `spaces` package here) the drawing and
search computations carry @spaces.GPU with a duration and training stays on the CPU; without `spaces`
nothing is decorated. And where the app listens: GRADIO_SERVER_NAME / GRADIO_SERVER_PORT unless flags say."""
from __future__ import annotations

import sys
import types

import numpy as np
import pytest
from gradio_client import Client, handle_file

import genmodels
from genmodels.storage import cache
from studio import app as studio_app
from studio import gpu
from tests.app_harness import pixels, serving, tiny_weights
from tests.train_helpers import write_discs

pytestmark = pytest.mark.slow  # starts the studio and trains in it


class FakeSpaces(types.ModuleType):
    """What `spaces` offers an app: GPU(duration=...) decorators. Records what it decorated and ran."""

    def __init__(self):
        super().__init__("spaces")
        self.decorated: dict[str, int] = {}
        self.calls: list[str] = []

    def GPU(self, duration: int = 60):  # noqa: N802 (the real package's name)
        def wrap(fn):
            self.decorated[fn.__name__] = duration

            def on_gpu(*args, **kwargs):
                self.calls.append(fn.__name__)
                return fn(*args, **kwargs)

            return on_gpu

        return wrap


@pytest.fixture
def zero_gpu(monkeypatch):
    fake = FakeSpaces()
    monkeypatch.setitem(sys.modules, "spaces", fake)
    monkeypatch.setenv("SPACES_ZERO_GPU", "true")
    return fake


def test_without_spaces_nothing_is_decorated(monkeypatch):
    monkeypatch.setitem(sys.modules, "spaces", None)  # import spaces -> ImportError
    assert gpu.task(gpu.DRAW_SECONDS)(genmodels.draw) is genmodels.draw
    assert not gpu.on_zero_gpu()


def test_on_zero_gpu_drawing_and_search_borrow_a_gpu_and_training_stays_on_the_cpu(zero_gpu, tmp_path):
    assert gpu.on_zero_gpu()
    with serving(tiny_weights(tmp_path / "weights")) as url:
        client = Client(url, verbose=False)
        gallery, _ = client.predict("builtin:tiny-gan", 4, 3, 1.0, api_name="/generate")
        client.predict("builtin:tiny-gan", 0.3, api_name="/variations")
    assert {"draw": gpu.DRAW_SECONDS, "vary_latent": gpu.DRAW_SECONDS, "blend_seeds": gpu.DRAW_SECONDS,
            "render_path": gpu.DRAW_SECONDS, "find_in_model": gpu.SEARCH_SECONDS}.items() <= zero_gpu.decorated.items()
    assert zero_gpu.calls.count("draw") >= 1 and "vary_latent" in zero_gpu.calls
    # The pictures are the same as off ZeroGPU: the decorator wraps the computation only.
    assert np.array_equal(pixels(gallery[0]["image"]),
                          genmodels.generate(tmp_path / "weights" / "tiny-gan", n=1, seed=3)[0])


def test_zero_gpu_training_runs_on_the_cpu(zero_gpu, monkeypatch, tmp_path):
    real, devices = genmodels.run_training, []

    def recording(*args, **kwargs):
        devices.append(kwargs.get("device"))
        return real(*args, **kwargs)

    monkeypatch.setattr(genmodels, "run_training", recording)
    pictures = [handle_file(str(p)) for p in sorted(write_discs(tmp_path / "pics", n=8).glob("*.png"))]
    with serving(tiny_weights(tmp_path / "weights")) as url:
        client = Client(url, verbose=False)
        job = client.submit(pictures, "gan", 32, False, "crop", "small-data", 0.5, 0, 8, api_name="/train")
        for update in job:
            if "Step" in update[0]:
                client.predict(api_name="/stop_training")
                break
        job.result()
    assert devices == ["cpu"]  # a lent ZeroGPU lasts seconds: training never asks for it


def test_use_device_moves_loaded_models(gan_folder, monkeypatch):
    monkeypatch.setattr(cache, "_device", "cpu")
    assert genmodels.use_device("auto") == ("cuda" if __import__("torch").cuda.is_available() else "cpu")
    assert genmodels.use_device("cpu") == "cpu"
    model = genmodels.get_model(gan_folder)
    assert str(model.device) == "cpu"
    assert len(genmodels.generate(gan_folder, n=2, seed=0)) == 2


class Launched(Exception):
    pass


@pytest.mark.parametrize("env, argv, expected", [
    ({}, [], ("127.0.0.1", 7860)),
    ({"GRADIO_SERVER_NAME": "0.0.0.0", "GRADIO_SERVER_PORT": "7861"}, [], ("0.0.0.0", 7861)),
    ({"GRADIO_SERVER_NAME": "0.0.0.0", "GRADIO_SERVER_PORT": "7861"}, ["--host", "127.0.0.1", "--port", "9000"],
     ("127.0.0.1", 9000)),
])
def test_the_app_listens_where_the_environment_says(monkeypatch, env, argv, expected):
    for name in ("GRADIO_SERVER_NAME", "GRADIO_SERVER_PORT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    class Demo:
        def queue(self, **kwargs):
            return self

        def launch(self, server_name, server_port, **kwargs):
            raise Launched((server_name, server_port))

    monkeypatch.setattr(studio_app, "build_demo", lambda weights_dir, idle_timeout=None: Demo())
    with pytest.raises(Launched) as launched:
        studio_app.main(argv)
    assert launched.value.args[0] == expected


def test_a_bad_port_in_the_environment_is_one_clear_line(monkeypatch, capsys):
    monkeypatch.setenv("GRADIO_SERVER_PORT", "http")
    with pytest.raises(SystemExit):
        studio_app.main([])
    assert "GRADIO_SERVER_PORT must be a port number" in capsys.readouterr().err
