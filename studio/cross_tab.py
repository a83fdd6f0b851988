"""Actions that move an image from one tab to another, wired in one place: Generate and Explore send
images to Edit and to Blend's ends, Explore adds to the Generate gallery, Patterns sends its textures
to Edit. Tabs never import each other; each build() returns the components these actions need."""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import gradio as gr

from . import blend_tab, edit_tab, generate_tab, history, patterns_tab
from .explore_tab import ExploreTab
from .patterns_tab import PatternsTab
from .session import Session
from .ui import friendly


@dataclass
class Tabs:
    """Each tab's build() result, and the gr.Tabs that holds them (to switch to Edit)."""

    tabs: gr.Tabs
    generate: generate_tab.GenerateTab
    blend_ends: tuple[gr.Image, gr.Image]
    edit: edit_tab.EditTab
    explore: ExploreTab
    patterns: PatternsTab


def wire(t: Tabs, session: gr.State) -> None:
    gen, edit, explore = t.generate, t.edit, t.explore
    to_edit = [edit.slider, edit.stack_view, t.tabs]
    gen.edit_button.click(selected_to_edit, session, to_edit, api_name="send_to_edit")
    gen.blend_start.click(partial(selected_to_blend, 0), session, t.blend_ends[0], api_name="blend_from_this")
    gen.blend_end.click(partial(selected_to_blend, 1), session, t.blend_ends[1], api_name="blend_to_this")
    shown = [session, *explore.sliders]  # the image the sliders show
    explore.to_gallery.click(partial(explored_to_gallery, explore), shown, [gen.gallery, gen.selected_info],
                             api_name="explore_to_gallery")
    explore.blend_from.click(partial(explored_to_blend, explore, 0), shown, t.blend_ends[0],
                             api_name="explore_blend_from")
    explore.blend_to.click(partial(explored_to_blend, explore, 1), shown, t.blend_ends[1], api_name="explore_blend_to")
    explore.to_edit.click(partial(explored_to_edit, explore), shown, to_edit, api_name="explore_to_edit")
    t.patterns.to_edit.click(texture_to_edit, session, to_edit, api_name="texture_to_edit")


@friendly
def selected_to_edit(sess: Session):
    """Generate's "Edit this image": the selected image becomes the edit source, its recipe kept."""
    view, stack = edit_tab.send_to_edit(sess)
    return view, stack, gr.Tabs(selected="edit")


@friendly
def selected_to_blend(which: int, sess: Session):
    """Generate's "Blend from / to this": the selected image becomes the start (0) or end (1) of a blend."""
    return blend_tab.set_end(sess, which).image


@friendly
def explored_to_gallery(explore: ExploreTab, sess: Session, *offsets: float):
    """Explore's "Add to the Generate gallery": the image the sliders show, selected there."""
    pick = explore.current(sess, offsets)
    sess.picks = sess.picks + [pick]
    sess.selected = len(sess.picks) - 1
    history.record(sess, pick)
    gr.Info("Added to the Generate gallery.")
    return generate_tab.gallery_of(sess.picks), generate_tab.describe_pick(pick)


@friendly
def explored_to_blend(explore: ExploreTab, which: int, sess: Session, *offsets: float):
    """Explore's "Blend from / to this": the image the sliders show as the blend's start (0) or end (1)."""
    pick = explore.current(sess, offsets)
    sess.blend_ends[which] = pick
    gr.Info(f"Set as the blend's {'start' if which == 0 else 'end'} (Blend: two picks from Generate).")
    return pick.image


@friendly
def texture_to_edit(sess: Session):
    """Patterns' "Edit this picture": the last tile or morph strip drawn there, with its recipe, in Edit."""
    view, stack = edit_tab.edit_pick(sess, patterns_tab.shown_pick(sess))
    return view, stack, gr.Tabs(selected="edit")


@friendly
def explored_to_edit(explore: ExploreTab, sess: Session, *offsets: float):
    """Explore's "Edit this image": the image the sliders show, with its recipe, in the Edit tab."""
    view, stack = edit_tab.edit_pick(sess, explore.current(sess, offsets))
    return view, stack, gr.Tabs(selected="edit")

