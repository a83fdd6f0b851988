"""Every request has a work budget (issue 18, item 1), tried as a hostile visitor would: edit stacks
are priced before any work, one budget covers a whole request, slow edits run on their own line,
and a request whose client gives up stops at its next step."""
import time
from pathlib import Path

import numpy as np
import pytest
from gradio_client import Client, handle_file
from PIL import Image

import postprocess
from studio import budget

HEAVY = [("upscale", {"factor": 4})] * 3 + [("denoise", {"method": "best"})] * 40  # ~ a 3 KB recipe


def _png(tmp_path, name: str, recipe: dict, steps: list) -> str:
    path = tmp_path / name
    postprocess.save_png(path, np.full((32, 32, 3), 120, np.uint8), recipe=recipe, edit_stack=postprocess.EditStack(steps))
    return str(path)


def test_a_small_png_asking_for_an_hour_of_work_is_refused_before_any(client, tmp_path):
    png = _png(tmp_path, "heavy.png", {"model": "Tiny GAN", "seed": 3}, HEAVY)
    assert (tmp_path / "heavy.png").stat().st_size < 8000
    history_before = client.predict(api_name="/history")
    for endpoint in ("/restore_png", "/edit_restore_png"):
        with pytest.raises(Exception, match=r"would take about \d+ minutes of computer time .* one request may use "
                                            r"30 seconds"):
            client.predict(handle_file(png), api_name=endpoint)
    assert client.predict(api_name="/history") == history_before  # nothing was drawn


def test_favourites_share_one_budget_and_the_rest_stay_stored(client, monkeypatch):
    steps = [("upscale", {"factor": 4}), ("painterly", {})]
    one = postprocess.stack_cost(postprocess.EditStack(steps), 32, 32).seconds
    monkeypatch.setattr(budget, "MAX_REQUEST_SECONDS", 2.5 * one)  # room for two of them
    edits = postprocess.EditStack(steps).to_dict()
    stored = [{"model": "Tiny GAN", "seed": k, "variety": 1.0, "edits": edits} for k in range(48)]
    stored.append({"model": "Tiny GAN", "seed": 1, "edits": postprocess.EditStack(HEAVY).to_dict()})
    redrawn, status = client.predict(stored, api_name="/load_favourites")
    drawn = [item for item in redrawn if item["caption"] != "can't redraw"]
    assert len(redrawn) == 48 and len(drawn) == 2  # the list is capped at 48; two fit the budget
    assert "46 could not be redrawn" in status and "work limit" in status


def test_the_edit_tab_refuses_a_step_the_full_size_picture_cannot_afford(client, tmp_path, monkeypatch):
    picture = tmp_path / "p.png"
    Image.fromarray(np.full((64, 64, 3), 90, np.uint8)).save(picture)
    client.predict(handle_file(str(picture)), api_name="/edit_load")
    client.predict(4, 0.5, api_name="/add_upscale")
    client.predict(4, 0.5, api_name="/add_upscale")  # 1024 px at full size
    monkeypatch.setattr(budget, "MAX_REQUEST_SECONDS", 0.5)
    with pytest.raises(Exception, match="With this step, the edits at full size would take about"):
        client.predict(0.5, "best", api_name="/add_denoise")  # ~1.3 s of work on 1 megapixel
    with pytest.raises(Exception, match="This edit on the preview would take about"):
        client.predict(0.5, "best", api_name="/preview_denoise")  # ~0.7 s on the 768 px preview
    _, stack_text = client.predict(api_name="/edit_reset")
    assert "No edits yet" in stack_text
    assert Image.open(client.predict(api_name="/edit_download")).size == (64, 64)


def test_slow_edits_run_on_their_own_line_one_at_a_time(tmp_path):
    from studio.app import build_demo
    from tests.app_harness import tiny_weights

    demo = build_demo(tiny_weights(tmp_path))
    lines = {fn.api_name: (fn.concurrency_id, fn.concurrency_limit) for fn in demo.fns.values()}
    heavy, preview = budget.HEAVY_LINE, budget.PREVIEW_LINE
    for api_name in ("edit_download", "extract_palette", "restore_png", "edit_restore_png", "load_favourites"):
        assert lines[api_name] == (heavy["concurrency_id"], 1), api_name
    assert lines["add_denoise"] == lines["preview_denoise"] == (preview["concurrency_id"], 1)
    assert lines["generate"][0] not in (heavy["concurrency_id"], preview["concurrency_id"])


