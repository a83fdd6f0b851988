"""LatentStudioModel (ModelHubMixin): from_pretrained from a folder or the (local) Hub, save_pretrained,
push_to_hub, generate; pulls at one commit; directions.safetensors (and a texture model's swatches) travel
with pushes and zips; the card shows how to load the model."""
from __future__ import annotations

import numpy as np
import pytest
from huggingface_hub import ModelCard

import genmodels
from genmodels import LatentStudioModel
from genmodels.hub import client as hub
from genmodels.explore.directions import compute_directions, save_directions
from genmodels.hub.errors import HubOfflineError
from genmodels.storage.store import DIRECTIONS_FILE, PORTABLE_FILES, load_model
from tests.hub_server import FakeHub

WRITE = "hf_good_write"


@pytest.fixture
def server(tmp_path, monkeypatch):
    """A local Hub, and a login (HF_TOKEN) for its tester."""
    hub_server = FakeHub().start()
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.setenv("HF_TOKEN", WRITE)
    yield hub_server
    hub_server.stop()


@pytest.fixture
def gan_with_directions(gan_folder):
    save_directions(gan_folder, compute_directions(load_model(gan_folder), k=4, n_samples=64))
    return gan_folder


def test_from_a_folder_draws_what_the_studio_draws(gan_folder):
    model = LatentStudioModel.from_pretrained(gan_folder)
    images = model.generate(4, seed=3)
    expected = genmodels.generate(gan_folder, n=4, seed=3)
    assert len(images) == 4 and images[0].dtype == np.uint8 and images[0].shape == (32, 32, 3)
    assert all(np.array_equal(a, b) for a, b in zip(images, expected))
    assert model.kind == "gan" and "32x32" in repr(model)


def test_save_pretrained_keeps_the_folder_format_byte_for_byte(gan_with_directions, tmp_path):
    model = LatentStudioModel.from_pretrained(gan_with_directions)
    out = tmp_path / "copy"
    model.save_pretrained(out)
    for name in PORTABLE_FILES:
        if (gan_with_directions / name).exists():
            assert (out / name).read_bytes() == (gan_with_directions / name).read_bytes(), name
    again = LatentStudioModel.from_pretrained(out)
    assert np.array_equal(again.generate(1, 0)[0], model.generate(1, 0)[0])


def test_a_model_without_a_folder_saves_a_fresh_one(tmp_path):
    model = LatentStudioModel(genmodels.untrained_model("dcgan-32"))
    model.save_pretrained(tmp_path / "fresh")
    assert {"config.json", "model.safetensors", "README.md", "samples.png"} <= {p.name for p in (tmp_path / "fresh").iterdir()}
    assert np.array_equal(LatentStudioModel.from_pretrained(tmp_path / "fresh").generate(1, 5)[0], model.generate(1, 5)[0])


def test_a_texture_model_without_a_folder_saves_its_swatches_too(tmp_path):
    import torch

    from tests.train_helpers import texture_folder

    swatches = torch.randint(0, 256, (8, 3, 64, 64), dtype=torch.uint8)
    folder = texture_folder(tmp_path / "bricks", "bricks", swatches)
    model = LatentStudioModel(load_model(folder))  # in memory: written fresh, whatever the size step
    model.save_pretrained(tmp_path / "fresh")
    assert torch.equal(load_model(tmp_path / "fresh").swatches, swatches)
    assert (tmp_path / "fresh" / "samples.png").is_file()
    assert np.array_equal(genmodels.draw_texture(tmp_path / "fresh", 0, 256), genmodels.draw_texture(folder, 0, 256))


def test_push_then_from_pretrained_through_the_hub(server, gan_with_directions):
    url = LatentStudioModel.from_pretrained(gan_with_directions).push_to_hub("tester/ls-model", private=True,
                                                                           endpoint=server.url)
    assert url.endswith("/tester/ls-model") and server.repos["tester/ls-model"].private
    assert DIRECTIONS_FILE in server.files("tester/ls-model")  # directions travel with pushes
    pulled = LatentStudioModel.from_pretrained("tester/ls-model", endpoint=server.url)
    assert (pulled.folder / DIRECTIONS_FILE).read_bytes() == (gan_with_directions / DIRECTIONS_FILE).read_bytes()
    assert np.array_equal(pulled.generate(2, 7)[1], genmodels.generate(gan_with_directions, n=2, seed=7)[1])
    card = ModelCard.load(pulled.folder / "README.md")
    assert card.data.library_name == "latent-studio" and "latent-studio" in card.data.tags
    assert 'LatentStudioModel.from_pretrained("tester/ls-model")' in card.text
    assert "model.generate(16, seed=0)" in card.text
    # Offline afterwards: the cached copy, and no request at all with local_files_only.
    server.stop()
    cached = LatentStudioModel.from_pretrained("tester/ls-model", local_files_only=True, endpoint=server.url)
    assert cached.folder == pulled.folder


def test_a_pull_takes_every_file_from_one_commit(server, gan_folder, vae_folder):
    first = hub.push_model(gan_folder, "tester/moving", WRITE, endpoint=server.url)
    first_sha = server.repos["tester/moving"].refs["main"]
    hub.push_model(vae_folder, "tester/moving", WRITE, endpoint=server.url)  # the repo moves on to another model
    old = LatentStudioModel.from_pretrained("tester/moving", revision=first_sha, endpoint=server.url)
    new = LatentStudioModel.from_pretrained("tester/moving", endpoint=server.url)
    assert first.endswith("tester/moving")
    assert old.folder.name == first_sha and old.kind == "gan"
    assert new.folder.name == server.repos["tester/moving"].refs["main"] and new.kind == "vae"


def test_local_files_only_without_a_cached_copy_says_so(server):
    with pytest.raises(HubOfflineError, match="not in the local cache"):
        LatentStudioModel.from_pretrained("tester/never-pulled", local_files_only=True, endpoint=server.url)


def test_directions_travel_with_model_zips(gan_with_directions, tmp_path):
    archive = genmodels.export_model_zip(gan_with_directions, tmp_path / "m.zip")
    imported = genmodels.import_model_zip(archive, tmp_path)
    assert (imported / DIRECTIONS_FILE).read_bytes() == (gan_with_directions / DIRECTIONS_FILE).read_bytes()


def test_a_texture_model_travels_with_its_swatches(server, tmp_path):
    import torch

    from tests.train_helpers import texture_folder

    swatches = torch.randint(0, 256, (8, 3, 64, 64), dtype=torch.uint8)
    folder = texture_folder(tmp_path / "bricks", "bricks", swatches)  # no samples.png
    hub.push_model(folder, "tester/bricks", WRITE, endpoint=server.url)
    assert server.files("tester/bricks")["samples.png"].startswith(b"\x89PNG")  # drawn at push time
    card = server.files("tester/bricks")["README.md"].decode()
    assert "texture-synthesis" in card and "## Swatches" in card
    pulled = hub.pull_model("tester/bricks", cache_dir=tmp_path / "hf-cache", endpoint=server.url)
    assert np.array_equal(genmodels.draw_texture(pulled, 0, 256), genmodels.draw_texture(folder, 0, 256))
    assert torch.equal(load_model(pulled).swatches, swatches)
    assert np.array_equal(genmodels.draw_texture(pulled, 0, 256, crisp=True),
                          genmodels.draw_texture(folder, 0, 256, crisp=True))
