"""genmodels.hub against a local Hub-compatible server (tests/hub_server.py) with the real huggingface_hub
client: round trips, privacy, refusals before any request, pickles, offline use, errors, token hygiene, CLI."""
from __future__ import annotations

import json
import logging
import os
import pickle
import socket
import subprocess
import sys
import time
import traceback
from pathlib import Path

import pytest
import torch

from genmodels.cli import hub as hub_cli
from genmodels.hub import client as hub
from genmodels.errors import StudioError
from genmodels.hub.errors import (
    HubAuthError,
    HubError,
    HubNotFoundError,
    HubOfflineError,
    HubPermissionError,
    HubRateLimitError,
    HubTimeoutError,
    InvalidRepoIdError,
    MissingTokenError,
    NotAStudioModelError,
    PickleOnlyRepoError,
)
from genmodels.storage.store import ModelLoadError, load_model
from tests.hub_server import FakeHub

WRITE, READ_ONLY = "hf_good_write", "hf_read_only"
SENTINEL = "hf_SENTINEL_do_not_leak_123"
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def hf_env(tmp_path, monkeypatch):
    """Never the user's cache, login or telemetry; no ambient token unless a test sets one."""
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def server():
    hub_server = FakeHub(stall_seconds=30).start()  # stop() ends a stall at once
    yield hub_server
    hub_server.stop()


@pytest.fixture
def cache(tmp_path):
    return tmp_path / "hf-cache"


