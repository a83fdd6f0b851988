"""The server's disk stays bounded (issue 18, items 3 and 5), tried as a hostile visitor would: outputs
are written once under unguessable names, working folders are never served, a visitor's files go
when they leave (a closed page at once, a client with no page after the idle timeout), and a
per-visitor quota is refused in one sentence."""
import re
import secrets
import time
from pathlib import Path

import httpx
import pytest
from gradio_client import Client, handle_file

import genmodels
from studio import session as session_module
from studio import sessions
from studio.app import CACHE_CLEANUP, build_demo
from tests.app_harness import tiny_weights


def _bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.exists() else 0


def _outbox_root() -> Path:
    import gradio as gr

    return Path(gr.utils.get_upload_folder()) / session_module.OUTBOX_FOLDER


def _ours() -> int:
    """Bytes in every session's working folder and outbox."""
    return _bytes(session_module.WORK_ROOT) + _bytes(_outbox_root())


def _file_url(studio: str, path: str | Path) -> str:
    return f"{studio.rstrip('/')}/gradio_api/file={path}"


def _path(value) -> str:
    return value["path"] if isinstance(value, dict) else value


def test_gradios_cache_is_swept_on_a_schedule(tmp_path):
    demo = build_demo(tiny_weights(tmp_path))
    every, older_than = demo.delete_cache
    assert (every, older_than) == CACHE_CLEANUP and 0 < every <= older_than <= 24 * 3600


def test_downloads_are_written_once_under_unguessable_names_and_working_files_are_never_served(studio, tmp_path):
    alice, bob = Client(studio, verbose=False, download_files=False), Client(studio, verbose=False)
    exported = alice.predict("builtin:tiny-gan", api_name="/export_model")
    rel = Path(exported["path"]).resolve().relative_to(_outbox_root().resolve())  # served where it was written
    assert re.fullmatch(r"[0-9a-f]{32}/[0-9a-f]{32}/tiny-gan\.zip", rel.as_posix())
    download = httpx.get(exported["url"])
    assert download.status_code == 200
    (tmp_path / "tiny-gan.zip").write_bytes(download.content)
    _, imported = alice.predict(handle_file(str(tmp_path / "tiny-gan.zip")), api_name="/import_model")  # her working folder
    imported = imported["value"] if isinstance(imported, dict) else imported
    assert imported.startswith("session:")
    working = [p for p in session_module.WORK_ROOT.rglob("*") if p.is_file()]
    assert working
    for path in working[:20]:  # the working folders are blocked, whoever asks and however
        for url in (_file_url(studio, path), _file_url(studio, str(path).replace("/", "//"))):
            assert httpx.get(url).status_code in (403, 404), url
    outbox = _outbox_root() / rel.parts[0]
    for url in (_file_url(studio, outbox), _file_url(studio, outbox / rel.parts[1]),  # no listing
                _file_url(studio, outbox / secrets.token_hex(16) / "tiny-gan.zip")):  # no guessing
        response = httpx.get(url)
        assert response.status_code in (403, 404) or b"tiny-gan.zip" not in response.content, url
    assert bob.predict(api_name="/load_models")  # Bob's session has nothing of Alice's
    with pytest.raises(Exception, match="not in the list of choices|Pick a model first"):
        bob.predict(imported, api_name="/export_model")


def test_fifty_exports_and_renders_leave_no_disk_behind_once_the_page_closes(studio, monkeypatch, tmp_path):
    monkeypatch.setenv("GRADIO_HEARTBEAT_INTERVAL", "0.2")
    picture = next(Path(genmodels.SAMPLE_IMAGES).glob("*.png"))
    baseline = _ours()
    visitor = Client(studio, verbose=False, download_files=False)
    visitor.predict(api_name="/load_models")  # what a page does first
    visitor.predict(handle_file(str(picture)), api_name="/edit_load")
    paths = []
    for k in range(50):
        if k % 3 == 0:
            paths.append(_path(visitor.predict("builtin:tiny-gan", api_name="/export_model")))
        elif k % 3 == 1:
            strip, gif, video, files = visitor.predict("builtin:tiny-gan", "seeds", k, k + 1, None, None, 4, "smooth",
                                                       False, 10, api_name="/blend")
            paths += [_path(gif), _path(video)]
        else:
            paths.append(_path(visitor.predict(api_name="/edit_download")))
    root = _outbox_root().resolve()
    assert all(Path(p).resolve().is_relative_to(root) for p in paths)  # each written once, in the outbox
    grown = _ours() - baseline
    assert grown > 50_000
    # The page closes: its heartbeat stream ends, Gradio sends the unload event, and once the grace for a
    # page that comes back is over (skipped here), the next sweep closes the session.
    sess = sessions._by_client[visitor.session_hash]
    with httpx.stream("GET", f"{studio.rstrip('/')}/gradio_api/heartbeat/{visitor.session_hash}") as beat:
        next(beat.iter_lines())
    deadline = time.monotonic() + 30
    while sess.left_at is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sess.left_at is not None, "closing the page never reached the server"
    assert sessions.sweep(now=sess.left_at + sessions.LEFT_GRACE + 1) >= 1
    assert _ours() <= baseline, f"{_ours() - baseline} bytes left behind of {grown}"
    assert not any(Path(p).exists() for p in paths)


