"""A model folder's config.json and weights are checked strictly before use: wrong types, odd names and
weights of the wrong number type are refused in one sentence (hostile or damaged folders)."""
from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file, save_file

from genmodels.storage.store import MAX_NAME, ModelLoadError, load_model, save_model


def _edit_config(folder, **changes):
    path = folder / "config.json"
    content = json.loads(path.read_text())
    for key, value in changes.items():
        if key in content["config"]:
            content["config"][key] = value
        else:
            content[key] = value
    path.write_text(json.dumps(content))


@pytest.mark.parametrize("field,value,sentence", [
    ("z_dim", 100.5, "z_dim must be a whole number"),
    ("z_dim", True, "z_dim must be a whole number"),
    ("g_width", "8", "g_width must be a whole number"),
    ("d_norm", 3, "d_norm must be text"),
    ("classes", "cats", "classes must be a list of names"),
])
def test_config_values_of_the_wrong_type_are_refused(gan_folder, field, value, sentence):
    _edit_config(gan_folder, **{field: value})
    with pytest.raises(ModelLoadError, match=sentence):
        load_model(gan_folder)


def test_a_float_where_a_vae_wants_one_may_be_written_as_a_whole_number(vae_folder):
    _edit_config(vae_folder, beta=1)  # JSON has no int/float split: 1 is a fine beta
    assert load_model(vae_folder).config.beta == 1


@pytest.mark.parametrize("version", [True, 1.0, "1", None])
def test_format_version_must_be_a_whole_number(gan_folder, version):
    _edit_config(gan_folder, format_version=version)
    with pytest.raises(ModelLoadError, match="format_version"):
        load_model(gan_folder)


@pytest.mark.parametrize("name", ["x" * 600_000, "two\nlines", "", 42, ["a"], " padded "])
def test_names_must_be_short_plain_text(gan_folder, name):
    _edit_config(gan_folder, name=name)
    with pytest.raises(ModelLoadError, match="name that is not plain text"):
        load_model(gan_folder)


def test_saving_makes_any_name_acceptable(tmp_path, gan_folder):
    model = load_model(gan_folder)
    saved = save_model(tmp_path / "m", model.network, model.config, {"name": "  café\n" + "y" * 300})
    name = load_model(saved).meta["name"]
    assert name.startswith("café") and len(name) == MAX_NAME and "\n" not in name


@pytest.mark.parametrize("dtype", [torch.float64, torch.int32, torch.bool])
def test_weights_of_another_number_type_are_refused(gan_folder, dtype):
    path = gan_folder / "model.safetensors"
    tensors = load_file(path)
    key = next(k for k, v in tensors.items() if v.is_floating_point())
    tensors[key] = tensors[key].to(dtype)
    save_file(tensors, path)
    with pytest.raises(ModelLoadError, match=f"wrong number type \\({key} is {dtype}"):
        load_model(gan_folder)


def test_half_and_bfloat16_weights_load(gan_folder):
    path = gan_folder / "model.safetensors"
    before = load_model(gan_folder).network.state_dict()
    tensors = {k: v.to(torch.bfloat16) if v.is_floating_point() else v for k, v in load_file(path).items()}
    save_file(tensors, path)
    after = load_model(gan_folder).network.state_dict()
    assert all(after[k].dtype == before[k].dtype for k in before)


def test_integer_buffers_keep_their_type(gan_folder):
    path = gan_folder / "model.safetensors"
    tensors = load_file(path)
    key = next(k for k in tensors if k.endswith("num_batches_tracked"))
    tensors[key] = tensors[key].float()
    save_file(tensors, path)
    with pytest.raises(ModelLoadError, match="wrong number type"):
        load_model(gan_folder)


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_a_texture_switch_must_be_true_or_false(tmp_path, value):
    from genmodels.models.texture import TextureConfig, TextureGenerator

    cfg = TextureConfig(waves=2, wave_period=2, wave_nyquist=True)
    folder = save_model(tmp_path / "texture", TextureGenerator(cfg), cfg, {"name": "t", "preset": "texture"})
    assert load_model(folder).config.wave_nyquist is True
    _edit_config(folder, wave_nyquist=value)
    with pytest.raises(ModelLoadError, match="wave_nyquist must be true or false"):
        load_model(folder)
