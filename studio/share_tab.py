"""Share: model folders as zips (export / import) and the Hugging Face Hub (push / pull).

Tokens go from the password field (or the Space's "Sign in with Hugging Face") straight into the
push or pull call: never into session state, logs, files or anything sent back to the browser.
An empty field never falls back to the server's own HF_TOKEN.
"""
from __future__ import annotations

import os
from pathlib import Path

import gradio as gr

import genmodels

from .session import Session
from .ui import SESSION_PREFIX, ModelCatalog, friendly, model_update


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

    @friendly
    def on_export(sess: Session, model_key: str):
        folder = Path(catalog.folder(sess, model_key))
        return str(genmodels.export_model_zip(folder, sess.path(f"{folder.name}.zip")))

    @friendly
    def on_import(sess: Session, path: str | None):
        if not path:
            return gr.update(), gr.update()
        folder = genmodels.import_model_zip(path, _models_dir(sess))
        key = f"{SESSION_PREFIX}{folder.name}"
        sess.models[key] = str(folder)
        info = genmodels.describe(folder)
        return f"Imported **{info['name']}** ({info['summary']}); it is now in the model picker.", \
            model_update(catalog, sess, key)

    def _token(typed: str, oauth: gr.OAuthToken | None) -> str | None:
        if typed and typed.strip():
            return typed.strip()
        return oauth.token if oauth is not None else None

    @friendly
    def do_push(sess: Session, model_key: str, repo_id: str, is_private: bool, typed: str,
                oauth: gr.OAuthToken | None = None):
        folder = catalog.folder(sess, model_key)
        url = genmodels.push_model(folder, repo_id, _token(typed, oauth), private=bool(is_private))
        return f"Pushed to [{url}]({url})."

    @friendly
    def do_pull(sess: Session, repo_id: str, rev: str, typed: str, oauth: gr.OAuthToken | None = None):
        # Each visitor pulls into their own cache: a private model fetched with one visitor's token
        # must never be served to another from a shared cache.
        folder = genmodels.pull_model(repo_id, rev.strip() or None, _token(typed, oauth),
                                      cache_dir=sess.workdir / "hub-cache")
        key = f"{SESSION_PREFIX}hub-{repo_id.replace('/', '--')}@{rev.strip() or 'main'}"
        sess.models[key] = str(folder)
        return f"Pulled **{repo_id}**; it is now in the model picker.", model_update(catalog, sess, key)

    # gr.OAuthToken is injected only when the handler asks for it; off a Space, asking for it would
    # make Gradio fall back to the server's own login, so there the handlers do not ask.
    if on_space():
        def push_fn(sess, m, r, p, t, oauth: gr.OAuthToken | None):
            return do_push(sess, m, r, p, t, oauth)

        def pull_fn(sess, r, v, t, oauth: gr.OAuthToken | None):
            return do_pull(sess, r, v, t, oauth)
    else:
        def push_fn(sess, m, r, p, t):
            return do_push(sess, m, r, p, t)

        def pull_fn(sess, r, v, t):
            return do_pull(sess, r, v, t)

    export.click(on_export, [session, model], exported, api_name="export_model")
    incoming.upload(on_import, [session, incoming], [imported, model], api_name="import_model")
    push.click(push_fn, [session, model, repo, private, token], hub_result, api_name="hub_push",
               concurrency_id="hub", concurrency_limit=2)
    pull.click(pull_fn, [session, repo, revision, token], [hub_result, model], api_name="hub_pull",
               concurrency_id="hub", concurrency_limit=2)


def _models_dir(sess: Session) -> Path:
    path = sess.workdir / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path