def test_a_client_with_no_page_is_cleaned_up_after_the_idle_timeout(studio):
    visitor = Client(studio, verbose=False, download_files=False)
    exported = Path(visitor.predict("builtin:tiny-gan", api_name="/export_model")["path"])
    assert exported.exists()
    assert sessions.sweep() == 0 or exported.exists()  # not idle yet
    assert sessions.sweep(now=time.monotonic() + sessions.IDLE_TIMEOUT + 1) >= 1
    assert not exported.exists() and not exported.parent.parent.exists()
    # coming back later finds an empty session, which works as a new one
    assert len(visitor.predict("builtin:tiny-gan", 1, 0, 1.0, api_name="/generate")[0]) == 1
    with pytest.raises(Exception, match="Generate some images first|Select an image"):
        Client(studio, verbose=False).predict(api_name="/download_zip")


def test_a_page_that_comes_back_within_the_grace_keeps_its_session():
    back, gone = sessions.new_session(), sessions.new_session()
    for sess in (back, gone):
        (sess.workdir / "model.bin").write_bytes(b"x")
        sess.left_at = time.monotonic()  # both pages said goodbye...
    sessions.seen(back)  # ...and one came back with a request
    sessions.sweep(now=time.monotonic() + sessions.LEFT_GRACE + 1)
    assert (back.workdir / "model.bin").exists()
    assert gone.left_at is None and gone._workdir is None  # closed: a fresh, empty session


def test_a_busy_session_is_never_swept_and_a_fresh_one_keeps_its_files():
    busy, idle = sessions.new_session(), sessions.new_session()
    for sess in (busy, idle):
        (sess.workdir / "model.bin").write_bytes(b"x" * 1000)
        sess.last_used -= sessions.IDLE_TIMEOUT + 1
    busy.busy = 1
    fresh = sessions.new_session()
    (fresh.workdir / "data.bin").write_bytes(b"y")
    kept, gone = busy.workdir, idle.workdir
    sessions.sweep()
    assert kept.exists() and (fresh.workdir / "data.bin").exists() and not gone.exists()
    busy.busy = 0


def test_queue_joins_that_never_write_leave_no_folders(studio):
    before = set(session_module.WORK_ROOT.iterdir()) if session_module.WORK_ROOT.exists() else set()
    outboxes = set(_outbox_root().iterdir()) if _outbox_root().exists() else set()
    for _ in range(20):  # a fresh session each: nothing written, so nothing made
        assert Client(studio, verbose=False).predict(api_name="/history") == []
    assert set(session_module.WORK_ROOT.iterdir()) <= before if session_module.WORK_ROOT.exists() else True
    assert (set(_outbox_root().iterdir()) if _outbox_root().exists() else set()) <= outboxes


def test_a_visitor_over_the_disk_quota_is_told_in_one_sentence(client, monkeypatch):
    client.predict("builtin:tiny-gan", api_name="/export_model")
    monkeypatch.setattr(session_module, "QUOTA_BYTES", 1000)  # the zip alone is more
    with pytest.raises(Exception, match=r"Your files on this server have reached .* the limit per visitor"):
        client.predict("builtin:tiny-gan", api_name="/export_model")
    with pytest.raises(Exception, match=r"Your files on this server have reached"):  # a run would write more
        client.predict([], "gan", 32, False, "crop", "small-data", 0.5, 0, 8, api_name="/train")
