"""A small Hub-compatible HTTP server for tests: the endpoints huggingface_hub calls to create a repo,
upload a folder in one commit and download files, answered from memory.

It is honest about what it implements and refuses the rest:
- POST /api/repos/create                         create a model repo (409 if it exists)
- GET  /api/whoami-v2                            the token's user and role
- GET  /api/models/{repo}[/revision/{rev}]       repo info: sha, private, siblings (sizes with ?blobs=)
- GET  /api/models/{repo}/tree/{rev}[/{path}]    the files at a commit (what snapshot_download lists)
- POST /api/validate-yaml                        the model card's YAML front matter must parse to a mapping
- POST /api/models/{repo}/preupload/{rev}        every file is answered uploadMode "regular", so content
                                                 travels base64 inside the commit (no LFS endpoints needed)
- POST /api/models/{repo}/commit/{rev}           NDJSON: header, file, deletedFile, deletedFolder; an
                                                 lfsFile line is refused (400), since we never ask for LFS
- HEAD/GET /{repo}/resolve/{rev}/{path}          X-Repo-Commit, ETag (git blob id), Content-Length,
                                                 Range requests (206)

Auth mirrors the real Hub: "Authorization: Bearer hf_good_write" is user `tester` with write access,
"hf_read_only" is `tester` with read access (pushes get 403), any other token gets 401 "Invalid
credentials in Authorization header". A private repo is 401 RepoNotFound to anonymous callers and 404 to
other users. Every request is recorded as (method, path, authenticated) in `requests`; tokens are
never stored or printed. Repos whose name contains "rate-limited" answer 429; names containing "stall"
wait `stall_seconds` before answering, to exercise client time-outs.
"""
from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

import yaml

from tests.hub_repos import HubError, Repo, git_blob_id

TOKENS = {"hf_good_write": ("tester", "write"), "hf_read_only": ("tester", "read")}
INVALID_TOKEN = "Invalid credentials in Authorization header"
GITATTRIBUTES = b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n"
_API_SUFFIXES = {"revision", "preupload", "commit", "tree", "resolve"}


