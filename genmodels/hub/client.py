"""Share model folders on the Hugging Face Hub: push one in a single commit, pull one back, safely.

  python -m genmodels.hub push FOLDER REPO_ID [--private]
  python -m genmodels.hub pull REPO_ID [--revision R] --out FOLDER [--overwrite]

Only the fixed files of the model format travel (config.json, model.safetensors, README.md, samples.png,
directions.safetensors, swatches.safetensors),
and only safetensors are ever read: a repo that holds pickle weights but no model.safetensors is refused
before anything is downloaded. Pulled files live in the huggingface_hub cache, so a model pulled once
loads again with no network. Repo ids and revisions are checked before any request.

Tokens: library callers (the app) pass the visitor's token explicitly; an empty one means "anonymous"
for a pull and is refused for a push, never replaced by the server's own HF_TOKEN or login. Only with
allow_env_token=True (the CLI) does huggingface_hub's usual login / HF_TOKEN apply. Tokens are never
logged, written or put in a message (see hub/errors.py).
"""
from __future__ import annotations

import io
import json
import logging
from pathlib import Path

from huggingface_hub import (
    CommitOperationAdd,
    HfApi,
    snapshot_download,
    try_to_load_from_cache,
)
from huggingface_hub.errors import HfUriError
from PIL import Image

from ..errors import StudioError
from ..storage.card import LIBRARY_NAME, render_card
from ..storage.safe_tensors_io import MAX_FILE_BYTES, write_bytes_atomic
from ..storage.store import (
    CARD_FILE,
    CONFIG_FILE,
    DIRECTIONS_FILE,
    PICKLE_SUFFIXES,
    PORTABLE_FILES,
    SAMPLES_FILE,
    WEIGHTS_FILE,
    LoadedModel,
    ModelLoadError,
    load_model,
    read_config,
)
from ..storage.swatches import SWATCH_BYTES, SWATCHES_FILE
from .errors import (
    HubError,
    HubOfflineError,
    HubRateLimitError,
    HubServerError,
    HubTimeoutError,
    NotAStudioModelError,
    PickleOnlyRepoError,
    attempt,
    call,
    check_repo_id,
    check_revision,
    client_token,
    time_limit,
)

REQUIRED_FILES = (CONFIG_FILE, WEIGHTS_FILE)
MAX_BYTES = {CONFIG_FILE: 1 << 20, CARD_FILE: 1 << 20, SAMPLES_FILE: 16 << 20, WEIGHTS_FILE: MAX_FILE_BYTES,
             DIRECTIONS_FILE: 4 << 20, SWATCHES_FILE: SWATCH_BYTES + (1 << 20)}
DEFAULT_TIMEOUT_S = 30.0  # the longest wait for any one answer from the Hub
SAMPLE_SEEDS = range(16)  # the grid drawn for a card when the folder has no samples.png
_KEEP_CACHED = (HubOfflineError, HubTimeoutError, HubRateLimitError, HubServerError)

log = logging.getLogger(__name__)


# ---- public API --------------------------------------------------------------------------------

def pull_model(repo_id: str, revision: str | None = None, token: str | None = None,
               cache_dir: str | Path | None = None, endpoint: str | None = None, *,
               allow_env_token: bool = False, timeout_s: float = DEFAULT_TIMEOUT_S,
               force_download: bool = False, local_files_only: bool = False) -> Path:
    """Download a model's fixed files into the huggingface_hub cache; return that folder (load_model works).

    revision: a branch, tag or commit id (default: main). token: the visitor's token, or None/"" for
    anonymous (the stored login / HF_TOKEN only with allow_env_token=True). cache_dir: default is the
    huggingface_hub cache. endpoint: default is HF_ENDPOINT or huggingface.co. When the Hub cannot be
    reached (no network, time-out, 429, 5xx) but the model was pulled before, the cached copy is
    returned. force_download: fetch again even if cached; local_files_only: only the cache, no request.
    Raises a HubError (a StudioError) with one sentence."""
    repo_id, revision = check_repo_id(repo_id), check_revision(revision)
    auth = client_token(token, allow_env_token, pushing=False)
    cache = str(cache_dir) if cache_dir is not None else None
    if local_files_only:
        cached = _cached_folder(repo_id, revision, cache)
        if cached is None:
            raise HubOfflineError(f"{repo_id} is not in the local cache; pull it once with the network on.")
        return cached
    api = HfApi(endpoint=endpoint, library_name=LIBRARY_NAME)
    with time_limit(timeout_s):
        info, error = attempt(lambda: api.model_info(repo_id, revision=revision, files_metadata=True,
                                                      timeout=timeout_s, token=auth),
                               repo_id=repo_id, action="pull", revision=revision)
        if error is not None:
            cached = _cached_folder(repo_id, revision, cache) if isinstance(error, _KEEP_CACHED) else None
            if cached is None:
                raise error
            log.info("the Hub could not be reached; using the cached copy of %s", repo_id)
            return cached
        names = _files_to_fetch(repo_id, info)
        # One commit for every file: snapshot_download resolves the revision once and fetches each file
        # at that commit. It must be the commit whose file list was checked above.
        folder = Path(call(lambda: snapshot_download(repo_id, revision=revision, allow_patterns=names,
                                                     cache_dir=cache, token=auth, endpoint=endpoint,
                                                     force_download=force_download,
                                                     etag_timeout=timeout_s, library_name=LIBRARY_NAME),
                           repo_id=repo_id, action="pull", revision=revision))
    if info.sha and folder.name != info.sha:
        raise HubError(f"{repo_id} changed while it was downloading: pull it again.")
    _check_loads(folder, repo_id)
    log.info("pulled %s at commit %s", repo_id, folder.name[:12])
    return folder


