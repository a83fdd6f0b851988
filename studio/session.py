"""Per-visitor state. One Session per browser tab (gr.State calls Session() when a page loads), so no
visitor's images, datasets, models or tokens reach another. Tokens are never stored here at all:
they go straight from the password field into the push call.

A session's files live in two folders, each made on first use (a client that never writes leaves
nothing behind): its working folder under WORK_ROOT (datasets, models, runs), which the server never
serves, and its outbox inside Gradio's cache (what it downloads), where Gradio serves each file
without copying it, under a path of two random 128-bit names that only that visitor is sent.
Both go when the visitor leaves (studio/sessions.py), within the quota below while they stay.
"""
from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np

import postprocess

from genmodels.errors import StudioError

from .recipes import Recipe

WORK_ROOT = Path(tempfile.gettempdir()) / "latent-studio-sessions"
OUTBOX_FOLDER = "latent-studio"  # inside Gradio's cache
QUOTA_BYTES = 2 * 1024 ** 3  # one visitor's files on the server's disk, working folder and downloads together


@dataclass
class Pick:
    """One image on screen and everything needed to make it again."""

    image: np.ndarray
    latent: np.ndarray | None
    recipe: Recipe  # what makes it again (studio/recipes.py)


@dataclass
class RunSlot:
    """One tab's training runs in a session (Train and Patterns each have their own, so Stop in one tab
    never ends the other's run): its Stop event, the Start clicks whose queued run has not begun yet,
    and the folder of the last run, which Resume continues."""

    stop: threading.Event = field(default_factory=threading.Event)
    waiting: int = 0
    folder: Path | None = None

    def arm(self) -> None:
        """At the click, outside the queue: a Stop pressed while the run waits in the queue will stop it."""
        self.stop.clear()
        self.waiting += 1

    def begin(self) -> bool:
        """As a run leaves the queue: False when Stop was pressed while it waited (that Stop is used up)."""
        if self.waiting:  # started from the page: arm() cleared the event at the click
            self.waiting -= 1
        else:  # an API call has no click step
            self.stop.clear()
        if self.stop.is_set():
            self.stop.clear()
            return False
        return True

    def resumable(self, can_resume, nothing_to_resume: str) -> Path:
        """The stopped run's folder for Resume; StudioError(nothing_to_resume) when there is none."""
        if self.folder is None or not can_resume(self.folder):
            raise StudioError(nothing_to_resume)
        return self.folder


@dataclass
class Session:
    models: dict[str, str] = field(default_factory=dict)  # model key -> folder, for this visitor only
    picks: list[Pick] = field(default_factory=list)  # the Generate gallery
    selected: int | None = None
    blend_ends: list[Pick | None] = field(default_factory=lambda: [None, None])
    dataset: Any = None  # a genmodels Dataset, prepared from this visitor's uploads
    dataset_key: tuple = ()
    trained_on: dict[str, Any] = field(default_factory=dict)  # model key -> the Dataset it learned from
    originality: dict[str, Any] = field(default_factory=dict)  # model key -> its dataset's OriginalityIndex
    train_run: RunSlot = field(default_factory=RunSlot)  # the Train tab's runs
    edit_source: np.ndarray | None = None
    edit_recipe: dict[str, Any] | None = None
    edit_stack: postprocess.EditStack = field(default_factory=postprocess.EditStack)
    edit_references: dict[str, np.ndarray] = field(default_factory=dict)
    edit_preview: tuple | None = None  # (before, stacked) at preview size
    edit_preview_key: tuple = ()
    keyframes: list[Pick] = field(default_factory=list)  # the Paths tab's keyframes, in order
    history: list[Pick] = field(default_factory=list)  # every image made this visit, oldest first (capped)
    favourites: list[Pick] = field(default_factory=list)  # starred images; their recipes live in the browser
    explore: Any = None  # the Explore tab's starting image and model (studio/explore_tab.py)
    # The Patterns tab: its crops, its runs, and the last texture or morph strip it drew (what Download and
    # Send to Edit take).
    texture_data: Any = None
    texture_data_key: tuple = ()
    texture_run: RunSlot = field(default_factory=RunSlot)
    texture_shown: Pick | None = None
    last_used: float = field(default_factory=time.monotonic)  # when a request last came (studio/sessions.py)
    busy: int = 0  # requests of this session running now
    left_at: float | None = None  # when its page said goodbye (studio/sessions.py)
    _workdir: Path | None = field(default=None, repr=False)
    _outbox: Path | None = field(default=None, repr=False)

    def __deepcopy__(self, memo):  # gr.State copies values; a session is shared by reference instead
        return self

    @property
    def workdir(self) -> Path:
        """This session's working folder (datasets, models, runs), made on first use; never served."""
        if self._workdir is None:
            WORK_ROOT.mkdir(parents=True, exist_ok=True)
            self._workdir = Path(tempfile.mkdtemp(prefix="s-", dir=WORK_ROOT))
        return self._workdir

    def path(self, name: str) -> Path:
        """A fresh path for a file this visitor downloads, in their outbox; StudioError when their files
        have reached the quota."""
        self.check_quota()
        if self._outbox is None:
            self._outbox = Path(gr.utils.get_upload_folder()) / OUTBOX_FOLDER / secrets.token_hex(16)
            self._outbox.mkdir(parents=True, exist_ok=True)
        folder = self._outbox / secrets.token_hex(16)  # a folder per file keeps the name people see clean
        folder.mkdir()
        return folder / name

    def disk_bytes(self) -> int:
        """What this session's files take on disk now."""
        return sum(_folder_bytes(folder) for folder in (self._workdir, self._outbox) if folder is not None)

    def check_quota(self) -> None:
        """StudioError (one sentence) when this visitor's files already fill their share of the disk."""
        if self.disk_bytes() >= QUOTA_BYTES:
            raise StudioError(f"Your files on this server have reached {QUOTA_BYTES / 1024 ** 3:.0f} GB, the "
                              "limit per visitor: reload the page to start afresh (download what you want to "
                              "keep first).")

    def remove_files(self) -> None:
        for folder in (self._workdir, self._outbox):
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
        self._workdir = self._outbox = None

    def selected_pick(self) -> Pick | None:
        if self.selected is None or not 0 <= self.selected < len(self.picks):
            return None
        return self.picks[self.selected]


def _folder_bytes(folder: Path) -> int:
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:  # removed while counting
                pass
    return total


def close_session(session: Session | None) -> None:
    """When a visitor leaves: stop any training of theirs, remove their files and let go of their
    pictures, datasets and models. Should the same client come back, it finds a fresh, empty session."""
    if not isinstance(session, Session):
        return
    session.train_run.stop.set()
    session.texture_run.stop.set()
    session.remove_files()
    fresh = Session()
    for item in fields(Session):
        if item.name not in ("train_run", "texture_run", "busy"):  # a stopping run still reads its Stop event
            setattr(session, item.name, getattr(fresh, item.name))
