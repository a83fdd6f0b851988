"""Small UI helpers shared by the tabs: turning user mistakes into one gr.Error sentence, model
choices, file helpers."""
from __future__ import annotations

import dataclasses
import functools
import inspect
import math
import secrets
import time
from collections.abc import Callable
from pathlib import Path

import gradio as gr

import genmodels
import postprocess

from .sessions import in_use

USER_ERRORS = (genmodels.StudioError, postprocess.EditError)
BUILTIN_PREFIX = "builtin:"
SESSION_PREFIX = "session:"
SEED_MAX = genmodels.MAX_SEED  # a seed field's maximum: the API's own check
FIRST_SEED_MAX = genmodels.MAX_SEED - genmodels.MAX_IMAGES  # for a run of seeds: first .. first + count - 1
# what the Train and Patterns tabs' loss charts call a training event's losses
LOSS_NAMES = {"d": "critic", "g": "generator", "loss": "total", "reconstruction": "reconstruction", "kl": "KL",
              "laplacian": "edges (Lap1)", "detail_d": "detail critic", "detail_g": "detail",
              "detail_l1": "detail L1"}


def friendly(fn: Callable) -> Callable:
    """Run a handler; a user-caused error becomes one gr.Error sentence, never a traceback. The visitor
    session it works on counts as in use meanwhile (studio/sessions.py never sweeps it), and a plain
    handler shares the cores with a training run meanwhile (genmodels.sharing_cores; the training handlers,
    generators, are the runs)."""
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def gen_wrapper(*args, **kwargs):
            try:
                with in_use(args):
                    yield from fn(*args, **kwargs)
            except USER_ERRORS as exc:
                raise gr.Error(str(exc), print_exception=False) from None
        return gen_wrapper

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            with in_use(args), genmodels.sharing_cores():
                return fn(*args, **kwargs)
        except USER_ERRORS as exc:
            raise gr.Error(str(exc), print_exception=False) from None
    return wrapper


def components(view) -> list:
    """A dataclass of components (a handler's outputs, e.g. train_tab.TrainView) as an event's outputs list,
    in field order."""
    return [getattr(view, f.name) for f in dataclasses.fields(view)]


def bind(fn: Callable, *first) -> Callable:
    """fn with its first arguments fixed, like functools.partial, but with the rest of its signature and
    its type hints visible to Gradio, which reads them to inject gr.OAuthToken (a partial hides them)."""
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def bound(*args, **kwargs):
            yield from fn(*first, *args, **kwargs)
    else:
        @functools.wraps(fn)
        def bound(*args, **kwargs):
            return fn(*first, *args, **kwargs)
    signature = inspect.signature(fn)
    bound.__signature__ = signature.replace(parameters=list(signature.parameters.values())[len(first):])
    return bound


def progress_html(fraction: float, text: str) -> str:
    """A training run's progress bar (0..1) with a line of text under it."""
    pct = max(0.0, min(1.0, fraction)) * 100
    return (f'<div class="ls-progress" role="progressbar" aria-valuenow="{pct:.0f}" aria-valuemin="0" '
            f'aria-valuemax="100"><div class="ls-progress-fill" style="width:{pct:.1f}%"></div></div>'
            f'<p class="ls-progress-text">{text}</p>')


class LiveUpdates:
    """When a training run's page should next be updated. A run makes a few events a second; each update
    re-sends the whole loss chart and the browser redraws it, on the cores the run itself trains on, so
    the page is updated at most every `seconds` (and at once when there are new samples to show)."""

    def __init__(self, seconds: float = 2.0):
        self.seconds, self.last = seconds, -math.inf

    def due(self, now_anyway: bool = False) -> bool:
        now = time.monotonic()
        if now_anyway or now - self.last >= self.seconds:
            self.last = now
            return True
        return False


def time_left(seconds: float | None) -> str:
    if seconds is None:
        return "estimating…"
    m, s = divmod(int(seconds), 60)
    return f"{m}:{s:02d} left"


