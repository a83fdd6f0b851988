"""Tab handlers called as plain functions, without a server: what each one puts in the session and returns."""
from __future__ import annotations

import inspect

import gradio as gr
import numpy as np
import pytest
from PIL import Image

import genmodels
from studio import blend_tab, generate_tab, recipes, restore, train_tab
from studio.session import Session, close_session
from studio.ui import ModelCatalog
from tests.app_harness import tiny_weights


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    return ModelCatalog(tiny_weights(tmp_path_factory.mktemp("weights")))


@pytest.fixture
def sess():
    s = Session()
    yield s
    close_session(s)


def test_generate_fills_the_gallery_with_seeded_picks(catalog, sess):
    gallery, info = generate_tab.on_generate(catalog, genmodels.draw, sess, "builtin:tiny-gan", 3, 10, 1.0)
    assert [caption for _, caption in gallery] == ["seed 10", "seed 11", "seed 12"]
    assert [p.recipe["seed"] for p in sess.picks] == [10, 11, 12] and sess.selected == 0
    assert info.startswith("**Seed 10**")
    again, _ = generate_tab.on_generate(catalog, genmodels.draw, Session(), "builtin:tiny-gan", 3, 10, 1.0)
    assert all(np.array_equal(a, b) for (a, _), (b, _) in zip(gallery, again))  # same seeds, same pictures


def test_variations_follow_the_selected_image(catalog, sess):
    generate_tab.on_generate(catalog, genmodels.draw, sess, "builtin:tiny-gan", 2, 0, 1.0)
    sess.selected = 1
    gallery, _ = generate_tab.on_more(catalog, genmodels.vary_latent, sess, "builtin:tiny-gan", 0.3)
    assert len(gallery) == 9 and gallery[1][1] == "variation 1 of seed 1"
    assert sess.picks[1].recipe["strength"] == 0.3 and sess.picks[1].recipe["seed"] == 1


def test_download_sizes_are_values_not_labels(catalog, sess):
    generate_tab.on_generate(catalog, genmodels.draw, sess, "builtin:tiny-gan", 1, 0, 1.0)
    assert {value for _, value in generate_tab.UPSCALES} == {1, 2, 4}
    side = sess.picks[0].image.shape[0]
    assert Image.open(generate_tab.on_png(sess, 2)).size == (2 * side, 2 * side)
    with pytest.raises(gr.Error, match="download size"):
        generate_tab.on_png(sess, "x2")


def test_handlers_refuse_in_one_sentence(catalog, sess):
    with pytest.raises(gr.Error, match="Select an image"):
        generate_tab.on_png(sess, 1)
    with pytest.raises(gr.Error, match="Pick a model"):
        generate_tab.on_generate(catalog, genmodels.draw, sess, "builtin:nothing", 1, 0, 1.0)
    assert generate_tab.on_first_draw(catalog, genmodels.draw, sess, None, 4, 0, 1.0) == (gr.skip(), gr.skip())


def test_blend_sources_are_keys_with_labels():
    values = [value for _, value in blend_tab.SOURCES]
    assert values == ["seeds", "picks", "pictures"] and set(blend_tab.WHAT) == set(values)
    shown = blend_tab.on_source("picks")
    assert [u["visible"] for u in shown] == [False, True, False]


