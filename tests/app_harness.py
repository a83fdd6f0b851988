"""Start the studio in-process on a free port with tiny models, for gradio_client and browser tests."""
from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from genmodels.models.gan import Generator
from genmodels.storage.store import save_model
from genmodels.models.vae import VAE
from tests.conftest import TINY_GAN, TINY_VAE


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tiny_weights(folder: Path) -> Path:
    """Two untrained tiny built-ins: enough to exercise every path of the UI in milliseconds."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        save_model(folder / "tiny-gan", Generator(TINY_GAN).eval(), TINY_GAN, {"name": "Tiny GAN", "preset": "custom"})
        save_model(folder / "tiny-vae", VAE(TINY_VAE).eval(), TINY_VAE, {"name": "Tiny VAE", "preset": "custom"})
    return folder


def launch(weights: Path):
    """-> (demo, url). Close with demo.close()."""
    import app

    demo = app.build_demo(weights)
    # One test process runs many servers, and Gradio names cached files by their content: one server's
    # sweep at shutdown would delete an identical picture another server is still serving.
    demo.delete_cache = None
    demo.queue(default_concurrency_limit=2)
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                **app.launch_options())
    return demo, f"http://127.0.0.1:{port}/"


@contextmanager
def serving(weights: Path) -> Iterator[str]:
    """The studio with the built-in models in `weights`, running for the length of the block; -> its URL."""
    demo, url = launch(weights)
    try:
        yield url
    finally:
        demo.close()


def pixels(item) -> np.ndarray:
    """The uint8 (H, W, 3) picture an endpoint returned: a file path, a gallery item {"image": ...}
    or a file {"path": ...}."""
    while isinstance(item, dict):
        item = item["image"] if "image" in item else item["path"]
    return np.asarray(Image.open(item).convert("RGB"))
