import json
import pickle
import struct

import pytest
import torch

from genmodels.storage.store import ModelLoadError, load_model, save_model
from tests.conftest import TINY_GAN


def test_round_trip_is_exact(gan_folder, vae_folder):
    for folder in (gan_folder, vae_folder):
        assert {p.name for p in folder.iterdir()} >= {"config.json", "model.safetensors", "README.md"}
        meta = json.loads((folder / "config.json").read_text())
        assert meta["format_version"] == 1 and meta["kind"] in ("gan", "vae")
        loaded = load_model(folder)
        again = save_model(folder.parent / "copy", loaded.network, loaded.config, loaded.meta)
        a, b = load_model(folder).network.state_dict(), load_model(again).network.state_dict()
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_card_has_yaml_metadata(gan_folder):
    card = (gan_folder / "README.md").read_text()
    assert card.startswith("---\nlibrary_name: latent-studio")
    assert "pipeline_tag: unconditional-image-generation" in card and "- gan" in card


def test_pickle_is_never_loaded(tmp_path):
    folder = tmp_path / "evil"
    folder.mkdir()
    marker = tmp_path / "pwned"

    class Boom:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    (folder / "pytorch_model.bin").write_bytes(pickle.dumps(Boom()))
    (folder / "config.json").write_text(json.dumps({"format_version": 1, "kind": "gan", "config": {}}))
    with pytest.raises(ModelLoadError, match="pickle"):
        load_model(folder)
    assert not marker.exists()


def _corrupt(folder, data: bytes):
    (folder / "model.safetensors").write_bytes(data)
    with pytest.raises(ModelLoadError) as info:
        load_model(folder)
    return str(info.value)


def test_malformed_safetensors_give_one_clear_error(gan_folder):
    good = (gan_folder / "model.safetensors").read_bytes()
    assert "header length" in _corrupt(gan_folder, struct.pack("<Q", 2**60) + b"{}")  # no huge allocation
    assert "truncated" in _corrupt(gan_folder, good[: len(good) // 2])
    assert "too short" in _corrupt(gan_folder, b"abc")
    assert "not JSON" in _corrupt(gan_folder, struct.pack("<Q", 4) + b"\xff\xfe{}")


def _save_state(folder, state):
    from safetensors.torch import save_file

    save_file(state, str(folder / "model.safetensors"))
    with pytest.raises(ModelLoadError) as info:
        load_model(folder)
    return str(info.value)


def test_wrong_keys_shapes_and_nan_are_refused(gan_folder):
    state = load_model(gan_folder).network.state_dict()
    missing = dict(state)
    missing.pop("net.0.weight")
    assert "missing net.0.weight" in _save_state(gan_folder, missing)
    reshaped = dict(state, **{"net.0.weight": torch.zeros(3, 3)})
    assert "shape" in _save_state(gan_folder, reshaped)
    nan = dict(state, **{"net.0.weight": torch.full_like(state["net.0.weight"], float("nan"))})
    assert "NaN" in _save_state(gan_folder, nan)


def test_bad_config_files(gan_folder):
    (gan_folder / "config.json").write_text("{not json")
    with pytest.raises(ModelLoadError, match="not valid JSON"):
        load_model(gan_folder)
    (gan_folder / "config.json").write_text(json.dumps({"format_version": 99, "kind": "gan", "config": {}}))
    with pytest.raises(ModelLoadError, match="newer"):
        load_model(gan_folder)
    (gan_folder / "config.json").write_text(json.dumps({"format_version": 1, "kind": "gan",
                                                        "config": {"image_size": 48}}))
    with pytest.raises(ModelLoadError, match="invalid"):
        load_model(gan_folder)


def test_nan_weights_are_not_saved(tmp_path):
    from genmodels.models.gan import Generator

    g = Generator(TINY_GAN)
    with torch.no_grad():
        g.net[0].weight.fill_(float("inf"))
    with pytest.raises(ModelLoadError, match="non-finite"):
        save_model(tmp_path / "m", g, TINY_GAN)
