"""The studio app: build_demo() wires the tabs; main() parses flags and launches. Nothing runs at import.

    python app.py | latent-studio [--host H] [--port P] [--share] [--weights-dir DIR]

Where it listens: --host / --port, else GRADIO_SERVER_NAME / GRADIO_SERVER_PORT (as Gradio reads them;
a Hugging Face Space sets 0.0.0.0 and 7860), else 127.0.0.1:7860.
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path

import gradio as gr

import genmodels
from genmodels.storage.resources import builtin_weights

from . import (blend_tab, cross_tab, edit_tab, explore_tab, generate_tab, gpu, history, paths_tab,
               patterns_tab, restore, share_tab, train_tab)
from .session import WORK_ROOT, close_session, new_session
from .theme import CSS, theme
from .ui import ModelCatalog, model_update

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 7860
MAX_FILE_SIZE = "50mb"  # one upload; datasets are further capped in count and total bytes by genmodels
# Gradio's cache (every picture, strip and zip a visitor was sent): every 15 minutes, files older than an hour
# go, so a server's disk stays bounded however long it runs (Gradio keeps them until a restart otherwise).
CACHE_CLEANUP = (15 * 60, 60 * 60)  # (how often, how old) in seconds


def build_demo(weights_dir: str | Path | None = None) -> gr.Blocks:
    catalog = ModelCatalog(weights_dir if weights_dir is not None else builtin_weights())
    with gr.Blocks(title="Latent Studio", delete_cache=CACHE_CLEANUP) as demo:
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
                gen = generate_tab.build(catalog, session, model, demo)
                restore.build_generate(catalog, session, model, gen)
            with gr.Tab("Blend", id="blend"):
                pick_a, pick_b = blend_tab.build(catalog, session, model, demo)
            with gr.Tab("Paths", id="paths"):
                paths_tab.build(catalog, session, model, demo)
            with gr.Tab("Train", id="train"):
                train_tab.build(catalog, session, model)
            with gr.Tab("Patterns", id="patterns"):
                patterns = patterns_tab.build(catalog, session, model)
            with gr.Tab("Edit", id="edit"):
                edit = edit_tab.build(session)
                restore.build_edit(catalog, session, edit)
            with gr.Tab("Explore", id="explore"):
                explore = explore_tab.build(catalog, session, model)
            with gr.Tab("History", id="history") as history_page:
                history.build(catalog, session, favourites, demo, history_page)
            with gr.Tab("Share", id="share"):
                share_tab.build(catalog, session, model)

        cross_tab.wire(cross_tab.Tabs(tabs, gen, (pick_a, pick_b), edit, explore, patterns), session)
        demo.load(lambda s: model_update(catalog, s, catalog.default()), session, model, api_name="load_models")
        # A first-time visitor meets pictures, not an empty gallery: the default model's first images.
        demo.load(**gen.first_draw, api_name="first_draw", concurrency_id="draw")
    return demo


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Latent Studio: the designer's GAN and VAE studio.")
    parser.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME") or DEFAULT_HOST,
                        help="address to listen on (0.0.0.0 for your network); default GRADIO_SERVER_NAME, "
                             f"else {DEFAULT_HOST}")
    parser.add_argument("--port", type=int, default=None,
                        help=f"port; default GRADIO_SERVER_PORT, else {DEFAULT_PORT}")
    parser.add_argument("--share", action="store_true", help="also open a public gradio.live link")
    parser.add_argument("--weights-dir", type=Path, default=None,
                        help="folder of built-in models (default: the weights/ that ships with the studio)")
    args = parser.parse_args(argv)
    port = args.port if args.port is not None else _env_port(parser)
    gpu.use_best_device()
    demo = build_demo(args.weights_dir)
    # Training has its own concurrency id and limit 1 ("find in model" too). Drawing (Generate, variations,
    # Blend, Paths, Explore: one "draw" id) runs 2 at once: a laptop has few cores, and torch uses them all.
    demo.queue(default_concurrency_limit=2, max_size=64)
    demo.launch(server_name=args.host, server_port=port, share=args.share, **launch_options())


def _env_port(parser: argparse.ArgumentParser) -> int:
    value = os.environ.get("GRADIO_SERVER_PORT", "").strip()
    if not value:
        return DEFAULT_PORT
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        parser.error(f"GRADIO_SERVER_PORT must be a port number (1-65535), not {value[:20]!r}")
    return int(value)


def launch_options() -> dict:
    """Settings every launch shares (the CLI's and the tests'): upload cap, what the file route may
    serve besides Gradio's cache (session output folders, the sample images), and the look."""
    WORK_ROOT.mkdir(parents=True, exist_ok=True)
    return {"max_file_size": MAX_FILE_SIZE,
            "allowed_paths": [str(WORK_ROOT), str(genmodels.SAMPLE_IMAGES), str(genmodels.SAMPLE_TEXTURES)],
            "theme": theme(), "css": CSS, "footer_links": ["api"]}


