"""In a real browser: a dropped PNG asking for too much work gets a sentence, not a stalled server, and
a visitor's files leave the server's disk when their page closes (issue 18)."""
import time
from pathlib import Path

import numpy as np
import pytest

import postprocess
from studio import sessions
from tests.browser_helpers import BROWSER, chromium, open_page, screenshots

pytestmark = [*BROWSER, pytest.mark.slow]


def _outboxes() -> set[Path]:
    import gradio as gr

    from studio.session import OUTBOX_FOLDER

    root = Path(gr.utils.get_upload_folder()) / OUTBOX_FOLDER
    return set(root.iterdir()) if root.exists() else set()


def test_an_expensive_png_is_refused_and_the_files_go_when_the_page_closes(studio, tmp_path, monkeypatch):
    monkeypatch.setenv("GRADIO_HEARTBEAT_INTERVAL", "0.5")  # how soon the server notices a closed page
    shots = screenshots(tmp_path)
    heavy = tmp_path / "heavy.png"
    postprocess.save_png(heavy, np.full((32, 32, 3), 120, np.uint8), recipe={"model": "Tiny GAN", "seed": 3},
                         edit_stack=postprocess.EditStack([("upscale", {"factor": 4})] * 3
                                                          + [("denoise", {"method": "best"})] * 40))
    before = _outboxes()
    with chromium() as browser:
        page = open_page(browser, studio, context=True)
        page.get_by_role("tab", name="Edit").click()
        page.locator("#restore-edit input[type=file]").set_input_files(str(heavy))
        page.get_by_text("one request may use 30 seconds", exact=False).first.wait_for()
        page.screenshot(path=str(shots / "refused.png"))
        page.locator("#edit-examples img").first.click()
        page.locator("#edit-slider img").first.wait_for()
        page.get_by_role("button", name="Download PNG").click()
        page.locator("a[href*='edited.png']").first.wait_for()
        mine = _outboxes() - before
        assert len(mine) == 1 and any(p.is_file() for p in next(iter(mine)).rglob("*"))
        outbox = next(iter(mine))
        sess = next(s for s in list(sessions._live.values()) if s._outbox == outbox)
        page.context.close()  # the visitor closes the tab
        deadline = time.monotonic() + 30
        while sess.left_at is None and time.monotonic() < deadline:
            time.sleep(0.1)
    assert sess.left_at is not None, "closing the page never reached the server"
    sessions.sweep(now=sess.left_at + sessions.LEFT_GRACE + 1)  # the grace for a page coming back is over
    assert not outbox.exists(), "the visitor's downloads outlived their page"
