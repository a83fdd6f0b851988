"""RELIABILITY.md "The server", through the running studio: the file route, forged paths and URLs in
API payloads, NaN / out-of-range / unknown values, and two sessions side by side.

Forged payloads go over raw HTTP (/gradio_api/call/...): gradio_client would upload a local path
itself, which is not what an attacker's request does.
"""
from __future__ import annotations

import http.server
import json
import os
import threading
import uuid
from pathlib import Path

import httpx
import pytest
from gradio_client import Client, handle_file

from tests.hostile_files import HTML, SVG, good_png

pytestmark = pytest.mark.slow  # starts the studio

ROOT = Path(__file__).resolve().parents[2]


def call(url: str, api: str, data_json: str, session: str | None = None) -> tuple[str, object]:
    """POST raw JSON (NaN and Infinity allowed) to an endpoint -> ("complete", data) or ("error", message)."""
    body = '{"data": %s, "session_hash": "%s"}' % (data_json, session or uuid.uuid4().hex)
    r = httpx.post(f"{url}gradio_api/call/{api}", content=body, headers={"content-type": "application/json"})
    if r.status_code != 200:
        return "error", r.text
    stream = httpx.get(f"{url}gradio_api/call/{api}/{r.json()['event_id']}", timeout=60).text
    events = [line[len("event: "):] for line in stream.splitlines() if line.startswith("event: ")]
    datas = [line[len("data: "):] for line in stream.splitlines() if line.startswith("data: ")]
    kind = "error" if "error" in events else "complete" if "complete" in events else events[-1]
    payload = json.loads(datas[-1]) if datas and datas[-1] != "null" else None
    return kind, (payload or {}).get("error") if kind == "error" and isinstance(payload, dict) else payload


def file_data(path: str, name: str = "photo.png") -> dict:
    return {"path": path, "orig_name": name, "meta": {"_type": "gradio.FileData"}}


@pytest.fixture(scope="module")
def bait():
    """A local HTTP server holding a PNG: any request reaching it from the app is server-side fetching."""
    hits: list[str] = []
    body = good_png(1)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()


# -- the file route --------------------------------------------------------------------------------------

FILE_ROUTE_ATTEMPTS = ["/etc/passwd", "%2Fetc%2Fpasswd", "//etc/passwd", "/proc/self/environ", "app.py",
                       "../../app.py", "..%2F..%2Fapp.py", "%2e%2e/%2e%2e/etc/passwd", "weights/../app.py",
                       str(ROOT / "app.py"), "/tmp/latent-studio-sessions/../../etc/passwd",
                       "http://169.254.169.254/latest/meta-data/", "file:///etc/passwd"]


@pytest.mark.parametrize("target", FILE_ROUTE_ATTEMPTS)
def test_file_route_serves_nothing_outside_its_folders(studio, target):
    for prefix in ("gradio_api/file=", "file=", "gradio_api/proxy="):
        r = httpx.get(f"{studio}{prefix}{target}", follow_redirects=False)
        assert r.status_code in (400, 403, 404), (prefix, target, r.status_code)
        assert b"root:" not in r.content and b"build_demo" not in r.content


def test_file_route_never_fetches_urls(studio, bait):
    base, hits = bait
    for prefix in ("gradio_api/file=", "gradio_api/proxy="):
        assert httpx.get(f"{studio}{prefix}{base}/secret.png").status_code in (400, 403, 404)
    assert hits == []


def test_uploaded_html_and_svg_are_never_served_as_pages(studio):
    """Gradio keeps every upload in its cache; what the file route sends back must not run in a browser."""
    for name, data in (("html.png", HTML), ("page.svg", SVG), ("page.html", HTML)):
        up = httpx.post(f"{studio}gradio_api/upload", files=[("files", (name, data))])
        assert up.status_code == 200
        r = httpx.get(f"{studio}gradio_api/file={up.json()[0]}")
        kind = r.headers.get("content-type", "")
        inline = "attachment" not in r.headers.get("content-disposition", "")
        assert not (inline and kind.startswith(("text/html", "image/svg", "application/xhtml"))), (name, r.headers)


# -- forged paths in API payloads ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def server_paths():
    """Files on the server: secrets, the app's source, and a real PNG outside Gradio's upload cache
    (loading it would hand a visitor any picture on the server's disk)."""
    sample = sorted((ROOT / "samples" / "emoji").glob("*.png"))[0]
    return ["/etc/passwd", "app.py", str(ROOT / "app.py"), "../../app.py", str(sample), "file:///etc/passwd"]


