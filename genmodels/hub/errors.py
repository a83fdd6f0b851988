"""Everything between huggingface_hub and a one-sentence message, for genmodels.hub: what is accepted
(repo ids, revisions, tokens) before any request, how long any one answer may take, and how every Hub
failure reads.

Messages are written here, never copied from huggingface_hub or the server: those can carry URLs,
headers and server text, and a token must never reach a message, a log line or a traceback. A
translated error is raised outside the `except` block that caught the original (see `attempt`), so it
carries no chained exception either.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

import httpx2
from huggingface_hub import get_token
from huggingface_hub.errors import (
    FileMetadataError,
    GatedRepoError,
    HfHubHTTPError,
    HFValidationError,
    LocalEntryNotFoundError,
    LocalTokenNotFoundError,
    OfflineModeIsEnabled,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.utils import set_client_factory, validate_repo_id

from ..errors import StudioError

MAX_NAME_CHARS = 96  # the Hub's limit for a namespace and for a repo name
MAX_REVISION_CHARS = 128
_NAME = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9._-]*[A-Za-z0-9_])?")
_REVISION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")
_TOKEN = re.compile(r"[\x21-\x7e]+")  # printable ASCII, no spaces: anything else would break the header
T = TypeVar("T")


class HubError(StudioError):
    """A push or pull that could not be done; the message says what to do."""


class InvalidRepoIdError(HubError):
    pass


class MissingTokenError(HubError):
    pass


class HubAuthError(HubError):
    """401: the token was refused."""


class HubPermissionError(HubError):
    """403: the token is fine but may not do this (e.g. a read-only token pushing)."""


class HubNotFoundError(HubError):
    """404: no such repo (or private and not visible with this token), revision or file."""


class HubRateLimitError(HubError):
    """429."""


class HubTimeoutError(HubError):
    pass


class HubOfflineError(HubError):
    """No network (and, for a pull, nothing usable in the cache)."""


class HubServerError(HubError):
    """5xx, or an answer that is not what a Hub sends."""


class NotAStudioModelError(HubError):
    """The repo exists but does not hold a Latent Studio model folder."""


class PickleOnlyRepoError(NotAStudioModelError):
    pass


# ---- checks made before any request -------------------------------------------------------------

def check_repo_id(repo_id: object) -> str:
    """Return the repo id if it is `owner/name` or `name` as the Hub allows; raise InvalidRepoIdError.

    The message never repeats the value: people paste tokens into the wrong field."""
    rule = ("A repo id looks like owner/name: letters, digits, '-', '_' and '.', at most 96 characters per "
            "part, not starting or ending with '-' or '.', with no '..' or '--'.")
    if not isinstance(repo_id, str) or not repo_id.strip():
        raise InvalidRepoIdError("Enter a repo id such as your-name/my-model.")
    repo_id = repo_id.strip()
    parts = repo_id.split("/")
    if len(parts) > 2 or not all(0 < len(p) <= MAX_NAME_CHARS and _NAME.fullmatch(p) for p in parts):
        raise InvalidRepoIdError(rule)
    if ".." in repo_id or "--" in repo_id or repo_id.endswith(".git"):
        raise InvalidRepoIdError(rule)
    try:
        validate_repo_id(repo_id)  # the client's own rule, so it never refuses what we let through
    except HFValidationError:
        raise InvalidRepoIdError(rule) from None
    return repo_id


def check_revision(revision: object) -> str | None:
    """None (the default branch) or a branch, tag or commit id; raise HubError otherwise."""
    if revision is None or (isinstance(revision, str) and not revision.strip()):
        return None
    rule = ("A revision is a branch, tag or commit id: letters, digits, '.', '_', '-' and '/', at most "
            f"{MAX_REVISION_CHARS} characters, with no spaces or '..'.")
    if not isinstance(revision, str):
        raise HubError(rule)
    revision = revision.strip()
    if (len(revision) > MAX_REVISION_CHARS or not _REVISION.fullmatch(revision) or ".." in revision
            or "//" in revision or revision.endswith(("/", ".lock", "."))):
        raise HubError(rule)
    return revision


def check_token(token: str | None) -> str | None:
    """A pasted token, stripped; None when empty. Never echoed back."""
    if token is None:
        return None
    if not isinstance(token, str):
        raise HubAuthError("The Hugging Face token must be text.")
    token = token.strip()
    if not token:
        return None
    if len(token) > 1024 or not _TOKEN.fullmatch(token):
        raise HubAuthError("That does not look like a Hugging Face token: paste it again, without spaces.")
    return token


# ---- tokens and time limits ----------------------------------------------------------------------

def client_token(token: str | None, allow_env_token: bool, pushing: bool) -> str | bool | None:
    """What to hand huggingface_hub: the pasted token; False (anonymous, never the server's own token);
    or None (its usual login / HF_TOKEN), only when allow_env_token."""
    token = check_token(token)
    if token:
        return token
    if not allow_env_token:
        if pushing:
            raise MissingTokenError("Paste a Hugging Face token with write access to push.")
        return False
    if pushing and get_token() is None:
        raise MissingTokenError("No Hugging Face token found: run `hf auth login` or set HF_TOKEN to push.")
    return None


_time_limit_s: ContextVar[float | None] = ContextVar("latent_studio_hub_time_limit", default=None)
_hook_lock = threading.Lock()
_hook_installed = False


def _cap_timeout(request: httpx2.Request) -> None:
    """httpx request hook: inside a push or pull, no single wait lasts longer than its time limit.

    Some client calls (create_repo, the commit) send requests with no timeout at all."""
    limit = _time_limit_s.get()
    if limit is None:
        return
    current = request.extensions.get("timeout") or {}
    capped = {key: limit if current.get(key) is None else min(current[key], limit)
              for key in ("connect", "read", "write", "pool")}
    request.extensions = {**request.extensions, "timeout": capped}


def _install_timeout_hook() -> None:
    """Wrap huggingface_hub's client factory once so its clients carry _cap_timeout. Outside our calls
    the hook does nothing, so other users of huggingface_hub in the process see no change."""
    global _hook_installed
    with _hook_lock:
        if _hook_installed:
            return
        from huggingface_hub.utils import _http

        previous = getattr(_http, "_GLOBAL_CLIENT_FACTORY", None) or _http.default_client_factory

        def factory() -> httpx2.Client:
            client = previous()
            client.event_hooks["request"].append(_cap_timeout)
            return client

        set_client_factory(factory)
        _hook_installed = True


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Inside this block no single connect, read, write or pool wait of huggingface_hub exceeds seconds."""
    if not seconds > 0:
        raise StudioError("The Hub time limit must be a positive number of seconds.")
    _install_timeout_hook()
    reset = _time_limit_s.set(float(seconds))
    try:
        yield
    finally:
        _time_limit_s.reset(reset)


def attempt(fn: Callable[[], T], **context) -> tuple[T | None, HubError | None]:
    """(result, None) or (None, the one-sentence HubError); anything that is not a Hub failure is raised."""
    try:
        return fn(), None
    except Exception as exc:  # noqa: BLE001 - translate() decides; unknown failures are re-raised
        error = translate(exc, **context)
        if error is None:
            raise
    return None, error  # returned outside the except block: no chained original (URLs, headers) rides along


def call(fn: Callable[[], T], **context) -> T:
    result, error = attempt(fn, **context)
    if error is not None:
        raise error
    return result  # type: ignore[return-value]


# ---- translating failures -------------------------------------------------------------------------

def translate(exc: BaseException, *, repo_id: str, action: str, revision: str | None = None) -> HubError | None:
    """The one-sentence HubError for a failure of `action` ("pull" or "push") on repo_id, or None when
    exc is not a Hub or network failure (a bug, which should surface as it is)."""
    pushing = action == "push"
    if isinstance(exc, HubError):
        return exc
    if isinstance(exc, LocalTokenNotFoundError):
        return MissingTokenError("No Hugging Face token found: run `hf auth login` or set HF_TOKEN.")
    if isinstance(exc, LocalEntryNotFoundError):
        # hf_hub_download could not reach the file and had no cached copy: the cause says why.
        if exc.__cause__ is not None and exc.__cause__ is not exc:
            return translate(exc.__cause__, repo_id=repo_id, action=action, revision=revision)
        return _offline(repo_id, pushing)
    if isinstance(exc, GatedRepoError):
        return HubPermissionError(f"{repo_id} is gated: accept its conditions on the Hub, then use a token "
                                  "from the account that did.")
    if isinstance(exc, RevisionNotFoundError):
        return HubNotFoundError(f"{repo_id} has no branch, tag or commit called {revision or 'main'} (404).")
    if isinstance(exc, RemoteEntryNotFoundError):
        return HubNotFoundError(f"{repo_id} is missing a file the model needs (404), so it cannot be "
                                f"{'pushed' if pushing else 'pulled'}.")
    if isinstance(exc, RepositoryNotFoundError):
        status = http_status(exc)
        if status == 401 and _invalid_credentials(exc):
            return _auth_error()
        if pushing:
            return HubNotFoundError(f"The Hub could not find or create {repo_id} (404): check the owner name "
                                    "and that the token can write there.")
        return HubNotFoundError(f"No model repo called {repo_id} was found on the Hub (404): check the name, "
                                "and for a private repo use a token that can read it.")
    if isinstance(exc, HfHubHTTPError):
        return _from_status(http_status(exc), repo_id, pushing)
    if isinstance(exc, httpx2.TimeoutException):
        return HubTimeoutError("The Hugging Face Hub did not answer in time: check the connection and try again.")
    if isinstance(exc, (OfflineModeIsEnabled, httpx2.NetworkError, httpx2.RemoteProtocolError)):
        return _offline(repo_id, pushing)
    if isinstance(exc, (httpx2.HTTPError, FileMetadataError)):
        return HubServerError("The server at the Hub address did not answer like the Hugging Face Hub: "
                              "check HF_ENDPOINT and any proxy, then try again.")
    if isinstance(exc, OSError) and not pushing:
        reason = exc.strerror or "the download was incomplete"
        return HubError(f"{repo_id} could not be saved to the Hugging Face cache ({reason}): free some disk "
                        "space or try again.")
    return None


def _from_status(status: int | None, repo_id: str, pushing: bool) -> HubError:
    if status == 401:
        return _auth_error()
    if status == 403:
        if pushing:
            return HubPermissionError(f"This token cannot write to {repo_id} (403): use a token with write "
                                      "access to that account or organization.")
        return HubPermissionError(f"Access to {repo_id} was refused (403): use a token that can read it.")
    if status == 404:
        return HubNotFoundError(f"The Hub has no {repo_id} or no file the model needs (404).")
    if status == 429:
        return HubRateLimitError("The Hugging Face Hub is limiting how often it can be asked (429): wait a "
                                 "minute, then try again.")
    if status is not None and status >= 500:
        return HubServerError(f"The Hugging Face Hub had a problem on its side ({status}): try again in a "
                              "few minutes.")
    what = "push to" if pushing else "pull of"
    return HubError(f"The Hugging Face Hub refused the {what} {repo_id} ({status or 'no status'}).")


def _offline(repo_id: str, pushing: bool) -> HubOfflineError:
    if pushing:
        return HubOfflineError("Could not reach the Hugging Face Hub: check the internet connection and try again.")
    return HubOfflineError(f"Could not reach the Hugging Face Hub, and {repo_id} is not in the local cache yet: "
                           "connect to the internet and pull it once.")


def _auth_error() -> HubAuthError:
    return HubAuthError("The Hugging Face token was refused (401): check that it is complete and has not "
                        "been revoked.")


def http_status(exc: HfHubHTTPError) -> int | None:
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None)


def _invalid_credentials(exc: HfHubHTTPError) -> bool:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    return "invalid credentials" in str(headers.get("X-Error-Message", "")).lower()

