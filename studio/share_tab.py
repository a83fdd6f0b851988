"""Share: model folders as zips (export / import) and the Hugging Face Hub (push / pull).

Tokens go from the password field (or the Space's "Sign in with Hugging Face") straight into the
push or pull call: never into session state, logs, files or anything sent back to the browser.
An empty field never falls back to the server's own HF_TOKEN.
"""
from __future__ import annotations

import os
from functools import partial
from pathlib import Path

import gradio as gr

import genmodels

from .session import Session
from .ui import SESSION_PREFIX, ModelCatalog, bind, friendly, model_update


def on_space() -> bool:
    return bool(os.environ.get("SPACE_ID"))


def build(catalog: ModelCatalog, session: gr.State, model: gr.Dropdown) -> None:
    gr.Markdown("Take a model with you or bring one in: download the model you picked above as a zip, import a "
                "zip someone sent you, or push to and pull from the Hugging Face Hub.", elem_classes="ls-intro")
    with gr.Row(equal_height=False):
        with gr.Column():
            gr.Markdown("### Model files")
            export = gr.Button("Download the picked model (zip)")
            exported = gr.File(label="Model zip", interactive=False, height=60)
            incoming = gr.File(label="Import a model zip", file_types=[".zip"], type="filepath", height=100)
            imported = gr.Markdown()
        with gr.Column():
            gr.Markdown("### Hugging Face Hub")
            if on_space():
                gr.LoginButton()
            token = gr.Textbox(label="Access token", type="password", placeholder="hf_…",
                               info=("Signed in above? Leave this empty. " if on_space() else "")
                               + "Needs write access to push. Used for this request only, never stored.")
            repo = gr.Textbox(label="Repository", placeholder="your-name/my-emoji-gan")
            with gr.Row():
                private = gr.Checkbox(label="Private", value=True)
                revision = gr.Textbox(label="Revision (pull, optional)", placeholder="main")
            with gr.Row():
                push = gr.Button("Push the picked model", variant="primary")
                pull = gr.Button("Pull into the picker")
            hub_result = gr.Markdown()

    # gr.OAuthToken is injected only when the handler asks for it; off a Space, asking for it would
    # make Gradio fall back to the server's own login, so there the handlers do not ask.
    push_fn, pull_fn = (on_push_signed_in, on_pull_signed_in) if on_space() else (on_push, on_pull)
    export.click(partial(on_export, catalog), [session, model], exported, api_name="export_model")
    incoming.upload(partial(on_import, catalog), [session, incoming], [imported, model], api_name="import_model")
    push.click(bind(push_fn, catalog), [session, model, repo, private, token], hub_result, api_name="hub_push",
               concurrency_id="hub", concurrency_limit=2)
    pull.click(bind(pull_fn, catalog), [session, repo, revision, token], [hub_result, model], api_name="hub_pull",
               concurrency_id="hub", concurrency_limit=2)


# ---- handlers (bound to the components in build) --------------------------------------------------

@friendly
def on_export(catalog: ModelCatalog, sess: Session, model_key: str):
    """The picked model's folder as a zip to download."""
    folder = Path(catalog.folder(sess, model_key))
    return str(genmodels.export_model_zip(folder, sess.path(f"{folder.name}.zip")))


@friendly
def on_import(catalog: ModelCatalog, sess: Session, path: str | None):
    """A model zip into this visitor's models, selected in the picker."""
    if not path:
        return gr.skip(), gr.skip()
    folder = genmodels.import_model_zip(path, _models_dir(sess))
    key = f"{SESSION_PREFIX}{folder.name}"
    sess.models[key] = str(folder)
    info = genmodels.describe(folder)
    return (f"Imported **{genmodels.markdown_text(info['name'])}** ({genmodels.markdown_text(info['summary'])}); "
            "it is now in the model picker.",
            model_update(catalog, sess, key))


def _token(typed: str, oauth: gr.OAuthToken | None) -> str | None:
    """The typed token, else the signed-in visitor's; never the server's own."""
    if typed and typed.strip():
        return typed.strip()
    return oauth.token if oauth is not None else None


@friendly
def on_push(catalog: ModelCatalog, sess: Session, model_key: str, repo_id: str, is_private: bool, typed: str):
    """Push the picked model to the Hub with the typed token."""
    folder = catalog.folder(sess, model_key)
    url = genmodels.push_model(folder, repo_id, _token(typed, None), private=bool(is_private))
    return f"Pushed to [{url}]({url})."


@friendly
def on_push_signed_in(catalog: ModelCatalog, sess: Session, model_key: str, repo_id: str, is_private: bool,
                      typed: str, oauth: gr.OAuthToken | None):
    """On a Space: push with the typed token, else the token of the visitor who signed in."""
    folder = catalog.folder(sess, model_key)
    url = genmodels.push_model(folder, repo_id, _token(typed, oauth), private=bool(is_private))
    return f"Pushed to [{url}]({url})."


def _pull(catalog: ModelCatalog, sess: Session, repo_id: str, rev: str, token: str | None):
    # Each visitor pulls into their own cache: a private model fetched with one visitor's token
    # must never be served to another from a shared cache.
    sess.check_quota()
    folder = genmodels.pull_model(repo_id, rev.strip() or None, token, cache_dir=sess.workdir / "hub-cache")
    key = f"{SESSION_PREFIX}hub-{repo_id.replace('/', '--')}@{rev.strip() or 'main'}"
    sess.models[key] = str(folder)
    return f"Pulled **{repo_id}**; it is now in the model picker.", model_update(catalog, sess, key)


@friendly
def on_pull(catalog: ModelCatalog, sess: Session, repo_id: str, rev: str, typed: str):
    """Pull a model from the Hub into this visitor's picker, with the typed token (if any)."""
    return _pull(catalog, sess, repo_id, rev, _token(typed, None))


@friendly
def on_pull_signed_in(catalog: ModelCatalog, sess: Session, repo_id: str, rev: str, typed: str,
                      oauth: gr.OAuthToken | None):
    """On a Space: pull with the typed token, else the signed-in visitor's."""
    return _pull(catalog, sess, repo_id, rev, _token(typed, oauth))


def _models_dir(sess: Session) -> Path:
    sess.check_quota()
    path = sess.workdir / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path