@pytest.mark.parametrize("endpoint", ["edit_load", "check_pictures", "blend", "import_model"])
def test_forged_file_paths_are_refused(studio, server_paths, bait, endpoint):
    base, hits = bait
    for path in server_paths + [f"{base}/secret.png"]:
        fd = json.dumps(file_data(path))
        data = {"edit_load": f"[{fd}]",
                "check_pictures": f'[[{fd}], "gan", 32, false, "crop"]',
                "blend": f'["builtin:tiny-vae", "pictures", 1, 2, {fd}, {fd}, 3, "linear", false, 10, "", ""]',
                "import_model": f"[{fd}]"}[endpoint]
        session = uuid.uuid4().hex
        kind, result = call(studio, endpoint, data, session)
        assert kind == "error", (path, result)
        assert not result or "root:" not in str(result)
        if endpoint == "edit_load":  # nothing was loaded into the session either
            kind, message = call(studio, "edit_download", "[]", session)
            assert kind == "error" and message.startswith("Load a picture first"), message
    assert hits == []  # no URL was fetched on the server's side


# -- values sent through the API --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def picture(studio, tmp_path_factory):
    """A real upload in Gradio's cache, so Train calls get past "add pictures"."""
    path = tmp_path_factory.mktemp("pic") / "good.png"
    path.write_bytes(good_png(3))
    up = httpx.post(f"{studio}gradio_api/upload", files=[("files", ("good.png", path.read_bytes()))])
    return json.dumps(file_data(up.json()[0], "good.png"))


BAD_VALUES = {  # endpoint -> raw JSON argument lists, each with one bad value
    "generate": ['["builtin:tiny-gan", 500, 0, 1.0, "", false, 1.0]', '["builtin:tiny-gan", NaN, 0, 1.0, "", false, 1.0]',
                 '["builtin:tiny-gan", 4, NaN, 1.0, "", false, 1.0]', '["builtin:tiny-gan", 4, 0, NaN, "", false, 1.0]',
                 '["builtin:tiny-gan", 4, 0, Infinity, "", false, 1.0]', '["builtin:tiny-gan", 4, -1, 1.0, "", false, 1.0]',
                 '["builtin:tiny-gan", 4, 1e12, 1.0, "", false, 1.0]', '["builtin:../../etc", 4, 0, 1.0, "", false, 1.0]',
                 '["session:someone-else", 4, 0, 1.0, "", false, 1.0]', '["builtin:tiny-gan", 4, 0, 1.0, "", false, NaN]',
                 '["builtin:tiny-gan", 4, 0, 1.0, "", false, 99]'],
    "blend": ['["builtin:tiny-gan", "seeds", 1, 2, null, null, 1000000000, "smooth", true, 10, "", ""]',
              '["builtin:tiny-gan", "seeds", 1, 2, null, null, NaN, "smooth", true, 10, "", ""]',
              '["builtin:tiny-gan", "seeds", 1, 2, null, null, 4, "smooth", true, NaN, "", ""]',
              '["builtin:tiny-gan", "seeds", NaN, 2, null, null, 4, "smooth", true, 10, "", ""]',
              '["builtin:tiny-gan", "seeds", 1, 2, null, null, 4, "zigzag", true, 10, "", ""]',
              '["builtin:tiny-gan", "Everything", 1, 2, null, null, 4, "smooth", true, 10, "", ""]'],
    "train": ['[[PIC], "gan", 32, false, "crop", "small-data", 1000000000, 0, 8]',
              '[[PIC], "gan", 32, false, "crop", "small-data", NaN, 0, 8]',
              '[[PIC], "gan", 32, false, "crop", "small-data", -1, 0, 8]',
              '[[PIC], "gan", 32, false, "crop", "small-data", 0.5, 0, NaN]',
              '[[PIC], "gan", 32, false, "crop", "small-data", 0.5, 0, 1000]',
              '[[PIC], "gan", 32, false, "crop", "small-data", 0.5, NaN, 8]',
              '[[PIC], "evil", 32, false, "crop", "small-data", 0.5, 0, 8]',
              '[[PIC], "gan", 128, false, "crop", "small-data", 0.5, 0, 8]',
              '[[PIC], "gan", 32, false, "stretch", "small-data", 0.5, 0, 8]',
              '[[PIC], "gan", 32, false, "crop", "fast", 0.5, 0, 8]'],
    "variations": ['["builtin:tiny-gan", 5.0]', '["builtin:tiny-gan", NaN]'],
    "download_png": ['["x1000"]'],
    "edit_choose": ['["rm -rf /"]'],
    "extract_palette": ['[1000000]', '[NaN]'],
    "add_contrast": ['[NaN]', '[99.0]'],
}


@pytest.mark.parametrize("endpoint", sorted(BAD_VALUES))
def test_out_of_range_nan_and_unknown_values_are_refused(studio, picture, endpoint):
    session = uuid.uuid4().hex
    call(studio, "generate", '["builtin:tiny-gan", 2, 0, 1.0, "", false, 1.0]', session)  # something to vary and download
    try:
        for args in BAD_VALUES[endpoint]:
            kind, message = call(studio, endpoint, args.replace("PIC", picture), session)
            assert kind == "error", (endpoint, args, message)
            if message is not None:  # our sentence, or Gradio's own range / choices check
                assert "\n" not in message and "Traceback" not in message, message
                assert not message.startswith("Add some pictures"), (args, message)
    finally:
        httpx.post(f"{studio}gradio_api/call/stop_training", json={"data": [], "session_hash": session})
    assert call(studio, "generate", '["builtin:tiny-gan", 1, 0, 1.0, "", false, 1.0]', session)[0] == "complete"


