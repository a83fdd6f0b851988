"""Recipe restore ("PNG info"): drop a PNG the studio made back in, and get the model, the seed or
latent and the edit stack that made it. Everything read from the file is checked (studio.recipes)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import gradio as gr

import genmodels
import postprocess

from . import edit_tab, history, recipe_reader, recipes
from .budget import HEAVY_LINE
from .generate_tab import GenerateTab, class_choices, gallery_of
from .session import Session
from .ui import ModelCatalog, components, friendly

NO_RECIPE = "This picture has no Latent Studio recipe."


def read(catalog: ModelCatalog, sess: Session, path: str | None) -> recipe_reader.Restored:
    """Restore what made the PNG at path; one clear sentence (StudioError / EditError) otherwise."""
    if not path:
        raise genmodels.StudioError("Drop a PNG made by Latent Studio first.")
    with open(path, "rb") as handle:
        info = postprocess.read_png_recipe(handle)
    if info["recipe"] is None:
        raise genmodels.StudioError(NO_RECIPE)
    got = recipe_reader.restore(catalog, sess, info["recipe"], info["edit_stack"])
    history.record(sess, got.pick)
    if len(got.edits):
        history.record_edited(sess, got.image, recipes.plain(got.pick.recipe), got.edits)
    return got


def _shown(got: recipe_reader.Restored) -> str:
    where = " The edits are loaded in the Edit tab." if len(got.edits) else ""
    return f"**Restored:** {genmodels.markdown_text(recipes.describe_recipe(got.pick.recipe, got.edits))}.{where}"


def _drop_zone(elem_id: str, hint: str) -> tuple[gr.File, gr.Markdown]:
    """A row: the PNG drop zone (elem_id) and a line that shows `hint` until it says what was restored."""
    with gr.Row():
        drop = gr.File(label="Restore from a Latent Studio PNG (drop it here)", file_types=[".png"],
                       type="filepath", height=90, elem_id=elem_id, scale=1)
        shown = gr.Markdown(hint)
    return drop, shown


@dataclass
class GenerateTargets:
    """What a PNG dropped under Generate fills in (on_drop_generate returns {component: value} for these)."""

    gallery: gr.Gallery
    selected_info: gr.Markdown
    model: gr.Dropdown
    seed: gr.Number
    variety: gr.Slider
    label: gr.Dropdown
    class_strength: gr.Slider
    shown: gr.Markdown


def build_generate(catalog: ModelCatalog, session: gr.State, model: gr.Dropdown, gen: GenerateTab) -> None:
    """A drop zone under the Generate tab: the image, its model, seed and variety come back."""
    drop, shown = _drop_zone("restore-generate",
                             "Drop a PNG made here to get back the model, seed and edits that made it.")
    targets = GenerateTargets(gen.gallery, gen.selected_info, model, gen.seed, gen.variety, gen.label,
                              gen.class_strength, shown)
    drop.upload(partial(on_drop_generate, catalog, targets), [session, drop], components(targets),
                api_name="restore_png", **HEAVY_LINE)


def build_edit(catalog: ModelCatalog, session: gr.State, edit: edit_tab.EditTab) -> None:
    """A drop zone under the Edit tab: the image before its edits comes back with the edit stack."""
    drop, shown = _drop_zone("restore-edit", "Drop a PNG made here to continue editing it where you left off.")
    drop.upload(partial(on_drop_edit, catalog), [session, drop], [edit.slider, edit.stack_view, shown],
                api_name="edit_restore_png", **HEAVY_LINE)


@friendly
def on_drop_generate(catalog: ModelCatalog, to: GenerateTargets, sess: Session, path: str | None) -> dict:
    """The picture in the Generate gallery, its model picked, and its seed and variety in their fields
    (an image known by its latent has no seed to show); its edits wait in the Edit tab."""
    got = read(catalog, sess, path)
    sess.picks, sess.selected = [got.pick], 0
    edit_tab.load_restored(sess, got.pick.image, recipes.plain(got.pick.recipe), got.edits)
    r = got.pick.recipe
    shown = {to.gallery: gallery_of(sess.picks), to.selected_info: _shown(got), to.model: got.model_key,
             to.shown: _shown(got)}
    if "seed" in r and "latent" not in r:
        shown[to.seed] = r["seed"]
    if "variety" in r:  # checked by recipe_reader.restore: 0..2
        shown[to.variety] = r["variety"]
    info = genmodels.describe(catalog.folder(sess, got.model_key))
    classes = info["classes"]
    # The picker gets the restored model's classes here too: the model picker's change event may come after.
    shown[to.label] = gr.update(choices=class_choices(classes), value=r.get("label", ""), visible=bool(classes))
    shown[to.class_strength] = gr.update(value=r.get("class_strength", 1.0), visible=info["class_strength"])
    return shown


@friendly
def on_drop_edit(catalog: ModelCatalog, sess: Session, path: str | None):
    """The picture before its edits, with its edit stack, in the Edit tab."""
    got = read(catalog, sess, path)
    view, stack_text = edit_tab.load_restored(sess, got.pick.image, recipes.plain(got.pick.recipe), got.edits)
    return view, stack_text, _shown(got)