def push_model(folder: str | Path, repo_id: str, token: str | None, private: bool = False,
               endpoint: str | None = None, commit_message: str | None = None, *,
               allow_env_token: bool = False, timeout_s: float = DEFAULT_TIMEOUT_S) -> str:
    """Upload a model folder's fixed files to repo_id in one commit, with a fresh model card; return the
    repo URL. The repo is created if needed (private=True makes a new repo private, and refuses to push
    into an existing public one). token must have write access; an empty one is refused unless
    allow_env_token=True (then the stored login / HF_TOKEN is used). Nothing else in the folder is sent."""
    repo_id = check_repo_id(repo_id)
    auth = client_token(token, allow_env_token, pushing=True)
    folder = Path(folder)
    meta = read_config(folder)
    model = load_model(folder)  # never publish a model that would not load (wrong shapes, NaN weights)
    meta, config_bytes = _public_config(folder, meta)
    files = {CONFIG_FILE: config_bytes, WEIGHTS_FILE: (folder / WEIGHTS_FILE).read_bytes(),
             SAMPLES_FILE: _samples_png(folder, model)}
    for optional in (DIRECTIONS_FILE, SWATCHES_FILE):
        path = folder / optional
        if path.is_file() and path.stat().st_size <= MAX_BYTES[optional]:
            files[optional] = path.read_bytes()
    api = HfApi(endpoint=endpoint, library_name=LIBRARY_NAME)
    with time_limit(timeout_s):
        if "/" not in repo_id:  # "name" alone is in the token owner's account
            me = call(lambda: api.whoami(token=auth), repo_id=repo_id, action="push")
            repo_id = check_repo_id(f"{me.get('name')}/{repo_id}")
        info = _ensure_repo(api, repo_id, auth, private, timeout_s)
        if private and not info.private:
            raise HubError(f"{repo_id} already exists and is public, so nothing was pushed: choose a new "
                           "name, or make the repo private on the Hub first.")
        files[CARD_FILE] = render_card(meta, has_samples=True, repo_id=repo_id,
                                       has_swatches=SWATCHES_FILE in files).encode()
        operations = [CommitOperationAdd(path_in_repo=name, path_or_fileobj=files[name])
                      for name in PORTABLE_FILES if name in files]
        message = (commit_message or "").strip() or f"Upload {meta.get('name') or repo_id} from Latent Studio"
        call(lambda: api.create_commit(repo_id, operations, commit_message=message[:1000], token=auth),
              repo_id=repo_id, action="push")
    log.info("pushed %s to %s", folder.name, repo_id)
    return f"{api.endpoint.rstrip('/')}/{repo_id}"


def copy_model_folder(source: str | Path, out: str | Path, overwrite: bool = False) -> Path:
    """Copy a model folder's fixed files (e.g. from the cache) into out. out must be new or empty, unless
    overwrite=True: then only the fixed files are replaced (stale optional ones removed), nothing else."""
    source, out = Path(source), check_out_folder(out, overwrite)
    out.mkdir(parents=True, exist_ok=True)
    for name in PORTABLE_FILES:
        if (source / name).is_file():
            write_bytes_atomic(out / name, (source / name).read_bytes())
        elif name not in REQUIRED_FILES:
            (out / name).unlink(missing_ok=True)
    return out


