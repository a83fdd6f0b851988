"""History and favourites: every image made this visit in a strip, with its recipe; star favourites.

Favourites survive a page reload (and a restart of the app) in the browser's own storage
(gr.BrowserState, i.e. localStorage): only their recipes are stored there, a few hundred bytes each,
never pictures and never tokens. When the page loads they are redrawn from those recipes. What comes
back from the browser is untrusted input like any upload, so every recipe is checked again
(studio.recipes) and one that cannot be redrawn stays stored, shown as a grey tile that says why.
"""
from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass
from functools import partial

import gradio as gr
import numpy as np

import genmodels
import postprocess

from . import recipe_reader, recipes
from .budget import HEAVY_LINE, RequestBudget
from .session import Pick, Session
from .ui import ModelCatalog, friendly

MAX_HISTORY = 200  # images kept per visit, newest last (64 px images: ~2.5 MB)
# An edited or rendered picture is kept at most this size (its recipe remakes it at full size), so a
# visit's history stays within ~150 MB however many 4096 px edits it downloads.
HISTORY_SIDE = 512
MAX_FAVOURITES = 48
STORAGE_KEY = "latent-studio-favourites"
# BrowserState encrypts what it stores with this secret. The values are recipes only (nothing
# private), so the secret is not relied on for safety; a fixed one lets favourites outlive a restart
# of the app (a random one, Gradio's default, would make every restart forget them).
STORAGE_SECRET = "latent-studio-favourites-v1"
_PLACEHOLDER = np.full((64, 64, 3), 200, np.uint8)


@dataclass
class HistoryTab:
    history: gr.Gallery
    favourites: gr.Gallery
    stored: gr.BrowserState


# ---- recording (called where images are made) ----------------------------------------------------

def record(sess: Session, pick: Pick) -> None:
    """Keep an image and its recipe in the session's history (oldest dropped past MAX_HISTORY; larger
    than HISTORY_SIDE, shrunk). A recipe that no seed reproduces gets the exact latent, so every entry
    can be redrawn."""
    recipe = dict(pick.recipe)
    if "seed" not in recipe and "latent" not in recipe and pick.latent is not None:
        recipe["latent"] = recipes.latent_json(pick.latent)
    image = pick.image
    if max(image.shape[:2]) > HISTORY_SIDE:
        image = postprocess.resize(image, HISTORY_SIDE)
    sess.history.append(Pick(image, pick.latent, recipe))
    del sess.history[:-MAX_HISTORY]


def record_all(sess: Session, picks: list[Pick]) -> None:
    for pick in picks:
        record(sess, pick)


def record_blend(sess: Session, folder: str, model_key: str, ends: tuple, steps: int, mode: str,
                 frames: list[np.ndarray], what: str) -> None:
    """A blend's middle frame, by its exact latent (the strip's other frames are one click away)."""
    mid = (steps - 1) // 2
    z = genmodels.blend_latents(folder, ends[0], ends[1], steps, mode)[mid]
    record(sess, Pick(frames[mid], z, recipes.from_latent(genmodels.describe(folder)["name"], model_key, z,
                                                          f"middle of a blend of {what}")))


def record_edited(sess: Session, image: np.ndarray, recipe: dict | None, stack: postprocess.EditStack) -> None:
    """An edited image of a studio image: its recipe plus the edit stack (if a recipe can carry it)."""
    if recipe is None or stack.references_needed():
        return  # an edited upload, or edits with a reference picture: no recipe can remake it
    record(sess, Pick(image, None, {**recipe, "edits": stack.to_dict()}))


# ---- views --------------------------------------------------------------------------------------

def history_view(sess: Session) -> list[tuple]:
    return [(p.image, recipes.caption(p.recipe)) for p in reversed(sess.history)]  # newest first


def favourites_view(sess: Session) -> list[tuple]:
    return [(p.image, recipes.caption(p.recipe)) for p in sess.favourites]


def _position(value: float | None, count: int, what: str) -> int:
    if count == 0:
        raise genmodels.StudioError(f"There are no {what} yet.")
    if value is None or not 1 <= int(value) <= count:
        raise genmodels.StudioError(f"Choose one of the {count} {what} (1 to {count}).")
    return int(value) - 1