def test_nan_in_our_own_sliders_is_one_sentence(studio, picture):
    """NaN passes Gradio's slider range check; the handlers refuse it in words, not with a crash."""
    session = uuid.uuid4().hex
    for api, args, sentence in [
        ("generate", '["builtin:tiny-gan", NaN, 0, 1.0, "", false, 1.0]', "Number of images must be a number."),
        ("generate", '["builtin:tiny-gan", 1, 0, 1.0, "", false, NaN]', "Class strength must be a number."),
        ("blend", '["builtin:tiny-gan", "seeds", 1, 2, null, null, NaN, "smooth", true, 10, "", ""]', "Steps must be a number."),
        ("blend", '["builtin:tiny-gan", "seeds", 1, 2, null, null, 4, "smooth", true, NaN, "", ""]',
         "Frames per second must be a number."),
        ("train", f'[[{picture}], "gan", 32, false, "crop", "small-data", NaN, 0, 8]', "Time budget must be a number."),
        ("train", f'[[{picture}], "gan", 32, false, "crop", "small-data", 0.5, 0, NaN]', "Batch size must be a number."),
    ]:
        assert call(studio, api, args, session) == ("error", sentence), (api, args)


# -- two sessions ------------------------------------------------------------------------------------------------

def test_two_sessions_never_see_each_others_work(studio, tmp_path):
    alice, bob = Client(studio, verbose=False), Client(studio, verbose=False)
    pic = tmp_path / "alice.png"
    pic.write_bytes(good_png(11))

    def alice_works():
        alice.predict("builtin:tiny-gan", 3, 0, 1.0, api_name="/generate")
        alice.predict([handle_file(str(pic))], "gan", 32, False, "crop", api_name="/check_pictures")
        alice.predict(handle_file(str(pic)), api_name="/edit_load")
        alice.predict(1.3, api_name="/add_contrast")
        zip_path = alice.predict("builtin:tiny-vae", api_name="/export_model")
        message, picker = alice.predict(handle_file(zip_path), api_name="/import_model")
        imported.append(picker["value"] if isinstance(picker, dict) else picker)  # gr.update(choices, value)

    imported: list[str] = []
    def bob_looks():
        found = []
        for args, api in [((1,), "/download_png"), ((), "/download_zip"), ((), "/edit_download"),
                          ((), "/send_to_edit"), ((), "/blend_from_this"), ((), "/nearest_training_picture"),
                          ((5,), "/extract_palette")]:
            with pytest.raises(Exception) as err:
                bob.predict(*args, api_name=api)
            found.append(str(err.value))
        return found

    worker = threading.Thread(target=alice_works)
    worker.start()  # both at once: Bob's calls run while Alice's are in flight
    during = bob_looks()
    worker.join(timeout=120)
    after = bob_looks()
    for message in during + after:
        assert message.startswith(("Select an image", "Generate some images", "Load a picture", "The originality")), message
    assert imported and imported[0].startswith("session:")
    assert len(alice.predict(imported[0], 1, 0, 1.0, api_name="/generate")[0]) == 1  # Alice's model is hers...
    with pytest.raises(Exception, match="not in the list of choices|Pick a model first"):
        bob.predict(imported[0], 1, 0, 1.0, api_name="/generate")  # ...and not Bob's
    with pytest.raises(Exception, match="no stopped training to resume in this session"):
        bob.predict([], "gan", 32, False, "crop", "small-data", 0.5, 0, 8, api_name="/resume_training")


def test_a_visitors_hub_token_reaches_no_other_session_state_or_file(studio):
    """Alice pushes with her token (no Hub is reachable here, so the push fails after using it): the
    token is in no reply to her or to Bob, in no session object the server keeps, and in no file of
    any session folder."""
    import gc

    from studio.session import WORK_ROOT, Session

    token = "hf_ALICE_" + uuid.uuid4().hex
    alice, bob = Client(studio, verbose=False), Client(studio, verbose=False)
    replies = []
    with pytest.raises(Exception) as err:
        alice.predict("builtin:tiny-gan", "alice/my-model", False, token, api_name="/hub_push")
    replies.append(str(err.value))
    replies.append(str(bob.predict(api_name="/load_models")))
    replies.append(str(bob.predict("builtin:tiny-gan", 2, 0, 1.0, api_name="/generate")))
    assert all(token not in reply for reply in replies)
    sessions = [obj for obj in gc.get_objects() if type(obj) is Session]  # type(): no property lookups
    assert sessions, "the server keeps the visitors' sessions in this process"
    for sess in sessions:
        assert token not in repr(vars(sess))
    # os.walk, not rglob: a session closing meanwhile (another test's) removes its folder mid-walk.
    for root, _, names in os.walk(WORK_ROOT):
        for path in (Path(root) / name for name in names):
            try:
                small = path.stat().st_size < 50_000_000
                data = path.read_bytes() if small else b""
            except FileNotFoundError:
                continue
            assert token.encode() not in data, path
