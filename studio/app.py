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
               patterns_tab, restore, sessions, share_tab, train_tab)
from .session import WORK_ROOT, close_session
from .theme import CSS, theme
from .ui import ModelCatalog, bind, model_update

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 7860
MAX_FILE_SIZE = "50mb"  # one upload; datasets are further capped in count and total bytes by genmodels
# Gradio's cache (every picture, strip and zip a visitor was sent): every 15 minutes, files older than an hour
# go, so a server's disk stays bounded however long it runs (Gradio keeps them until a restart otherwise).
CACHE_CLEANUP = (15 * 60, 60 * 60)  # (how often, how old) in seconds


def build_demo(weights_dir: str | Path | None = None, idle_timeout: float | None = None) -> gr.Blocks:
    """The studio. idle_timeout: seconds after which a session with no open page and no request is
    closed and its files removed (default sessions.IDLE_TIMEOUT)."""
    catalog = ModelCatalog(weights_dir if weights_dir is not None else builtin_weights())
    sessions.start_sweeper(idle_timeout)
    with gr.Blocks(title="Latent Studio", delete_cache=CACHE_CLEANUP) as demo:
        session = gr.State(sessions.new_session, delete_callback=close_session)
        # An open page ticks so its session is kept however long it sits idle; closing it ends the session.
        gr.Timer(sessions.KEEP_ALIVE).tick(sessions.keep_alive, session, None, api_name=False, queue=False)
        demo.unload(sessions.left)
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
        demo.load(bind(_first_load, catalog), session, model, api_name="load_models")
        # A first-time visitor meets pictures, not an empty gallery: the default model's first images.
        demo.load(**gen.first_draw, api_name="first_draw", concurrency_id="draw")
    return demo


def _first_load(catalog: ModelCatalog, sess, request: gr.Request):
    """Page load: the model picker's choices, and the session noted as this page's (so closing the page ends it)."""
    sessions.seen(sess, request)
    return model_update(catalog, sess, catalog.default())


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
    parser.add_argument("--idle-minutes", type=float, default=sessions.IDLE_TIMEOUT / 60,
                        help="close a visitor's session (and remove their files) after this many minutes with no "
                             f"open page and no request (default {sessions.IDLE_TIMEOUT / 60:g})")
    args = parser.parse_args(argv)
    port = args.port if args.port is not None else _env_port(parser)
    gpu.use_best_device()
    if not args.idle_minutes > 0:
        parser.error("--idle-minutes must be above 0")
    demo = build_demo(args.weights_dir, idle_timeout=args.idle_minutes * 60)
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
    serve besides Gradio's cache (the sample images; never the sessions' working folders), and the look."""
    return {"max_file_size": MAX_FILE_SIZE,
            "allowed_paths": [str(genmodels.SAMPLE_IMAGES), str(genmodels.SAMPLE_TEXTURES)],
            "blocked_paths": [str(WORK_ROOT)],
            "theme": theme(), "css": CSS, "footer_links": ["api"]}