def check_out_folder(out: str | Path, overwrite: bool = False) -> Path:
    """Refuse an out folder that copy_model_folder would refuse, before anything is downloaded."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise StudioError(f"{out} exists and is not a folder.")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise StudioError(f"{out} is not empty: choose a new folder, or overwrite its model files (--overwrite).")
    return out


# ---- pulling -------------------------------------------------------------------------------------

def _files_to_fetch(repo_id: str, info) -> list[str]:
    """The fixed names present in the repo, after refusing pickle-only and oversized repos."""
    sizes = {s.rfilename: s.size for s in info.siblings or []}
    if WEIGHTS_FILE not in sizes:
        pickles = sorted(name for name in sizes if Path(name).suffix.lower() in PICKLE_SUFFIXES)
        if pickles:
            shown = Path(pickles[0]).name
            shown = f" ({shown})" if len(shown) <= 64 and shown.isprintable() else ""
            raise PickleOnlyRepoError(f"{repo_id} holds only pickle weights{shown}, which Latent Studio never "
                                      "loads because they can run code.")
        raise NotAStudioModelError(f"{repo_id} has no {WEIGHTS_FILE}, so it is not a Latent Studio model.")
    if CONFIG_FILE not in sizes:
        raise NotAStudioModelError(f"{repo_id} has no {CONFIG_FILE}, so it is not a Latent Studio model.")
    for name, limit in MAX_BYTES.items():
        if (sizes.get(name) or 0) > limit:
            raise NotAStudioModelError(f"{name} in {repo_id} is over the {limit >> 20} MB limit, so it was not "
                                       "downloaded.")
    return [name for name in PORTABLE_FILES if name in sizes]


def _cached_folder(repo_id: str, revision: str | None, cache: str | None) -> Path | None:
    """The cached snapshot of repo_id at revision, if it holds a model that loads."""
    found = {try_to_load_from_cache(repo_id, name, cache_dir=cache, revision=revision) for name in REQUIRED_FILES}
    if not all(isinstance(p, str) for p in found):
        return None
    folders = {Path(p).parent for p in found}
    if len(folders) != 1:
        return None
    folder = folders.pop()
    try:
        load_model(folder)
    except ModelLoadError:
        return None
    return folder


def _check_loads(folder: Path, repo_id: str) -> None:
    try:
        load_model(folder)
        return
    except ModelLoadError as exc:
        # The cache folder is named after the commit id: name the repo instead.
        reason = str(exc).replace(folder.name, repo_id)
    raise ModelLoadError(f"The model pulled from {repo_id} cannot be used: {reason[:1].lower()}{reason[1:]}")


# ---- pushing -------------------------------------------------------------------------------------

def _ensure_repo(api: HfApi, repo_id: str, token: str | bool | None, private: bool, timeout_s: float):
    """Create owner/name unless it exists; return its info. create_repo(exist_ok=True) also accepts a
    token that may not create repos (401/403) when the repo is already there and it may commit to it."""
    context = {"repo_id": repo_id, "action": "push"}
    call(lambda: _create_repo(api, repo_id, token, private), **context)
    return call(lambda: api.model_info(repo_id, timeout=timeout_s, token=token), **context)


def _create_repo(api: HfApi, repo_id: str, token: str | bool | None, private: bool) -> None:
    try:
        api.create_repo(repo_id, token=token, private=private, exist_ok=True)
    except HfUriError:
        # huggingface_hub 2.x, after a 401/403 on an existing repo, confirms the repo exists and then builds
        # its URL without the endpoint it was given: a Hub at another address (endpoint=...) fails to parse.
        # The repo is there; the commit below says whether this token may write to it.
        pass


def _public_config(folder: Path, meta: dict) -> tuple[dict, bytes]:
    """config.json as published: the dataset report keeps its summary and counts, and loses lists such as
    the names of skipped files. Unchanged files are sent byte for byte."""
    raw = (folder / CONFIG_FILE).read_bytes()
    dataset = meta.get("dataset")
    if not isinstance(dataset, dict):
        return meta, raw
    public = {key: value for key, value in dataset.items() if _is_aggregate(value)}
    if public == dataset:
        return meta, raw
    meta = {**meta, "dataset": public}
    return meta, json.dumps(meta, indent=2, sort_keys=True).encode()


def _is_aggregate(value: object) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and isinstance(v, int) for k, v in value.items())
    return value is None or isinstance(value, (str, int, float, bool))


def _samples_png(folder: Path, model: LoadedModel) -> bytes:
    """The folder's samples.png if it is a PNG of sane size, else a grid drawn now (seeds 0-15)."""
    path = folder / SAMPLES_FILE
    if path.is_file() and path.stat().st_size <= MAX_BYTES[SAMPLES_FILE]:
        data = path.read_bytes()
        if data.startswith(b"\x89PNG\r\n\x1a\n"):
            return data
    from ..generation.sampling import (  # drawing needs torch work; only when there is no grid yet
        generate,
        grid,
    )
    from ..generation.texture import texture_grid

    buffer = io.BytesIO()
    drawn = (texture_grid(model.network, model.config) if model.kind == "texture"
             else grid(generate(model, SAMPLE_SEEDS)))
    Image.fromarray(drawn).save(buffer, format="PNG")
    return buffer.getvalue()
