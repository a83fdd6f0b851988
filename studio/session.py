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

from .recipes import Recipe

WORK_ROOT = Path(tempfile.gettempdir()) / "latent-studio-sessions"


@dataclass
class Pick:
    """One image on screen and everything needed to make it again."""

    image: np.ndarray
    latent: np.ndarray | None
    recipe: Recipe  # what makes it again (studio/recipes.py)


@dataclass
class Session:
    workdir: Path = field(default_factory=lambda: _new_workdir())
    models: dict[str, str] = field(default_factory=dict)  # model key -> folder, for this visitor only
    picks: list[Pick] = field(default_factory=list)  # the Generate gallery
    selected: int | None = None
    blend_ends: list[Pick | None] = field(default_factory=lambda: [None, None])
    dataset: Any = None  # a genmodels Dataset, prepared from this visitor's uploads
    dataset_key: tuple = ()
    train_dir: Path | None = None
    trained_on: dict[str, Any] = field(default_factory=dict)  # model key -> the Dataset it learned from
    originality: dict[str, Any] = field(default_factory=dict)  # model key -> its dataset's OriginalityIndex
    stop: threading.Event = field(default_factory=threading.Event)
    # Start clicks in the page whose queued run has not begun yet (see train_tab.arm_run): a Stop
    # pressed while the run waits in the queue must still stop it.
    runs_waiting: int = 0
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
    # The Patterns tab: its crops, its run (with a stop of its own: Stop there never ends a Train-tab run),
    # and the last texture or morph strip it drew (what Download and Send to Edit take).
    texture_data: Any = None
    texture_data_key: tuple = ()
    texture_dir: Path | None = None
    texture_stop: threading.Event = field(default_factory=threading.Event)
    texture_runs_waiting: int = 0
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
        session.stop.set()
        session.texture_stop.set()
        shutil.rmtree(session.workdir, ignore_errors=True)


def new_session() -> Session:
    """gr.State's initial value factory: called once per page load."""
    return Session()