class PictureUpload(gr.Image):
    """An image upload whose handler gets the uploaded file's path untouched (type="filepath").

    gr.Image's own preprocess opens every upload with Pillow and no format allow-list, and converts it
    to RGB there: a 400 Mpx PNG, HTML or SVG fails inside Gradio with no message the visitor can read,
    an EPS in CMYK would start Ghostscript, alpha is dropped rather than composited and 16-bit grey is
    clipped. Handlers decode the path with genmodels.load_image instead (RELIABILITY.md, "Images").
    Gradio has already checked that the path is one of its own uploads before preprocess runs.
    """

    is_template = True  # drawn by the front end's ordinary Image component

    def __init__(self, label: str, height: int = 140, sources: list[str] | None = None, **kwargs):
        super().__init__(label=label, type="filepath", image_mode=None, sources=sources or ["upload"],
                         height=height, **kwargs)

    def get_config(self, cls=None):
        # Gradio builds a component's props from its class's __init__ signature; this short one would
        # drop Image's (buttons, webcam_options, ...) and the front end then fails to draw the tab.
        return super().get_config(cls or gr.Image)

    def preprocess(self, payload):
        if payload is None:
            return None
        if not payload.path:
            raise gr.Error("Upload the picture as a file (PNG, JPEG, WEBP, GIF or BMP).", print_exception=False)
        return str(payload.path)


def sample_pictures(n: int = 8) -> list[list[str]]:
    """n sample pictures that ship with the studio, spread over the set, as gr.Examples rows (one path each)."""
    files = sorted(genmodels.SAMPLE_IMAGES.glob("*.png"))
    return [[str(p)] for p in files[::max(1, len(files) // n)][:n]]


def finite(value, label: str) -> float:
    """A slider's value as a float. Gradio checks a slider's range but lets NaN through (it compares
    false both ways), so an API caller could reach int(nan); refuse it in one sentence instead."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise genmodels.StudioError(f"{label} must be a number.")
    return float(value)


def new_seed() -> int:
    """A fresh random seed from the OS (never the global RNG)."""
    return secrets.randbelow(1_000_000)


class ModelCatalog:
    """Built-in models (read-only, shared) plus each session's own models, as dropdown choices."""

    def __init__(self, weights_dir: str | Path):
        # The largest GANs first: the picker's first model is what a first visit draws from, and it should
        # be the most detailed one (not the article's 32 px reference, which sorts first by name).
        found = genmodels.list_models(weights_dir)
        info = {label: genmodels.describe(folder) for label, folder in found.items()}
        order = sorted(found, key=lambda label: (-info[label]["image_size"], info[label]["kind"] != "gan", label))
        self.builtins = {f"{BUILTIN_PREFIX}{Path(found[label]).name}": (label, found[label]) for label in order}
        self.kinds = {key: info[label]["kind"] for key, (label, _) in self.builtins.items()}

    def choices(self, session, kind: str | None = None) -> list[tuple[str, str]]:
        """(label, key) for every model, or only those of one kind ("gan", "vae", "texture")."""
        items = [(f"{label} (built-in)", key) for key, (label, folder) in self.builtins.items()
                 if kind is None or self.kinds[key] == kind]
        mine = session.models.items() if session is not None else ()
        items += [(label_for(session, key), key) for key, folder in mine
                  if kind is None or genmodels.describe(folder)["kind"] == kind]
        return items

    def default(self) -> str | None:
        return next(iter(self.builtins), None)

    def folder(self, session, key: str | None) -> str:
        if key in self.builtins:
            return self.builtins[key][1]
        if key in session.models:
            return session.models[key]
        raise genmodels.StudioError("Pick a model first (built-in, trained, pulled or imported).")


def label_for(session, key: str) -> str:
    folder = session.models[key]
    info = genmodels.describe(folder)
    return f"{info['name']} ({'yours' if key.startswith(SESSION_PREFIX) else 'built-in'})"


def model_update(catalog: ModelCatalog, session, value: str | None = None):
    return gr.update(choices=catalog.choices(session), value=value)