def _record_should_stop(monkeypatch) -> list[bool]:
    """Every answer the running request's should_stop gives, in order."""
    answers: list[bool] = []
    real = budget.client_left

    def recording():
        ask = real()

        def should_stop() -> bool:
            answers.append(ask())
            return answers[-1]
        return should_stop

    monkeypatch.setattr(budget, "client_left", recording)
    return answers


def test_a_request_whose_client_gives_up_stops_working(studio, monkeypatch):
    """The visitor asks for a full-size download of 12 slow steps, then gives up: the work stops."""
    from studio import sessions

    answers = _record_should_stop(monkeypatch)
    visitor = Client(studio, verbose=False)
    visitor.predict(api_name="/load_models")  # names this client's session on the server
    sess = sessions._by_client[visitor.session_hash]
    sess.edit_source = np.random.default_rng(0).integers(0, 256, (1024, 1024, 3), dtype=np.uint8)
    sess.edit_stack = postprocess.EditStack([("painterly", {"look": "ink"})] * 12)  # ~0.3 s a step
    job = visitor.submit(api_name="/edit_download")
    deadline = time.monotonic() + 60
    while len(answers) < 2 and time.monotonic() < deadline:  # the first step has begun
        time.sleep(0.01)
    assert _edit_workers(), "a 12-step painterly stack at 1024 px runs in the low-priority worker"
    job.cancel()
    while not any(answers) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert any(answers), "the running request never heard that its client left"
    _assert_workers_gone(deadline)


def test_a_request_whose_connection_drops_stops_working(studio, monkeypatch):
    """The same with no goodbye at all: the page's event stream just closes (a tab or a script killed)."""
    import httpx

    from studio import sessions

    monkeypatch.setenv("GRADIO_HEARTBEAT_INTERVAL", "0.2")  # how often Gradio looks for a closed stream
    answers = _record_should_stop(monkeypatch)
    visitor = Client(studio, verbose=False)
    visitor.predict(api_name="/load_models")
    sess = sessions._by_client[visitor.session_hash]
    sess.edit_source = np.random.default_rng(0).integers(0, 256, (1024, 1024, 3), dtype=np.uint8)
    sess.edit_stack = postprocess.EditStack([("painterly", {"look": "ink"})] * 12)
    fn_index = next(k for k, fn in enumerate(visitor.config["dependencies"])
                    if fn.get("api_name") == "edit_download")
    join = httpx.post(f"{studio.rstrip('/')}/gradio_api/queue/join",
                      json={"data": [None], "fn_index": fn_index, "session_hash": visitor.session_hash})
    assert join.status_code == 200, join.text
    deadline = time.monotonic() + 60
    with httpx.stream("GET", f"{studio.rstrip('/')}/gradio_api/queue/data", params={"session_hash": visitor.session_hash},
                      timeout=60) as stream:
        lines = stream.iter_lines()
        for line in lines:
            if "process_starts" in line:
                break
        while len(answers) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert _edit_workers(), (answers, next(lines, None))
    while not any(answers) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert any(answers), "the running request never heard that its connection dropped"
    _assert_workers_gone(deadline)


def _edit_workers() -> list[int]:
    """This process's edit worker children (studio/edit_worker.py), from /proc."""
    import os

    found = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == os.getpid() and b"studio.edit_worker" in command and stat.rsplit(")", 1)[1].split()[0] != "Z":
            found.append(int(entry.name))
    return found


def _assert_workers_gone(deadline: float) -> None:
    """The stack's worker process was killed: the work stopped, not just the reply."""
    while _edit_workers() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _edit_workers(), "the edits kept running although nobody was waiting"


def test_selecting_through_the_api_takes_a_position_and_says_what_is_wrong(client):
    """A gallery click's position is event data an API call cannot send: the API has its own select."""
    with pytest.raises(Exception, match="Generate some images first"):
        client.predict(0, api_name="/select_image")
    client.predict("builtin:tiny-gan", 3, 5, 1.0, api_name="/generate")
    for bad in (3, -1, None):
        with pytest.raises(Exception, match="between 0 and 2"):
            client.predict(bad, api_name="/select_image")
    assert "Seed 6" in client.predict(1, api_name="/select_image")
    assert client.predict(1, api_name="/download_png")
