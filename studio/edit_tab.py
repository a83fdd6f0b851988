"""Edit: tone, style, colour and size edits from postprocess's registry, as a stack with a live
before/after view, and a PNG download that carries the stack and the image's recipe."""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import gradio as gr

import genmodels
import postprocess

from . import edit_worker, history, recipes
from .budget import HEAVY_LINE, PREVIEW_LINE, RequestBudget, client_left
from .edit_controls import control_for, value_from
from .session import Pick, Session
from .ui import PictureUpload, finite, friendly, sample_pictures

# The live view works on at most this size, after every step too (the slider shows ~460 px), so a stack of
# upscales previews at screen size; downloads are full size.
PREVIEW_SIDE = 768


@dataclass
class EditTab:
    source: gr.Image
    slider: gr.ImageSlider
    stack_view: gr.Markdown


def _stack_text(sess: Session) -> str:
    if not len(sess.edit_stack):
        return "_No edits yet: pick one, adjust it, and press Add._"
    labels = {e["name"]: e["label"] for e in postprocess.list_edits()}
    lines = []
    for k, (name, params) in enumerate(sess.edit_stack.steps):
        shown = ", ".join(f"{p} {v}" for p, v in params.items() if not str(v).startswith("sha256:"))
        lines.append(f"{k + 1}. **{labels.get(name, name)}** {shown}")
    return "\n".join(lines)


def _stacked(sess: Session):
    """The picture at full size with the whole stack, priced first (studio/budget.py)."""
    if sess.edit_source is None:
        raise genmodels.StudioError("Load a picture first, or send one from Generate.")
    budget = RequestBudget()
    cost = budget.charge(sess.edit_stack, *sess.edit_source.shape[:2], what="The edits at full size")
    return edit_worker.apply(sess.edit_stack, sess.edit_source, sess.edit_references, cost.seconds, budget.should_stop)


def _preview_pair(sess: Session):
    """(before, after-the-stack) at preview size, cached until the picture or the stack changes, so
    dragging a slider only costs the one edit being tuned."""
    if sess.edit_source is None:
        raise genmodels.StudioError("Load a picture first, or send one from Generate.")
    key = (id(sess.edit_source), sess.edit_stack.to_json())
    if sess.edit_preview_key != key:
        small = sess.edit_source
        if max(small.shape[:2]) > PREVIEW_SIDE:
            small = postprocess.resize(small, PREVIEW_SIDE)
        seconds = postprocess.stack_cost(sess.edit_stack, *small.shape[:2], max_side=PREVIEW_SIDE).seconds
        stacked = edit_worker.apply(sess.edit_stack, small, sess.edit_references, seconds, client_left(),
                                    max_side=PREVIEW_SIDE)
        sess.edit_preview = (small, stacked)
        sess.edit_preview_key = key
    return sess.edit_preview


def build(session: gr.State) -> EditTab:
    gr.Markdown("Polish a picture: choose an edit, drag its sliders while watching the before/after view, and "
                "press Add to keep it. Edits stack in order; download a PNG that remembers them.",
                elem_classes="ls-intro")
    edits = postprocess.list_edits()
    with gr.Row(equal_height=False):
        with gr.Column(scale=1, min_width=300):
            source = PictureUpload(label="Picture to edit", sources=["upload", "clipboard"], height=200)
            examples = gr.Examples(sample_pictures(), inputs=[source], label="Or try a sample picture",
                                   examples_per_page=8, elem_id="edit-examples")
            choice = gr.Dropdown([(f"{e['group']} · {e['label']}", e["name"]) for e in edits],
                                 value=edits[0]["name"], label="Edit", elem_id="edit-choice")
            groups, controls, adds = {}, {}, {}
            for e in edits:
                with gr.Group(visible=e["name"] == edits[0]["name"]) as group:
                    gr.Markdown(e["description"])
                    controls[e["name"]] = [control_for(p) for p in e["params"]]
                    adds[e["name"]] = gr.Button(f"Add {e['label'].lower()}", variant="primary",
                                                elem_id=f"add-{e['name']}")
                groups[e["name"]] = group
            with gr.Row():
                remove_at = gr.Number(value=1, precision=0, minimum=1, label="Step", scale=1, min_width=70)
                remove = gr.Button("Remove step", scale=2)
                reset = gr.Button("Reset all", variant="stop", scale=2)
        with gr.Column(scale=2):
            # JPEG keeps the live view quick to send while dragging; downloads are lossless PNG.
            slider = gr.ImageSlider(label="Before / after", type="numpy", height=460, elem_id="edit-slider",
                                    format="jpeg")
            stack_view = gr.Markdown("_No edits yet: pick one, adjust it, and press Add._")
            with gr.Row():
                palette_k = gr.Slider(2, 12, value=5, step=1, label="Palette colours", scale=2)
                palette_go = gr.Button("Extract palette", scale=1)
            palette_view = gr.Image(label="Palette", interactive=False, height=90, show_label=False)
            palette_codes = gr.Markdown()
            save = gr.Button("Download PNG")
            download = gr.File(label="Your download", interactive=False, height=60)

    source.upload(on_load, [session, source], [slider, stack_view], api_name="edit_load")
    examples.load_input_event.then(on_load, [session, source], [slider, stack_view], api_name=False)
    choice.change(partial(on_choice, list(groups)), choice, list(groups.values()), api_name="edit_choose", queue=False)
    for name, comps in controls.items():
        live = [c for c in comps if not isinstance(c, gr.Image)]
        triggers = [c.change for c in live]
        if triggers:
            gr.on(triggers, partial(on_preview, name), [session, *comps], slider, api_name=f"preview_{name}",
                  trigger_mode="always_last", show_progress="hidden", **PREVIEW_LINE)
        adds[name].click(partial(on_add, name), [session, *comps], [slider, stack_view], api_name=f"add_{name}",
                         **PREVIEW_LINE)
    remove.click(on_remove, [session, remove_at], [slider, stack_view], api_name="edit_remove")
    reset.click(on_reset, session, [slider, stack_view], api_name="edit_reset")
    palette_go.click(on_palette, [session, palette_k], [palette_view, palette_codes], api_name="extract_palette",
                     **HEAVY_LINE)
    save.click(on_save, session, download, api_name="edit_download", **HEAVY_LINE)
    return EditTab(source, slider, stack_view)