def _stored_list(stored) -> list:
    """The browser's favourites: a list of at most MAX_FAVOURITES recipes; anything else is refused."""
    if stored is None:
        return []
    if not isinstance(stored, list):
        raise genmodels.StudioError("The favourites stored in this browser are damaged; clear the site's data.")
    return stored[:MAX_FAVOURITES]


# ---- favourites ---------------------------------------------------------------------------------

def redraw_favourites(catalog: ModelCatalog, sess: Session, stored) -> str:
    """Rebuild sess.favourites from the stored recipes; returns a status line. Every recipe is checked
    and its edits priced before any is drawn: together they get one request's work budget, and one
    that does not fit stays stored as a grey tile saying why."""
    sess.favourites = []
    budget = RequestBudget()
    plans: list = []
    for recipe in _stored_list(stored):
        try:
            plans.append(recipe_reader.plan(catalog, sess, recipe, None, budget))
        except (genmodels.StudioError, postprocess.EditError) as err:
            plans.append(Pick(_PLACEHOLDER, None, {"error": str(err), "stored": recipe}))
    for planned in plans:
        budget.check_left()
        if isinstance(planned, Pick):  # refused when planned
            sess.favourites.append(planned)
            continue
        try:
            got = recipe_reader.draw(planned, budget)
        except postprocess.EditCancelled:
            raise
        except (genmodels.StudioError, postprocess.EditError) as err:
            sess.favourites.append(Pick(_PLACEHOLDER, None, {"error": str(err), "stored": planned.recipe}))
            continue
        sess.favourites.append(Pick(got.image, got.pick.latent, {**got.pick.recipe, **(
            {"edits": got.edits.to_dict()} if len(got.edits) else {})}))
    if not sess.favourites:
        return "No favourites yet: select an image above and press Star."
    failed = sum("error" in p.recipe for p in sess.favourites)
    line = f"{len(sess.favourites)} favourites, redrawn from their recipes."
    if failed:
        line += (f" {failed} could not be redrawn (their model is not loaded here, or their edits are over "
                 "this page's work limit); they stay stored.")
    return line


def star(sess: Session, stored, position: float | None) -> list:
    """Add history image `position` (1 = newest) to the favourites; returns the new stored list."""
    stored = _stored_list(stored)
    pick = sess.history[-1 - _position(position, len(sess.history), "images in the history")]
    if len(stored) >= MAX_FAVOURITES:
        raise genmodels.StudioError(f"You can keep up to {MAX_FAVOURITES} favourites; unstar one first.")
    if pick.recipe in stored:
        raise genmodels.StudioError("That image is already a favourite.")
    sess.favourites.append(pick)
    return stored + [pick.recipe]


def unstar(sess: Session, stored, position: float | None) -> list:
    """Remove favourite `position` (1 = first starred); returns the new stored list."""
    stored = _stored_list(stored)
    k = _position(position, len(stored), "favourites")
    if k < len(sess.favourites):
        del sess.favourites[k]
    return stored[:k] + stored[k + 1:]


def _entry_name(recipe: dict) -> str:
    """A safe ZIP entry name from a caption, which may hold a stored recipe's source ("../../x")."""
    return re.sub(r"[^A-Za-z0-9-]+", "-", recipes.caption(recipe)).strip("-")[:40].strip("-") or "image"


def favourites_zip(sess: Session) -> bytes:
    """A ZIP: one PNG per favourite (recipe and edit stack inside) plus favourites.json (the recipes)."""
    drawable = [p for p in sess.favourites if "error" not in p.recipe]
    if not drawable:
        raise genmodels.StudioError("Star some images first.")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for k, pick in enumerate(drawable):
            recipe = recipes.plain({key: v for key, v in pick.recipe.items() if key != "edits"})
            stack = recipe_reader.edits_from(pick.recipe.get("edits"))
            zf.writestr(f"{k + 1:02d}-{_entry_name(pick.recipe)}.png",
                        postprocess.png_bytes(pick.image, recipe=recipe, edit_stack=stack if len(stack) else None))
        zf.writestr("favourites.json", json.dumps([recipes.plain(p.recipe) for p in drawable], indent=2))
    return buffer.getvalue()


# ---- the tab ------------------------------------------------------------------------------------