class FakeHub:
    """Start with `FakeHub().start()`; `url` is the endpoint to give huggingface_hub; `stop()` ends it."""

    def __init__(self, stall_seconds: float = 5.0, tokens: dict[str, tuple[str, str]] | None = None) -> None:
        """tokens: more "token -> (user, role)" pairs besides TOKENS (e.g. a second user)."""
        self.tokens = {**TOKENS, **(tokens or {})}
        self.repos: dict[str, Repo] = {}
        self.requests: list[tuple[str, str, bool]] = []
        self.callers: set[str] = set()  # the users whose tokens reached the server
        self.stall_seconds = stall_seconds
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- life cycle ------------------------------------------------------------------------------
    def start(self) -> FakeHub:
        hub = self

        class Handler(_Handler):
            pass

        Handler.hub = hub
        self._server = _Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name="fake-hub", daemon=True)
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the server first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)

    # ---- test helpers ----------------------------------------------------------------------------
    def add_repo(self, repo_id: str, files: dict[str, bytes], private: bool = False) -> Repo:
        """A repo as someone else uploaded it (e.g. one holding only a pickle)."""
        owner, name = repo_id.split("/")
        repo = Repo(owner, name, private)
        repo.commit({".gitattributes": GITATTRIBUTES, **files}, "initial commit")
        with self.lock:
            self.repos[repo_id] = repo
        return repo

    def files(self, repo_id: str, revision: str = "main") -> dict[str, bytes]:
        repo = self.repos[repo_id]
        return repo.commits[repo.resolve(revision)]

    def paths_requested(self) -> list[str]:
        with self.lock:
            return [path for _, path, _ in self.requests]

    # ---- auth and lookup (called by the handler, under no lock unless stated) ----------------------
    def user(self, authorization: str | None) -> tuple[str, str] | None:
        """(user, role) for a valid token, None when anonymous; 401 for a token we do not know."""
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or token.strip() not in self.tokens:
            raise HubError(401, INVALID_TOKEN)
        user = self.tokens[token.strip()]
        with self.lock:
            self.callers.add(user[0])
        return user

    def readable_repo(self, repo_id: str, user: tuple[str, str] | None) -> Repo:
        repo = self.repos.get(repo_id)
        if repo is None or (repo.private and (user is None or user[0] != repo.owner)):
            # Like the Hub: a private repo is indistinguishable from a missing one.
            raise HubError(401 if user is None else 404, "Repository not found", "RepoNotFound")
        return repo

    def writable_repo(self, repo_id: str, user: tuple[str, str] | None) -> Repo:
        if user is None:
            raise HubError(401, "You must be authenticated to write to a repo")
        repo = self.readable_repo(repo_id, user)
        if user[0] != repo.owner or user[1] != "write":
            raise HubError(403, "You don't have the rights to write to this repo (read-only token or other owner)")
        return repo


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client that hung up is not an error
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    hub: FakeHub
    protocol_version = "HTTP/1.1"
    server_version = "FakeHub/1.0"

    def log_message(self, format: str, *args) -> None:  # quiet: the test reads hub.requests instead
        pass

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def do_POST(self) -> None:
        self._dispatch("POST")

    # ---- plumbing --------------------------------------------------------------------------------
    def _dispatch(self, method: str) -> None:
        hub = self.hub
        split = urlsplit(self.path)
        path, query = split.path, parse_qs(split.query)
        with hub.lock:
            hub.requests.append((method, path, bool(self.headers.get("Authorization"))))
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)) if method == "POST" else b""
        try:
            self._misbehave(path, body)
            user = hub.user(self.headers.get("Authorization"))
            parts = [unquote(p) for p in path.strip("/").split("/")]
            with hub.lock:
                try:
                    self._route(method, parts, query, body, user)
                except (ValueError, KeyError, TypeError, AttributeError) as exc:  # malformed JSON, NDJSON, base64
                    raise HubError(400, f"Bad request: {type(exc).__name__}") from None
        except HubError as err:
            headers = {"X-Error-Message": err.message, **err.headers}
            if err.code:
                headers["X-Error-Code"] = err.code
            try:
                self._json(err.status, {"error": err.message}, headers, head=method == "HEAD")
            except ConnectionError:  # the client gave up waiting (a stalled repo): nothing to answer
                self.close_connection = True

    def _misbehave(self, path: str, body: bytes) -> None:
        """Repos named *rate-limited* answer 429; *stall* ones wait, so clients time out."""
        text = path + (body.decode("latin-1") if path == "/api/repos/create" else "")
        if "rate-limited" in text:
            raise HubError(429, "You have been rate-limited", headers={"Retry-After": "1"})
        if "stall" in text and self.hub.stopping.wait(self.hub.stall_seconds):
            raise HubError(503, "Server is shutting down")

    def _route(self, method, parts, query, body, user) -> None:
        hub = self.hub
        if method == "POST" and parts == ["api", "repos", "create"]:
            return self._create(json.loads(body or b"{}"), user)
        if method == "GET" and parts == ["api", "whoami-v2"]:
            if user is None:
                raise HubError(401, "You must be authenticated to ask who you are")
            return self._json(200, {"type": "user", "name": user[0],
                                    "auth": {"type": "access_token", "accessToken": {"role": user[1]}}})
        if method == "POST" and parts == ["api", "validate-yaml"]:
            return self._validate_yaml(json.loads(body or b"{}"))
        if len(parts) >= 3 and parts[:2] == ["api", "models"]:
            repo_id, rest = _split_repo(parts[2:])
            if method == "GET" and not rest:
                return self._info(hub.readable_repo(repo_id, user), "main", query)
            if method == "GET" and len(rest) == 2 and rest[0] == "revision":
                return self._info(hub.readable_repo(repo_id, user), rest[1], query)
            if method == "GET" and len(rest) >= 2 and rest[0] == "tree":
                return self._tree(hub.readable_repo(repo_id, user), rest[1], "/".join(rest[2:]))
            if method == "POST" and len(rest) == 2 and rest[0] == "preupload":
                return self._preupload(hub.writable_repo(repo_id, user), rest[1], json.loads(body or b"{}"))
            if method == "POST" and len(rest) == 2 and rest[0] == "commit":
                return self._commit(hub.writable_repo(repo_id, user), rest[1], body)
        if method in ("GET", "HEAD") and len(parts) >= 4:
            repo_id, rest = _split_repo(parts)
            if len(rest) >= 3 and rest[0] == "resolve":
                return self._resolve(hub.readable_repo(repo_id, user), rest[1], "/".join(rest[2:]), method)
        raise HubError(404, "Not found")

    # ---- endpoints -------------------------------------------------------------------------------
    def _create(self, payload: dict, user) -> None:
        if user is None:
            raise HubError(401, "You must be authenticated to create a repo")
        owner, name = payload.get("organization") or user[0], payload.get("name") or ""
        if payload.get("type", "model") != "model":
            raise HubError(400, "This test server only hosts model repos")
        if owner != user[0] or user[1] != "write":
            raise HubError(403, "You don't have the rights to create a model under this namespace")
        repo_id = f"{owner}/{name}"
        url = f"{self._base()}/{repo_id}"
        if repo_id in self.hub.repos:  # the Hub's 409 carries the url, which create_repo(exist_ok=True) reads
            message = "You already created this model repo"
            return self._json(409, {"error": message, "url": url}, {"X-Error-Message": message})
        repo = Repo(owner, name, private=payload.get("visibility") == "private")
        repo.commit({".gitattributes": GITATTRIBUTES}, "initial commit")
        self.hub.repos[repo_id] = repo
        self._json(200, {"url": url, "name": repo_id, "id": repo_id})

    def _validate_yaml(self, payload: dict) -> None:
        content = str(payload.get("content", ""))
        if content.startswith("---\n"):
            front = content[4:].split("\n---", 1)[0]
            try:
                parsed = yaml.safe_load(front)
            except yaml.YAMLError:
                parsed = None
            if not isinstance(parsed, dict):
                return self._json(400, {"errors": [{"message": "The YAML metadata is not a mapping"}]})
        self._json(200, {"errors": [], "warnings": []})

    def _info(self, repo: Repo, revision: str, query: dict) -> None:
        sha = repo.resolve(revision)
        if sha is None:
            raise HubError(404, f"Invalid rev id: {revision}", "RevisionNotFound")
        files = repo.commits[sha]
        blobs = query.get("blobs", ["false"])[0].lower() in ("1", "true")
        siblings = [{"rfilename": path, **({"size": len(data), "blobId": git_blob_id(data)} if blobs else {})}
                    for path, data in sorted(files.items())]
        self._json(200, {"_id": repo.repo_id, "id": repo.repo_id, "modelId": repo.repo_id, "author": repo.owner,
                         "sha": sha, "private": repo.private, "gated": False, "disabled": False, "tags": [],
                         "siblings": siblings, "lastModified": "2024-01-01T00:00:00.000Z"})

    def _tree(self, repo: Repo, revision: str, folder: str) -> None:
        sha = repo.resolve(revision)
        if sha is None:
            raise HubError(404, f"Invalid rev id: {revision}", "RevisionNotFound")
        prefix = folder.rstrip("/") + "/" if folder else ""
        entries = [{"type": "file", "oid": git_blob_id(data), "size": len(data), "path": path}
                   for path, data in sorted(repo.commits[sha].items()) if path.startswith(prefix)]
        data = json.dumps(entries).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def _preupload(self, repo: Repo, revision: str, payload: dict) -> None:
        sha = repo.resolve(revision)
        if sha is None or revision not in repo.refs:
            raise HubError(404, f"Invalid rev id: {revision}", "RevisionNotFound")
        current = repo.commits[sha]
        files = [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False,
                  "oid": git_blob_id(current[f["path"]]) if f["path"] in current else None}
                 for f in payload.get("files", [])]
        self._json(200, {"files": files, "commitOid": sha})

    def _commit(self, repo: Repo, revision: str, body: bytes) -> None:
        if revision not in repo.refs:
            raise HubError(404, f"Invalid rev id: {revision}", "RevisionNotFound")
        lines = [json.loads(line) for line in body.splitlines() if line.strip()]
        if not lines or lines[0].get("key") != "header":
            raise HubError(400, "A commit starts with a header line")
        header = lines[0]["value"]
        if header.get("parentCommit") not in (None, repo.refs[revision]):
            raise HubError(412, "A commit has happened since the parent commit; pull and try again")
        files = dict(repo.commits[repo.refs[revision]])
        for line in lines[1:]:
            key, value = line.get("key"), line.get("value", {})
            path = _safe_path(value.get("path", ""))
            if key == "file" and value.get("encoding") == "base64":
                files[path] = base64.b64decode(value["content"], validate=True)
            elif key == "deletedFile":
                if files.pop(path, None) is None:
                    raise HubError(404, "A file with this name doesn't exist", "EntryNotFound")
            elif key == "deletedFolder":
                files = {p: d for p, d in files.items() if not p.startswith(path.rstrip("/") + "/")}
            else:
                raise HubError(400, f"This test server does not accept {key!r} commit lines (no LFS)")
        sha = repo.commit(files, header.get("summary", ""), revision)
        self._json(200, {"success": True, "commitOid": sha, "commitUrl": f"{self._base()}/{repo.repo_id}/commit/{sha}",
                         "hookOutput": ""})

    def _resolve(self, repo: Repo, revision: str, path: str, method: str) -> None:
        sha = repo.resolve(revision)
        if sha is None:
            raise HubError(404, f"Invalid rev id: {revision}", "RevisionNotFound")
        data = repo.commits[sha].get(path)
        if data is None:
            raise HubError(404, "Entry not found", "EntryNotFound", {"X-Repo-Commit": sha})
        status, start, end = 200, 0, len(data)
        wanted = self.headers.get("Range", "")
        if method == "GET" and wanted.startswith("bytes="):
            first, _, last = wanted[6:].partition("-")
            start = int(first) if first else max(len(data) - int(last), 0)
            end = min(int(last) + 1, len(data)) if first and last else len(data)
            if start >= len(data):
                raise HubError(416, "Requested range not satisfiable",
                               headers={"Content-Range": f"bytes */{len(data)}"})
            status = 206
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(end - start))
        self.send_header("ETag", f'"{git_blob_id(data)}"')
        self.send_header("X-Repo-Commit", sha)
        self.send_header("Accept-Ranges", "bytes")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{len(data)}")
        self.send_header("Connection", "close")
        self.end_headers()
        if method == "GET":
            self.wfile.write(data[start:end])

    # ---- responses -------------------------------------------------------------------------------
    def _base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def _json(self, status: int, payload: dict, headers: dict | None = None, head: bool = False) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        # One request per connection: a stopped server is really gone (no kept-alive sockets answering).
        self.send_header("Connection", "close")
        self.end_headers()
        if not head:
            self.wfile.write(data)


def _split_repo(parts: list[str]) -> tuple[str, list[str]]:
    """["owner", "name", "resolve", ...] -> ("owner/name", [...]); a lone name is its own id."""
    if len(parts) >= 2 and parts[1] not in _API_SUFFIXES:
        return f"{parts[0]}/{parts[1]}", parts[2:]
    return parts[0], parts[1:]


def _safe_path(path: str) -> str:
    if not path or path.startswith("/") or any(p in ("", ".", "..") for p in path.split("/")):
        raise HubError(400, "Invalid path in commit")
    return path
