"""The fake Hub's repositories (tests/hub_server.py): commits of files kept in memory, addressed like git
(a file's id is its git blob id, a commit's id a hash of its parent, message and files)."""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field


def git_blob_id(data: bytes) -> str:
    """The id git gives a file's content (`git hash-object`); the Hub uses it as a regular file's ETag."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass
class Repo:
    owner: str
    name: str
    private: bool = False
    commits: dict[str, dict[str, bytes]] = field(default_factory=dict)  # commit id -> {path: content}
    refs: dict[str, str] = field(default_factory=dict)  # branch -> commit id

    @property
    def repo_id(self) -> str:
        return f"{self.owner}/{self.name}"

    def commit(self, files: dict[str, bytes], message: str, branch: str = "main") -> str:
        parent = self.refs.get(branch, "")
        digest = hashlib.sha1(f"{parent}\n{message}\n{time.time_ns()}".encode())
        for path in sorted(files):
            digest.update(f"{path}\0{git_blob_id(files[path])}\n".encode())
        sha = digest.hexdigest()
        self.commits[sha] = dict(files)
        self.refs[branch] = sha
        return sha

    def resolve(self, revision: str) -> str | None:
        if revision in self.refs:
            return self.refs[revision]
        return revision if revision in self.commits else None


class HubError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.code, self.headers = status, message, code, headers or {}