def browser_store() -> gr.BrowserState:
    """The favourites' recipes in the browser. Create it outside any tab: a tab's contents are only
    mounted when it is first shown, and the stored value must be read as the page loads."""
    return gr.BrowserState([], storage_key=STORAGE_KEY, secret=STORAGE_SECRET)


def build(catalog: ModelCatalog, session: gr.State, stored: gr.BrowserState, demo: gr.Blocks,
          tab: gr.Tab) -> HistoryTab:
    gr.Markdown("Every image you make this visit, newest first, with what made it. Star the ones you love: "
                "favourites stay in this browser (only their recipes) and come back when you return.",
                elem_classes="ls-intro")
    history = gr.Gallery(label="History", columns=10, height=260, format="png", object_fit="contain",
                         allow_preview=False, elem_id="history-gallery", interactive=False)
    with gr.Row():
        picked = gr.Number(value=None, precision=0, minimum=1, label="History image (1 = newest)", scale=1,
                           min_width=120, elem_id="history-picked")
        picked_info = gr.Markdown("Click an image to see its recipe.")
        star_button = gr.Button("★ Star", variant="primary", scale=0, min_width=100, elem_id="star-button")
        refresh = gr.Button("Refresh", scale=0, min_width=100)
    favourites = gr.Gallery(label="Favourites", columns=10, height=200, format="png", object_fit="contain",
                            allow_preview=False, elem_id="favourites-gallery", interactive=False)
    with gr.Row():
        fav_picked = gr.Number(value=None, precision=0, minimum=1, label="Favourite (1 = first)", scale=1,
                               min_width=120)
        unstar_button = gr.Button("Unstar", scale=0, min_width=100)
        export = gr.Button("Download favourites (ZIP)", scale=0, min_width=200)
    status = gr.Markdown("", elem_id="favourites-status")
    download = gr.File(label="Your download", interactive=False, height=60)

    tab.select(on_refresh, session, history, api_name="history")
    refresh.click(on_refresh, session, history, api_name=False)
    history.select(on_pick, session, [picked, picked_info], api_name=False)
    favourites.select(on_fav_pick, None, fav_picked, api_name=False)
    star_button.click(on_star, [session, stored, picked], [stored, favourites, status], api_name="star")
    unstar_button.click(on_unstar, [session, stored, fav_picked], [stored, favourites, status], api_name="unstar")
    export.click(on_export, session, download, api_name="download_favourites")
    demo.load(partial(on_load, catalog), [session, stored], [favourites, status], api_name="load_favourites",
              **HEAVY_LINE)
    return HistoryTab(history, favourites, stored)


# ---- handlers (bound to the components in build) --------------------------------------------------

def on_refresh(sess: Session):
    """The history gallery, newest first."""
    return history_view(sess)


def on_pick(sess: Session, evt: gr.SelectData):
    """A click in the history: its position and its recipe in words."""
    k = evt.index if isinstance(evt.index, int) else None
    if k is None or not 0 <= k < len(sess.history):
        return None, "Click an image to see its recipe."
    pick = sess.history[-1 - k]
    edits = recipe_reader.edits_from(pick.recipe.get("edits")) if pick.recipe.get("edits") else None
    return k + 1, recipes.describe_recipe(pick.recipe, edits)


def on_fav_pick(evt: gr.SelectData):
    """A click in the favourites: its position (to unstar it)."""
    return evt.index + 1 if isinstance(evt.index, int) else None


@friendly
def on_load(catalog: ModelCatalog, sess: Session, saved):
    """On page load: redraw the favourites whose recipes the browser keeps."""
    line = redraw_favourites(catalog, sess, saved)
    return favourites_view(sess), line


@friendly
def on_star(sess: Session, saved, position: float | None):
    """Star history image `position`: its recipe joins the browser's favourites."""
    saved = star(sess, saved, position)
    return saved, favourites_view(sess), f"Starred. {len(saved)} favourites, kept in this browser."


@friendly
def on_unstar(sess: Session, saved, position: float | None):
    """Unstar favourite `position`."""
    saved = unstar(sess, saved, position)
    return saved, favourites_view(sess), f"{len(saved)} favourites."


@friendly
def on_export(sess: Session):
    """The favourites as PNGs with their recipes, in a zip."""
    path = sess.path("favourites.zip")
    path.write_bytes(favourites_zip(sess))
    return str(path)
