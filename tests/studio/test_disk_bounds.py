"""The server's disk stays bounded: Gradio's cache of what visitors were sent is swept on a schedule."""
from studio.app import CACHE_CLEANUP, build_demo
from tests.app_harness import tiny_weights


def test_gradios_cache_is_swept_on_a_schedule(tmp_path):
    demo = build_demo(tiny_weights(tmp_path))
    every, older_than = demo.delete_cache
    assert (every, older_than) == CACHE_CLEANUP and 0 < every <= older_than <= 24 * 3600