def test_a_dropped_png_fills_only_what_it_knows(catalog, sess):
    generate_tab.on_generate(catalog, genmodels.draw, sess, "builtin:tiny-gan", 1, 7, 0.5)
    png = generate_tab.on_png(sess, 1)
    to = restore.GenerateTargets(gr.Gallery(), gr.Markdown(), gr.Dropdown(), gr.Number(), gr.Slider(), gr.Dropdown(),
                                 gr.Slider(), gr.Markdown())
    shown = restore.on_drop_generate(catalog, to, Session(), png)
    assert shown[to.seed] == 7 and shown[to.variety] == 0.5 and shown[to.model] == "builtin:tiny-gan"
    assert [caption for _, caption in shown[to.gallery]] == ["seed 7"]
    explored = Session()
    generate_tab.on_generate(catalog, genmodels.draw, explored, "builtin:tiny-gan", 1, 7, 1.0)
    pick = explored.picks[0]
    pick.recipe = recipes.from_latent(pick.recipe["model"], "builtin:tiny-gan", pick.latent, "explored image")
    shown = restore.on_drop_generate(catalog, to, Session(), generate_tab.on_png(explored, 1))
    assert to.seed not in shown and to.variety not in shown  # a latent has no seed to show: the fields stay


def test_train_yields_only_the_components_it_updates(catalog, sess):
    view = train_tab.TrainView(gr.HTML(), gr.LinePlot(), gr.Image(), gr.File(), gr.Dropdown(), gr.Markdown())
    sess.train_run.stop.set()  # a Stop pressed while the run waited in the queue
    sess.train_run.waiting = 1
    (first,) = list(train_tab.on_train(catalog, view, sess, ["x.png"], "gan", 32, False, "crop", "lite", 1, 0, 0))
    assert set(first) == {view.status, view.chart, view.grid, view.download} and "Stopped" in first[view.status]


def test_bound_handlers_keep_what_gradio_reads():
    # Gradio injects the visitor's OAuth token into a parameter annotated gr.OAuthToken: a bound handler
    # must still show that annotation, and a bound generator must still stream.
    from gradio.utils import get_type_hints

    from studio import share_tab
    from studio.ui import bind

    push = bind(share_tab.on_push_signed_in, "catalog")
    assert get_type_hints(push)["oauth"] == gr.OAuthToken | None
    assert list(inspect.signature(push).parameters)[0] == "sess"
    assert inspect.isgeneratorfunction(bind(train_tab.on_train, "catalog", "view"))


def test_the_picker_starts_with_the_largest_gan(tmp_path):
    import dataclasses

    from genmodels import save_model
    from genmodels.models.gan import Generator
    from genmodels.models.vae import VAE
    from tests.conftest import TINY_GAN, TINY_VAE

    big_gan, big_vae = dataclasses.replace(TINY_GAN, image_size=64), dataclasses.replace(TINY_VAE, image_size=64)
    for name, net, cfg in (("a-classic-32", Generator(TINY_GAN), TINY_GAN), ("b-vae-64", VAE(big_vae), big_vae),
                           ("c-gan-64", Generator(big_gan), big_gan)):
        save_model(tmp_path / name, net.eval(), cfg, {"name": name, "preset": "custom"})
    catalog = ModelCatalog(tmp_path)
    assert list(catalog.builtins) == ["builtin:c-gan-64", "builtin:b-vae-64", "builtin:a-classic-32"]
    assert catalog.default() == "builtin:c-gan-64"


def test_a_training_page_is_updated_at_most_every_two_seconds_unless_there_is_news(monkeypatch):
    from studio import ui

    clock = [100.0]
    monkeypatch.setattr(ui.time, "monotonic", lambda: clock[0])
    updates = ui.LiveUpdates(2.0)
    assert updates.due()  # the first event shows at once
    clock[0] += 1.0
    assert not updates.due() and updates.due(now_anyway=True)  # new samples or a message: at once
    clock[0] += 1.9
    assert not updates.due()
    clock[0] += 0.2
    assert updates.due()


def test_training_runs_show_a_minimal_progress_overlay(tmp_path):
    # the full overlay on every output, redrawn all run long, cost a third of a run's steps in Chromium
    from studio.app import build_demo

    demo = build_demo(tiny_weights(tmp_path))
    shown = {dep.api_name: dep.show_progress for dep in demo.fns.values() if dep.api_name}
    for name in ("train", "resume_training", "train_texture", "resume_texture"):
        assert shown[name] == "minimal", name
