"""Per-visitor state. One Session per browser tab (gr.State calls Session() when a page loads), so no
visitor's images, datasets, models or tokens reach another. Tokens are never stored here at all:
they go straight from the password field into the push call."""
from __future__ import annotations

import shutil
import tempfile
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import postprocess

from genmodels.errors import StudioError

from .recipes import Recipe

WORK_ROOT = Path(tempfile.gettempdir()) / "latent-studio-sessions"


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
    workdir: Path = field(default_factory=lambda: _new_workdir())
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

    def __deepcopy__(self, memo):  # gr.State copies values; a session is shared by reference instead
        return self

    def path(self, name: str) -> Path:
        """A fresh file path inside this session's folder."""
        return self.workdir / f"{uuid.uuid4().hex[:8]}-{name}"

    def selected_pick(self) -> Pick | None:
        if self.selected is None or not 0 <= self.selected < len(self.picks):
            return None
        return self.picks[self.selected]


def _new_workdir() -> Path:
    WORK_ROOT.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="s-", dir=WORK_ROOT))


def close_session(session: Session | None) -> None:
    """gr.State's delete_callback: stop any training of this visitor and remove their files."""
    if isinstance(session, Session):
        session.train_run.stop.set()
        session.texture_run.stop.set()
        shutil.rmtree(session.workdir, ignore_errors=True)


def new_session() -> Session:
    """gr.State's initial value factory: called once per page load."""
    return Session()