# ---- handlers (bound to the components in build) --------------------------------------------------

@friendly
def on_load(sess: Session, path: str | None):
    """A new picture to edit (an upload or a sample): the stack starts empty."""
    if not path:
        return gr.skip(), gr.skip()
    sess.edit_source = genmodels.load_image(path)
    sess.edit_recipe = None
    sess.edit_stack = postprocess.EditStack()
    sess.edit_references = {}
    return _preview_pair(sess), _stack_text(sess)


def on_choice(names: list[str], name: str):
    """Show the controls of the chosen edit only."""
    return [gr.update(visible=n == name) for n in names]


def params_of(sess: Session, name: str, values: tuple) -> dict[str, Any]:
    """The controls' values as the edit's parameters; a reference picture is decoded, kept in the session
    and named by its hash."""
    edit = _edit(name)
    params = {}
    for spec, value in zip(edit["params"], values):
        if spec["type"] == "image":
            if not value:
                raise genmodels.StudioError(f"{edit['label']} needs a reference picture.")
            ref = genmodels.load_image(value)
            value = postprocess.reference_id(ref)
            sess.edit_references[value] = ref
        params[spec["name"]] = value_from(spec, value)
    return params


@friendly
def on_preview(name: str, sess: Session, *values):
    """Dragging a control: the stack so far plus this edit at the controls' values, not yet added."""
    before, stacked = _preview_pair(sess)
    one = postprocess.EditStack([(name, params_of(sess, name, values))])
    cost = RequestBudget().charge(one, *stacked.shape[:2], what="This edit on the preview")
    return before, edit_worker.apply(one, stacked, sess.edit_references, cost.seconds, client_left(),
                                     max_side=PREVIEW_SIDE)


@friendly
def on_add(name: str, sess: Session, *values):
    """Add: the edit at the controls' values joins the stack, if the full-size picture can still afford it."""
    sess.edit_stack = _affordable(sess, sess.edit_stack.add(name, params_of(sess, name, values)),
                                  "With this step, the edits at full size")
    return _preview_pair(sess), _stack_text(sess)


def _affordable(sess: Session, stack: postprocess.EditStack, what: str) -> postprocess.EditStack:
    """`stack`, if one request can apply it to the full-size picture; else one sentence saying why not."""
    if sess.edit_source is not None:
        RequestBudget().charge(stack, *sess.edit_source.shape[:2], what=what)
    return stack


@friendly
def on_remove(sess: Session, index: float):
    """Remove step `index` (1 = the first) from the stack."""
    if not len(sess.edit_stack):
        raise genmodels.StudioError("There are no edits to remove.")
    k = int(index) - 1
    if not 0 <= k < len(sess.edit_stack):
        raise genmodels.StudioError(f"Choose a step between 1 and {len(sess.edit_stack)}.")
    # Taking out a step that made the picture smaller can cost more.
    sess.edit_stack = _affordable(sess, sess.edit_stack.remove(k), "Without that step, the edits at full size")
    return _preview_pair(sess), _stack_text(sess)


@friendly
def on_reset(sess: Session):
    """Empty the stack."""
    sess.edit_stack = postprocess.EditStack()
    if sess.edit_source is None:
        return None, _stack_text(sess)
    return _preview_pair(sess), _stack_text(sess)


@friendly
def on_palette(sess: Session, k: float):
    """The k main colours of the edited picture, as a swatch and hex codes."""
    colours = postprocess.extract_palette(_stacked(sess), int(finite(k, "Palette colours")))
    hexes = [c["hex"] for c in colours]
    return postprocess.palette_swatch(hexes), "  ".join(f"`{h}`" for h in hexes)


@friendly
def on_save(sess: Session):
    """The edited picture at full size as a PNG carrying its recipe and edit stack."""
    result = _stacked(sess)
    path = sess.path("edited.png")
    postprocess.save_png(path, result, recipe=sess.edit_recipe, edit_stack=sess.edit_stack)
    history.record_edited(sess, result, sess.edit_recipe, sess.edit_stack)
    return str(path)


def _edit(name: str) -> dict:
    """postprocess's description of the edit `name` (its label and parameter specs)."""
    return next(e for e in postprocess.list_edits() if e["name"] == name)


def send_to_edit(sess: Session):
    """Generate's "Edit this image": the picked image becomes the edit source, its recipe kept."""
    pick = sess.selected_pick()
    if pick is None:
        raise genmodels.StudioError("Select an image in the gallery first.")
    return edit_pick(sess, pick)


def edit_pick(sess: Session, pick: Pick):
    """An image on screen (with its recipe) to edit from scratch: an empty edit stack."""
    return load_restored(sess, pick.image, recipes.plain(pick.recipe), postprocess.EditStack())


def load_restored(sess: Session, image, recipe: dict, stack: postprocess.EditStack):
    """An image, its recipe and an edit stack to edit on: a restored studio PNG (studio/restore.py), or
    Generate's pick with an empty stack."""
    sess.edit_source = image
    sess.edit_recipe = recipe
    sess.edit_stack = stack
    sess.edit_references = {}
    return _preview_pair(sess), _stack_text(sess)