def _dead_endpoint() -> str:
    """An address where nothing listens: what a pull sees with no network."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _weights(folder: Path) -> dict[str, torch.Tensor]:
    return load_model(folder).network.state_dict()


def _pickle_bomb(marker: Path) -> bytes:
    class Boom:  # unpickling this would create the marker file
        def __reduce__(self):
            return (open, (str(marker), "w"))

    return pickle.dumps(Boom())


# ---- round trips ----------------------------------------------------------------------------------

def test_push_then_pull_round_trip(server, cache, gan_folder, vae_folder):
    (gan_folder / "notes.txt").write_text("private notes")  # never uploaded: only the fixed files travel
    (gan_folder / "old.pt").write_bytes(b"not sent either")
    for folder, name in ((gan_folder, "tiny-gan"), (vae_folder, "tiny-vae")):
        url = hub.push_model(folder, f"tester/{name}", WRITE, endpoint=server.url)
        assert url == f"{server.url}/tester/{name}"
        stored = server.files(f"tester/{name}")
        assert set(stored) == {".gitattributes", "config.json", "model.safetensors", "README.md", "samples.png"}
        for file in ("model.safetensors", "config.json"):
            assert stored[file] == (folder / file).read_bytes()
        assert stored["samples.png"].startswith(b"\x89PNG")  # drawn at push time: the folder had none

        pulled = hub.pull_model(f"tester/{name}", cache_dir=cache, endpoint=server.url)
        assert str(pulled).startswith(str(cache))
        assert (pulled / "model.safetensors").read_bytes() == (folder / "model.safetensors").read_bytes()
        a, b = _weights(folder), _weights(pulled)
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)

    commits = [p for m, p, _ in server.requests if p.endswith("/commit/main")]
    assert len(commits) == 2  # one commit per push


def test_push_with_a_bare_name_goes_to_the_token_owner(server, cache, gan_folder):
    url = hub.push_model(gan_folder, "solo", WRITE, endpoint=server.url)
    assert url == f"{server.url}/tester/solo" and "tester/solo" in server.repos
    assert load_model(hub.pull_model("tester/solo", cache_dir=cache, endpoint=server.url)).kind == "gan"


def test_model_card_on_the_hub(server, tmp_path, gan_folder):
    meta = json.loads((gan_folder / "config.json").read_text())
    meta.update(license="mit", training={"recipe": "dcgan-32, 20 epochs, lr 0.0002", "training_time": "4 min"},
                dataset={"summary": "Flowers: 40 photos, 64x64 or larger", "images_used": 40, "source": "flowers.zip",
                         "skipped": [["holiday_passport_scan.pdf", "not an image"]], "skipped_by_kind": {"not_image": 1}})
    (gan_folder / "config.json").write_text(json.dumps(meta))
    hub.push_model(gan_folder, "tester/carded", WRITE, endpoint=server.url)
    card = server.files("tester/carded")["README.md"].decode()
    published = json.loads(server.files("tester/carded")["config.json"])
    assert published["dataset"] == {"summary": "Flowers: 40 photos, 64x64 or larger", "images_used": 40,
                                    "source": "flowers.zip", "skipped_by_kind": {"not_image": 1}}
    assert published["config"] == meta["config"] and "passport" not in card
    front = card.split("---")[1]
    for line in ("library_name: latent-studio", "license: mit", "pipeline_tag: unconditional-image-generation",
                 "- gan", "- unconditional-image-generation"):
        assert line in front
    for text in ("Flowers: 40 photos", "Trained on 40 images", "dcgan-32, 20 epochs", "4 min",
                 "![Samples drawn from this model](samples.png)", "latent-studio-hub pull tester/carded",
                 'LatentStudioModel.from_pretrained("tester/carded")'):
        assert text in card
    assert WRITE not in card


def test_only_fixed_files_are_fetched(server, cache, gan_folder, tmp_path):
    marker = tmp_path / "pwned"
    files = {name: (gan_folder / name).read_bytes() for name in ("config.json", "model.safetensors", "README.md")}
    server.add_repo("someone/mixed", {**files, "pytorch_model.bin": _pickle_bomb(marker),
                                      "nested/model.safetensors": b"x", "extra.txt": b"y"})
    folder = hub.pull_model("someone/mixed", cache_dir=cache, endpoint=server.url)
    fetched = {p.rsplit("/", 1)[-1] for p in server.paths_requested() if "/resolve/" in p}
    assert fetched == {"config.json", "model.safetensors", "README.md"}  # no samples.png in this repo
    assert not any("nested" in p or ".bin" in p for p in server.paths_requested())
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "config.json", "model.safetensors"]
    assert not marker.exists()


# ---- privacy and tokens ---------------------------------------------------------------------------

def test_private_flag(server, cache, gan_folder, monkeypatch):
    hub.push_model(gan_folder, "tester/secret", WRITE, private=True, endpoint=server.url)
    assert server.repos["tester/secret"].private
    with pytest.raises(HubNotFoundError, match=r"No model repo called tester/secret .*\(404\)"):
        hub.pull_model("tester/secret", cache_dir=cache, endpoint=server.url)
    # An empty token in the app never falls back to the server's own HF_TOKEN.
    monkeypatch.setenv("HF_TOKEN", WRITE)
    seen = len(server.requests)
    with pytest.raises(HubNotFoundError):
        hub.pull_model("tester/secret", token="", cache_dir=cache, endpoint=server.url)
    assert server.requests[seen:] and not any(auth for _, _, auth in server.requests[seen:])
    folder = hub.pull_model("tester/secret", token=READ_ONLY, cache_dir=cache, endpoint=server.url)
    assert load_model(folder).kind == "gan"
    # The CLI mode may use HF_TOKEN.
    assert hub.pull_model("tester/secret", cache_dir=cache, endpoint=server.url, allow_env_token=True) == folder


def test_private_push_into_existing_public_repo_is_refused(server, gan_folder):
    hub.push_model(gan_folder, "tester/open", WRITE, endpoint=server.url)
    with pytest.raises(HubError, match="already exists and is public"):
        hub.push_model(gan_folder, "tester/open", WRITE, private=True, endpoint=server.url)
    assert len([p for _, p, _ in server.requests if p.endswith("/commit/main")]) == 1


def test_push_needs_an_explicit_token(server, gan_folder, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", WRITE)  # the server's own token must not be used for a visitor
    for token in (None, "", "   "):
        with pytest.raises(MissingTokenError, match="^Paste a Hugging Face token with write access to push.$"):
            hub.push_model(gan_folder, "tester/x", token, endpoint=server.url)
    with pytest.raises(HubAuthError):
        hub.push_model(gan_folder, "tester/x", "hf_bad\ntoken", endpoint=server.url)
    assert server.requests == []


def test_push_401_and_403(server, gan_folder):
    with pytest.raises(HubAuthError, match=r"token was refused \(401\)"):
        hub.push_model(gan_folder, "tester/m", "hf_wrong", endpoint=server.url)
    with pytest.raises(HubPermissionError, match=r"cannot write to tester/m \(403\)"):
        hub.push_model(gan_folder, "tester/m", READ_ONLY, endpoint=server.url)
    assert "tester/m" not in server.repos
    hub.push_model(gan_folder, "tester/m", WRITE, endpoint=server.url)
    with pytest.raises(HubPermissionError, match=r"\(403\)"):  # repo exists: refused at upload
        hub.push_model(gan_folder, "tester/m", READ_ONLY, endpoint=server.url)
    with pytest.raises(HubPermissionError, match=r"\(403\)"):  # someone else's namespace
        hub.push_model(gan_folder, "someone-else/m", WRITE, endpoint=server.url)


def test_pull_404s(server, cache, gan_folder):
    with pytest.raises(HubNotFoundError, match=r"No model repo called tester/nothing-here .*\(404\)"):
        hub.pull_model("tester/nothing-here", cache_dir=cache, endpoint=server.url)
    with pytest.raises(HubNotFoundError, match=r"\(404\)"):
        hub.pull_model("tester/nothing-here", token=WRITE, cache_dir=cache, endpoint=server.url)
    hub.push_model(gan_folder, "tester/m", WRITE, endpoint=server.url)
    with pytest.raises(HubNotFoundError, match="no branch, tag or commit called v9"):
        hub.pull_model("tester/m", revision="v9", cache_dir=cache, endpoint=server.url)
    with pytest.raises(HubAuthError, match=r"\(401\)"):
        hub.pull_model("tester/m", token="hf_wrong", cache_dir=cache, endpoint=server.url)


# ---- refusals before any request --------------------------------------------------------------

@pytest.mark.parametrize("repo_id", ["../..", "a/b/c", "x" * 200, "", "  ", "-abc/x", "abc.", "a..b/c", "owner/na me",
                                     "owner/", "/name", "ünï/x", "a--b/c", "model.git", "a\\b", 42])
def test_bad_repo_ids_are_refused_before_any_request(server, cache, gan_folder, repo_id):
    with pytest.raises(InvalidRepoIdError):
        hub.pull_model(repo_id, cache_dir=cache, endpoint=server.url)
    with pytest.raises(InvalidRepoIdError):
        hub.push_model(gan_folder, repo_id, WRITE, endpoint=server.url)
    assert server.requests == []
    assert not cache.exists()


@pytest.mark.parametrize("revision", ["../main", "a b", "x" * 200, "-rf", "main/", "a//b", "v1.lock"])
def test_bad_revisions_are_refused_before_any_request(server, cache, revision):
    with pytest.raises(HubError, match="A revision is"):
        hub.pull_model("tester/m", revision=revision, cache_dir=cache, endpoint=server.url)
    assert server.requests == []


def test_repo_holding_only_a_pickle_is_refused_and_never_downloaded(server, cache, tmp_path):
    proof = tmp_path / "proof"
    pickle.loads(_pickle_bomb(proof))  # the bomb is live: unpickling it does create a file
    assert proof.exists()
    marker = tmp_path / "pwned"
    config = json.dumps({"format_version": 1, "kind": "gan", "config": {}}).encode()
    server.add_repo("someone/evil", {"pytorch_model.bin": _pickle_bomb(marker), "config.json": config})
    with pytest.raises(PickleOnlyRepoError) as info:
        hub.pull_model("someone/evil", cache_dir=cache, endpoint=server.url)
    assert str(info.value) == ("someone/evil holds only pickle weights (pytorch_model.bin), which Latent Studio "
                               "never loads because they can run code.")
    assert not marker.exists()
    assert not any("/resolve/" in p for p in server.paths_requested())  # not even downloaded
    assert not list(cache.rglob("*.bin")) and not list(cache.rglob("blobs/*"))


def test_repos_that_are_not_usable_models_are_refused(server, cache, gan_folder):
    server.add_repo("someone/text", {"README.md": b"# just a card"})
    with pytest.raises(NotAStudioModelError, match="has no model.safetensors"):
        hub.pull_model("someone/text", cache_dir=cache, endpoint=server.url)
    config = (gan_folder / "config.json").read_bytes()
    truncated = (gan_folder / "model.safetensors").read_bytes()[:-100]
    server.add_repo("someone/broken", {"config.json": config, "model.safetensors": truncated})
    with pytest.raises(ModelLoadError) as info:
        hub.pull_model("someone/broken", cache_dir=cache, endpoint=server.url)
    assert str(info.value).startswith("The model pulled from someone/broken cannot be used: model.safetensors")


# ---- offline, rate limits, time-outs -------------------------------------------------------------

def test_offline_load_from_cache(server, cache, gan_folder):
    hub.push_model(gan_folder, "tester/m", WRITE, endpoint=server.url)
    first = hub.pull_model("tester/m", cache_dir=cache, endpoint=server.url)
    dead = server.url
    server.stop()
    again = hub.pull_model("tester/m", cache_dir=cache, endpoint=dead)
    assert again == first
    a, b = _weights(gan_folder), _weights(again)
    assert all(torch.equal(a[k], b[k]) for k in a)
    with pytest.raises(HubOfflineError, match="not in the local cache yet"):
        hub.pull_model("tester/never-pulled", cache_dir=cache, endpoint=dead)
    with pytest.raises(HubOfflineError, match="Could not reach the Hugging Face Hub"):
        hub.push_model(gan_folder, "tester/m", WRITE, endpoint=dead)


@pytest.mark.slow
def test_rate_limit_and_timeouts_have_their_sentences(server, cache, gan_folder):
    with pytest.raises(HubRateLimitError, match=r"\(429\)"):
        hub.push_model(gan_folder, "tester/rate-limited", WRITE, endpoint=server.url)
    with pytest.raises(HubRateLimitError, match=r"\(429\)"):
        hub.pull_model("tester/rate-limited", cache_dir=cache, endpoint=server.url)
    start = time.monotonic()
    with pytest.raises(HubTimeoutError, match="did not answer in time"):
        hub.pull_model("tester/stall", cache_dir=cache, endpoint=server.url, timeout_s=0.5)
    with pytest.raises(HubTimeoutError, match="did not answer in time"):
        hub.push_model(gan_folder, "tester/stall", WRITE, endpoint=server.url, timeout_s=0.5)
    assert time.monotonic() - start < 15  # the server stalls for 30 s: the time limit cut the waits short


# ---- token hygiene --------------------------------------------------------------------------------

@pytest.mark.slow
def test_sentinel_token_never_leaks(server, cache, gan_folder, tmp_path, caplog, capsys):
    for name in ["", *logging.root.manager.loggerDict]:
        caplog.set_level(logging.DEBUG, logger=name or None)
    hub.push_model(gan_folder, "tester/public", WRITE, endpoint=server.url)
    hub.push_model(gan_folder, "tester/hidden", WRITE, private=True, endpoint=server.url)
    attempts = [
        lambda: hub.push_model(gan_folder, "tester/new", SENTINEL, endpoint=server.url),
        lambda: hub.push_model(gan_folder, "tester/public", SENTINEL, endpoint=server.url),
        lambda: hub.push_model(gan_folder, "tester/rate-limited", SENTINEL, endpoint=server.url),
        lambda: hub.push_model(gan_folder, "tester/stall", SENTINEL, endpoint=server.url, timeout_s=0.3),
        lambda: hub.pull_model("tester/public", token=SENTINEL, cache_dir=cache, endpoint=server.url),
        lambda: hub.pull_model("tester/hidden", token=SENTINEL, cache_dir=cache, endpoint=server.url),
        lambda: hub.pull_model("tester/missing", token=SENTINEL, cache_dir=cache, endpoint=server.url),
        lambda: hub.pull_model("tester/stall", token=SENTINEL, cache_dir=cache, endpoint=server.url, timeout_s=0.3),
        lambda: hub.pull_model(SENTINEL + "/../x", token=SENTINEL, cache_dir=cache, endpoint=server.url),
        lambda: hub.pull_model("tester/public", token=SENTINEL, cache_dir=cache, endpoint=_dead_endpoint()),
    ]
    texts = []
    for attempt in attempts:
        with pytest.raises(HubError) as info:
            attempt()
        error = info.value
        assert error.__cause__ is None and error.__context__ is None
        texts += [str(error), repr(error), "".join(traceback.format_exception(error))]
    out = capsys.readouterr()
    texts += [out.out, out.err, caplog.text]
    texts += [record.getMessage() for record in caplog.records]
    assert len(caplog.records) > 0  # the client did log its requests at DEBUG
    assert not [text for text in texts if SENTINEL in text]
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert SENTINEL.encode() not in path.read_bytes(), path


# ---- command line ---------------------------------------------------------------------------------

def _cli(*args, env_extra: dict[str, str], tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING"))}
    env.update(HF_HUB_DISABLE_TELEMETRY="1", HF_HOME=str(tmp_path / "cli-hf-home"), **env_extra)
    return subprocess.run([sys.executable, "-m", "genmodels.hub", *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)


@pytest.mark.slow
def test_cli_push_and_pull(server, gan_folder, tmp_path):
    env = {"HF_ENDPOINT": server.url, "HF_TOKEN": WRITE}
    pushed = _cli("push", gan_folder, "tester/cli-model", "--private", env_extra=env, tmp_path=tmp_path)
    assert pushed.returncode == 0, pushed.stderr
    assert f"{server.url}/tester/cli-model" in pushed.stdout and WRITE not in pushed.stdout + pushed.stderr
    assert server.repos["tester/cli-model"].private

    out = tmp_path / "pulled"
    pulled = _cli("pull", "tester/cli-model", "--out", out, env_extra=env, tmp_path=tmp_path)
    assert pulled.returncode == 0, pulled.stderr
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "config.json", "model.safetensors", "samples.png"]
    assert (out / "model.safetensors").read_bytes() == (gan_folder / "model.safetensors").read_bytes()



def test_cli_arguments_and_refusals_in_process(gan_folder, tmp_path, monkeypatch, capsys):
    with pytest.raises(SystemExit) as exited:
        hub_cli.main(["pull", "--help"])
    assert exited.value.code == 0 and "--revision" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exited:
        hub_cli.main(["pull", "owner/name"])  # --out is required
    assert exited.value.code == 2 and len(capsys.readouterr().err.strip().splitlines()) == 1
    with pytest.raises(InvalidRepoIdError):
        hub_cli.main(["pull", "../..", "--out", str(tmp_path / "o")])
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "mine.txt").write_text("x")
    with pytest.raises(StudioError, match="is not empty"):  # refused before any download
        hub_cli.main(["pull", "tester/m", "--out", str(tmp_path / "full")])
    monkeypatch.setattr("genmodels.hub.errors.get_token", lambda: None)  # nobody logged in, no HF_TOKEN
    with pytest.raises(MissingTokenError, match="HF_TOKEN"):
        hub_cli.main(["push", str(gan_folder), "tester/m"])
    with pytest.raises(StudioError, match="No model folder or built-in model"):
        hub_cli.main(["push", str(tmp_path / "nothing"), "tester/m"])


def test_copy_model_folder_overwrites_only_model_files(server, cache, gan_folder, tmp_path):
    hub.push_model(gan_folder, "tester/m", WRITE, endpoint=server.url)
    pulled = hub.pull_model("tester/m", cache_dir=cache, endpoint=server.url)
    out = tmp_path / "mine"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(StudioError, match="not empty"):
        hub.copy_model_folder(pulled, out)
    hub.copy_model_folder(pulled, out, overwrite=True)
    assert (out / "keep.txt").read_text() == "mine" and load_model(out).kind == "gan"
