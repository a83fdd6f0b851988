"""LatentStudioModel: a Latent Studio model used the way other Hub models are.

    from genmodels import LatentStudioModel
    model = LatentStudioModel.from_pretrained("someone/emoji-gan")   # or a model folder
    images = model.generate(16, seed=0)                               # 16 uint8 (H, W, 3) arrays
    model.save_pretrained("my-copy"); model.push_to_hub("me/emoji-gan")

Built on huggingface_hub's ModelHubMixin (not PyTorchModelHubMixin, which falls back to unpickling a
pytorch_model.bin). The folder format is the studio's own (config.json, model.safetensors, README.md,
samples.png, directions.safetensors, swatches.safetensors), and every transfer goes through genmodels.hub:
a pull resolves the revision once and downloads every file at that commit (snapshot_download), only
safetensors are read, and a push is one commit into a repo made with create_repo(exist_ok=True).
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from huggingface_hub import ModelHubMixin

from .. import api
from ..generation.texture import texture_grid
from ..storage.card import LIBRARY_NAME
from ..storage.store import LoadedModel, load_model, save_model
from . import client as hub


class LatentStudioModel(ModelHubMixin, library_name=LIBRARY_NAME, pipeline_tag="unconditional-image-generation",
                        tags=["latent-studio", "safetensors"]):
    """A loaded generator (GAN or VAE) and, when it came from one, its folder."""

    def __init__(self, model: LoadedModel, folder: str | Path | None = None):
        self.model = model
        self.folder = Path(folder) if folder is not None else None

    # ---- drawing ---------------------------------------------------------------------------------
    def generate(self, n: int = 16, seed: int = 0, variety: float = 1.0, label: str | None = None
                 ) -> list[np.ndarray]:
        """n images (1..64) from seeds seed, seed+1, ...: uint8 (H, W, 3) RGB arrays, the same as the
        studio draws for those seeds. variety 0..2 (1 = as trained); label: a class of a model trained on
        class folders (self.classes), None = any class."""
        return api.generate(self.model, n, seed, variety, label)

    @property
    def classes(self) -> list[str]:
        """A labelled model's class names ([] for one trained without classes)."""
        return list(self.model.classes)

    def draw_texture(self, seed: int = 0, size: int = 512, crisp: bool | None = None) -> np.ndarray:
        """Texture models: the seamless texture of seed, uint8 (size, size, 3); size 64..2048, a multiple
        of the model's size step. It tiles with period size. crisp: detail from the model's swatches
        (None: when it keeps them; False: the network's own detail)."""
        return api.draw_texture(self.model, seed, size, crisp)

    def morph_texture(self, seed_a: int, seed_b: int, width: int = 1024, crisp: bool | None = None) -> np.ndarray:
        """Texture models: a strip (width x width / 4) turning seed_a's texture into seed_b's; crisp as for
        draw_texture."""
        return api.morph_texture(self.model, seed_a, seed_b, width, crisp)

    @property
    def kind(self) -> str:
        return self.model.kind

    def __repr__(self) -> str:
        size = self.model.config.image_size
        return f"LatentStudioModel({self.model.name!r}, {self.kind}, {size}x{size})"

    # ---- loading ---------------------------------------------------------------------------------
    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: str | Path, *, force_download: bool = False,
                        token: str | bool | None = None, cache_dir: str | Path | None = None,
                        local_files_only: bool = False, revision: str | None = None,
                        endpoint: str | None = None, **model_kwargs) -> LatentStudioModel:
        """A model folder, or a Hub repo id ("owner/name") at revision (a branch, tag or commit; default main).
        token: None = your huggingface_hub login or HF_TOKEN; False = anonymous. endpoint: another Hub
        (default HF_ENDPOINT or huggingface.co). The mixin's own
        from_pretrained would fetch config.json separately first (possibly from a newer commit than the
        weights), so the whole folder is resolved and fetched here in one go."""
        return cls._from_pretrained(model_id=str(pretrained_model_name_or_path), revision=revision,
                                    cache_dir=cache_dir, force_download=force_download,
                                    local_files_only=local_files_only, token=token, endpoint=endpoint,
                                    **model_kwargs)

    @classmethod
    def _from_pretrained(cls, *, model_id: str, revision: str | None, cache_dir: str | Path | None,
                         force_download: bool, local_files_only: bool, token: str | bool | None,
                         endpoint: str | None = None, **model_kwargs) -> LatentStudioModel:
        if model_kwargs:
            raise TypeError(f"unexpected arguments: {', '.join(sorted(model_kwargs))}")
        if Path(model_id).is_dir():
            folder = Path(model_id)
        else:
            folder = hub.pull_model(model_id, revision, token if isinstance(token, str) else None, cache_dir,
                                    endpoint, allow_env_token=token is not False, force_download=force_download,
                                    local_files_only=local_files_only)
        return cls(load_model(folder), folder)

    # ---- saving and sharing -----------------------------------------------------------------------
    def _save_pretrained(self, save_directory: Path) -> None:
        """The model folder: its files byte for byte when it came from one, else written fresh."""
        if self.folder is not None:
            hub.copy_model_folder(self.folder, save_directory, overwrite=True)
            return
        m = self.model
        # a texture model's samples are its training preview (any size step); its swatches go with it
        samples = texture_grid(m.network, m.config) if self.kind == "texture" else api.grid(self.generate(16, 0))
        save_model(save_directory, m.network, m.config, dict(m.meta), samples, swatches=m.swatches)

    def push_to_hub(self, repo_id: str, *, private: bool | None = None, token: str | None = None,
                    commit_message: str | None = None, endpoint: str | None = None) -> str:
        """Upload the model folder to repo_id in one commit (created if needed; private=True makes a new
        repo private). token: None = your huggingface_hub login or HF_TOKEN. Returns the repo URL."""
        with tempfile.TemporaryDirectory(prefix="latent-studio-push-") as tmp:
            folder = self.folder
            if folder is None:  # a model made in memory: write its folder first
                self.save_pretrained(tmp)
                folder = Path(tmp)
            return hub.push_model(folder, repo_id, token, private=bool(private), endpoint=endpoint,
                                  commit_message=commit_message, allow_env_token=True)
