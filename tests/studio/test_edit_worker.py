"""Slow edit stacks run in a low-priority child process: the same picture as in-process, refusals as
sentences, and a visitor who leaves stops the child at once."""
import threading
import time

import numpy as np
import pytest

import postprocess
from studio import edit_worker


def _picture(side: int = 96) -> np.ndarray:
    return np.random.default_rng(1).integers(0, 256, (side, side, 3), dtype=np.uint8)


def test_a_priced_stack_gives_the_same_picture_in_the_child_as_in_process():
    stack = postprocess.EditStack([("upscale", {"factor": 2}), ("painterly", {}), ("vignette", {"strength": 0.4})])
    image = _picture()
    inline = edit_worker.apply(stack, image, None, 0.0, lambda: False)
    child = edit_worker.apply(stack, image, None, 99.0, lambda: False)  # priced above INLINE_SECONDS
    assert np.array_equal(inline, child) and child.shape == (192, 192, 3)


def test_references_travel_and_refusals_come_back_as_sentences():
    image, ref = _picture(), _picture(32)[:, ::-1].copy()
    stack = postprocess.EditStack([("colour_transfer", {"reference": "r"})])
    assert np.array_equal(edit_worker.apply(stack, image, {"r": ref}, 99.0, lambda: False),
                          stack.apply(image, references={"r": ref}))
    with pytest.raises(postprocess.EditError, match="needs the reference image"):
        edit_worker.apply(stack, image, {}, 99.0, lambda: False)


def test_a_visitor_who_leaves_stops_the_child_at_once():
    stack = postprocess.EditStack([("denoise", {"method": "best"})] * 30)  # tens of seconds at 512 px
    gone = threading.Event()
    threading.Timer(0.5, gone.set).start()
    start = time.monotonic()
    with pytest.raises(postprocess.EditCancelled):
        edit_worker.apply(stack, _picture(512), None, 99.0, gone.is_set)
    assert time.monotonic() - start < 10
