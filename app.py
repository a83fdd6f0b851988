"""Latent Studio: train, draw, blend, edit and share small image generators in the browser.

    python app.py [--host 127.0.0.1] [--port 7860] [--share] [--weights-dir weights]

build_demo() wires the tabs (studio/); main() parses flags and launches. Nothing runs at import.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import gradio as gr

import genmodels
from studio import (blend_tab, edit_tab, explore_tab, generate_tab, history, paths_tab, restore, share_tab,
                    train_tab)
from studio.session import WORK_ROOT, close_session, new_session
from studio.theme import CSS, theme
from studio.ui import ModelCatalog, friendly, model_update

ROOT = Path(__file__).resolve().parent
MAX_FILE_SIZE = "50mb"  # one upload; datasets are further capped in count and total bytes by genmodels


def build_demo(weights_dir: str | Path = ROOT / "weights") -> gr.Blocks:
    catalog = ModelCatalog(weights_dir)
    with gr.Blocks(title="Latent Studio") as demo:
        session = gr.State(new_session, delete_callback=close_session)
        favourites = history.browser_store()
        with gr.Row(elem_classes="ls-header"):
            gr.Markdown("# Latent Studio\nTrain small image generators on your own pictures, then draw, blend "
                        "and polish what they make.")
            model = gr.Dropdown(choices=[(f"{label} (built-in)", key) for key, (label, _) in catalog.builtins.items()],
                                value=catalog.default(), label="Model", elem_id="model-picker", scale=0,
                                min_width=320)
        with gr.Tabs() as tabs:
            with gr.Tab("Generate", id="generate"):
                gen = generate_tab.build(catalog, session, model)
                restore.build_generate(catalog, session, model, gen)
            with gr.Tab("Blend", id="blend"):
                pick_a, pick_b = blend_tab.build(catalog, session, model)
            with gr.Tab("Paths", id="paths"):
                paths_tab.build(catalog, session, model)
            with gr.Tab("Train", id="train"):
                train_tab.build(catalog, session, model)
            with gr.Tab("Edit", id="edit"):
                edit = edit_tab.build(session)
                restore.build_edit(catalog, session, edit)
            with gr.Tab("Explore", id="explore"):
                explore_tab.build(catalog, session, model, gen, (pick_a, pick_b), edit, tabs)
            with gr.Tab("History", id="history") as history_page:
                history.build(catalog, session, favourites, demo, history_page)
            with gr.Tab("Share", id="share"):
                share_tab.build(catalog, session, model)

        # Cross-tab actions: Generate -> Edit, Generate -> Blend ends.
        @friendly
        def to_edit(sess):
            view, stack = edit_tab.send_to_edit(sess)
            return view, stack, gr.Tabs(selected="edit")

        @friendly
        def blend_from(sess, which: int):
            return blend_tab.set_end(sess, which).image

        gen.edit_button.click(to_edit, session, [edit.slider, edit.stack_view, tabs], api_name="send_to_edit")
        gen.blend_start.click(lambda s: blend_from(s, 0), session, pick_a, api_name="blend_from_this")
        gen.blend_end.click(lambda s: blend_from(s, 1), session, pick_b, api_name="blend_to_this")
        demo.load(lambda s: model_update(catalog, s, catalog.default()), session, model, api_name="load_models")
    return demo


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Latent Studio: the designer's GAN and VAE studio.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0 for your network)")
    parser.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    parser.add_argument("--share", action="store_true", help="also open a public gradio.live link")
    parser.add_argument("--weights-dir", type=Path, default=ROOT / "weights", help="folder of built-in models")
    args = parser.parse_args(argv)
    demo = build_demo(args.weights_dir)
    # Training has its own concurrency id and limit 1 ("find in model" too). Drawing (Generate, variations,
    # Blend, Paths, Explore: one "draw" id) runs 2 at once: a laptop has few cores, and torch uses them all.
    demo.queue(default_concurrency_limit=2, max_size=64)
    demo.launch(server_name=args.host, server_port=args.port, share=args.share, **launch_options())


def launch_options() -> dict:
    """Settings every launch shares (the CLI's and the tests'): upload cap, what the file route may
    serve besides Gradio's cache (session output folders, the sample images), and the look."""
    WORK_ROOT.mkdir(parents=True, exist_ok=True)
    return {"max_file_size": MAX_FILE_SIZE, "allowed_paths": [str(WORK_ROOT), str(genmodels.SAMPLE_IMAGES)],
            "theme": theme(), "css": CSS, "footer_links": ["api"]}


if __name__ == "__main__":
    main()
