"""python -m genmodels.hub push|pull: the Hub client (genmodels/hub/client.py) on the command line."""
from __future__ import annotations

from pathlib import Path

from ..api import list_models
from ..errors import StudioError
from ..hub.client import check_out_folder, copy_model_folder, pull_model, push_model
from .common import BUILTIN_WEIGHTS, OneLineParser, run_cli


def build_parser():
    p = OneLineParser(prog="python -m genmodels.hub", description=(
        "Push a model folder to the Hugging Face Hub, or pull one into a folder. Uses your usual "
        "huggingface_hub login (`hf auth login`) or the HF_TOKEN environment variable; HF_ENDPOINT picks "
        "another Hub. Only config.json, model.safetensors, README.md, samples.png, directions.safetensors and "
        "swatches.safetensors are sent or fetched."))
    sub = p.add_subparsers(dest="command", required=True, metavar="{push,pull}")
    push = sub.add_parser("push", help="upload a model folder in one commit, with a fresh model card",
                          description="Upload a model folder (or a built-in model's name) to REPO_ID in one "
                                      "commit, creating the repo if needed, and print its URL.")
    push.add_argument("folder", help="model folder, or the name of a built-in model")
    push.add_argument("repo_id", help="owner/name on the Hub (name alone: your own account)")
    push.add_argument("--private", action="store_true", help="create the repo as private")
    push.add_argument("--message", default=None, help="commit message (default: 'Upload NAME from Latent Studio')")
    pull = sub.add_parser("pull", help="download a model into a folder (kept in the Hub cache too)",
                          description="Download REPO_ID's model files into the huggingface_hub cache and copy "
                                      "them into --out. Works offline once pulled.")
    pull.add_argument("repo_id", help="owner/name on the Hub")
    pull.add_argument("--revision", default=None, help="branch, tag or commit id (default: main)")
    pull.add_argument("--out", required=True, type=Path, help="folder to create (must be new or empty)")
    pull.add_argument("--overwrite", action="store_true",
                      help="allow a non-empty --out: replace only its model files, keep everything else")
    return p


def _model_folder(name: str) -> Path:
    if Path(name).is_dir():
        return Path(name)
    if (BUILTIN_WEIGHTS / name).is_dir():
        return BUILTIN_WEIGHTS / name
    builtins = list_models(BUILTIN_WEIGHTS)
    if name in builtins:
        return Path(builtins[name])
    raise StudioError(f"No model folder or built-in model called {name!r}.")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "push":
        folder = _model_folder(args.folder)
        url = push_model(folder, args.repo_id, token=None, private=args.private, commit_message=args.message,
                         allow_env_token=True)
        print(f"pushed {folder.name} to {url}")
    else:
        check_out_folder(args.out, args.overwrite)
        cached = pull_model(args.repo_id, revision=args.revision, token=None, allow_env_token=True)
        print(f"pulled {args.repo_id} into {copy_model_folder(cached, args.out, overwrite=args.overwrite)}")
    return 0


def cli() -> None:
    """The installed command's entry point (pyproject.toml [project.scripts])."""
    run_cli(main)

