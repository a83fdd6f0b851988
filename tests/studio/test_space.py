"""The studio booted the way a Hugging Face Space boots it: `python app.py` in a clean process with
SPACE_ID, the OAuth variables `hf_oauth: true` provides (pointing at a local OpenID stub) and
GRADIO_SERVER_NAME=0.0.0.0. A visitor signs in with "Sign in with Hugging Face" in Chromium and pushes;
the push must reach the (local) Hub under the visitor's name, never with the Space owner's HF_TOKEN."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from bench.app_server import free_port
from tests.browser_helpers import TIMEOUT_MS, chromium, needs_chromium, screenshots
from tests.hub_server import FakeHub
from tests.openid_stub import CLIENT_ID, CLIENT_SECRET, SCOPES, OpenIDStub

pytestmark = pytest.mark.slow  # boots app.py as a Space would, in a subprocess

ROOT = Path(__file__).resolve().parents[2]
VISITOR, VISITOR_TOKEN = "visitor", "hf_oauth_visitor_token"
OWNER, OWNER_TOKEN = "space-owner", "hf_space_owner_token"


def listening_on_all_interfaces(port: int) -> bool:
    """A LISTEN socket bound to 0.0.0.0:port (IPv4) or [::]:port, from /proc/net (Linux)."""
    for table, any_address in (("/proc/net/tcp", "00000000"), ("/proc/net/tcp6", "0" * 32)):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, _, hex_port = local.partition(":")
            if state == "0A" and int(hex_port, 16) == port and address == any_address:
                return True
    return False


@pytest.fixture
def space(tmp_path):
    """(url, port, hub) of the app started as a Space would start it, with its own Hub and OpenID provider."""
    hub = FakeHub(tokens={VISITOR_TOKEN: (VISITOR, "write"), OWNER_TOKEN: (OWNER, "write")}).start()
    provider = OpenIDStub(VISITOR, VISITOR_TOKEN).start()
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("GRADIO_", "HF_", "SPACE", "OAUTH_", "SYSTEM"))}
    env.update({"SYSTEM": "spaces", "SPACE_ID": f"{OWNER}/latent-studio", "SPACE_AUTHOR_NAME": OWNER, "SPACE_REPO_NAME": "latent-studio",
                "OAUTH_CLIENT_ID": CLIENT_ID, "OAUTH_CLIENT_SECRET": CLIENT_SECRET, "OAUTH_SCOPES": SCOPES,
                "OPENID_PROVIDER_URL": provider.url, "GRADIO_SERVER_NAME": "0.0.0.0",
                "GRADIO_SERVER_PORT": str(port), "HF_ENDPOINT": hub.url, "HF_TOKEN": OWNER_TOKEN,
                "HF_HOME": str(tmp_path / "hf-home"), "GRADIO_ANALYTICS_ENABLED": "False"})
    log = tmp_path / "space.log"
    with open(log, "wb") as out:  # no flags at all: everything comes from the environment, as on a Space
        proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the Space did not start (exit {proc.returncode}):\n{log.read_text()[-3000:]}")
            try:
                if urllib.request.urlopen(url, timeout=2).status == 200:
                    break
            except OSError:
                time.sleep(0.2)
            if time.monotonic() > deadline:
                pytest.fail(f"the Space did not answer within 180 s:\n{log.read_text()[-3000:]}")
        yield url, port, hub
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        provider.stop()
        hub.stop()
        assert OWNER_TOKEN not in log.read_text(errors="replace")  # never printed


@needs_chromium
def test_space_boots_signs_in_and_pushes_as_the_visitor(space, tmp_path):
    url, port, hub = space
    assert listening_on_all_interfaces(port), "GRADIO_SERVER_NAME=0.0.0.0 must make the app listen everywhere"
    shots = screenshots(tmp_path)
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(TIMEOUT_MS)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(url, wait_until="domcontentloaded")
        # First launch shows pictures: the default model's first images are already in the gallery.
        page.wait_for_function("document.querySelectorAll('#generate-gallery img').length >= 16")
        page.get_by_role("tab", name="Share").click()
        sign_in = page.get_by_role("button", name="Sign in with Hugging Face")
        sign_in.wait_for()
        page.screenshot(path=str(shots / "space-share-signed-out.png"))
        # -> /login/huggingface -> the provider -> /login/callback -> a fresh page of the studio
        with page.expect_response(lambda response: "/login/callback" in response.url):
            sign_in.click()
        page.wait_for_load_state("domcontentloaded")
        page.wait_for_function("document.querySelectorAll('#generate-gallery img').length >= 16")
        page.get_by_role("tab", name="Share").click()
        page.get_by_role("button", name=f"Logout ({VISITOR})").wait_for()
        # Name alone: the Hub puts it in the account of whoever's token pushes it.
        page.get_by_label("Repository").fill("space-pushed-model")
        page.get_by_label("Private").uncheck()
        page.get_by_role("button", name="Push the picked model").click()
        page.get_by_text("Pushed to").wait_for()
        page.screenshot(path=str(shots / "space-share-pushed.png"))
        assert errors == []
    assert f"{VISITOR}/space-pushed-model" in hub.repos
    assert not any(repo.startswith(f"{OWNER}/") for repo in hub.repos)
    assert hub.callers == {VISITOR}  # the owner's HF_TOKEN never reached the Hub
    assert "model.safetensors" in hub.files(f"{VISITOR}/space-pushed-model")
