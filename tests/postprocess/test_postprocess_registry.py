"""The registry: complete, JSON-ready descriptions, and validation with one clear sentence per error."""
from __future__ import annotations

import inspect
import json
import math
import subprocess
import sys

import numpy as np
import pytest

import postprocess as pp

IMAGE = np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8)
ISSUE_EDITS = {
    "Tone": {"brightness", "contrast", "saturation", "gamma", "exposure", "white_balance", "sharpen",
             "auto_contrast", "levels", "local_contrast", "denoise"},
    "Style": {"grayscale", "sepia", "vintage", "posterize", "pencil_sketch", "cartoon", "painterly",
              "watercolour", "emboss", "neon", "pixel_art", "halftone", "duotone", "vignette",
              "film_grain", "soft_focus", "seamless"},
    "Colour": {"colour_transfer", "recolour", "histogram_match"},
    "Size": {"upscale", "resize", "crop_to_format", "pad_to_format"},
}


def test_every_issue_edit_is_registered_in_its_group() -> None:
    by_group = {g: {e["name"] for e in pp.list_edits(g)} for g in pp.GROUPS}
    assert by_group == ISSUE_EDITS
    assert pp.edit_names() == [e["name"] for e in pp.list_edits()]
    groups = [e["group"] for e in pp.list_edits()]
    assert groups == sorted(groups, key=pp.GROUPS.index)  # display order: Tone, Style, Colour, Size


def test_list_edits_is_plain_json_and_complete() -> None:
    listing = pp.list_edits()
    assert json.loads(json.dumps(listing, allow_nan=False)) == listing
    keys = {"name", "label", "type", "default", "neutral", "min", "max", "step", "choices", "required", "description"}
    for entry in listing:
        assert entry["name"].isidentifier() and entry["name"] == entry["name"].lower()
        assert entry["label"] and entry["description"] and entry["group"] in pp.GROUPS
        for param in entry["params"]:
            assert set(param) == keys
            assert param["type"] in ("float", "int", "bool", "choice", "color", "palette", "image")


@pytest.mark.parametrize("name", pp.edit_names())
def test_specs_are_consistent(name: str) -> None:
    spec = pp.get_edit(name)
    signature = inspect.signature(pp.get_edit(name).fn)
    assert list(signature.parameters)[0] == "image"
    assert spec.fn.__doc__ and getattr(pp, name).__doc__ == spec.fn.__doc__
    for p in spec.params:
        if p.type in ("float", "int"):
            assert p.min < p.max and p.step > 0
            assert p.min <= p.default <= p.max
            assert p.neutral is None or p.min <= p.neutral <= p.max
        if p.type == "choice":
            assert p.default in p.choices and (p.neutral is None or p.neutral in p.choices)
        if p.type == "image":
            assert p.required
        else:
            assert p.check(p.default, spec.label) is not None  # defaults pass their own validation
    references = {key: IMAGE for key in spec.reference_params}
    assert spec.resolve({**spec.neutral_params(), **references}) is not None
    if "strength" in [p.name for p in spec.params]:
        strength = spec.param("strength")
        assert (strength.min, strength.max, strength.neutral) == (0.0, 1.0, 0.0)


def one_sentence(message: str) -> bool:
    return message.endswith(".") and "\n" not in message and "Traceback" not in message


@pytest.mark.parametrize("name, params, fragment", [
    ("contrasst", {}, "did you mean 'contrast'"),
    ("no_such_edit_at_all", {}, "no edit called"),
    ("contrast", {"amout": 1.2}, "no setting called 'amout'"),
    ("contrast", {"amount": "high"}, "must be a number"),
    ("contrast", {"amount": True}, "must be a number"),
    ("contrast", {"amount": [1]}, "must be a number"),
    ("contrast", {"amount": 5}, "between 0 and 3"),
    ("contrast", {"amount": -0.1}, "between 0 and 3"),
    ("contrast", {"amount": float("nan")}, "finite"),
    ("contrast", {"amount": float("inf")}, "finite"),
    ("contrast", {"amount": -math.inf}, "finite"),
    ("contrast", {"amount": 10 ** 400}, "finite"),
    ("posterize", {"levels": 2.5}, "whole number"),
    ("posterize", {"levels": float("nan")}, "finite"),
    ("film_grain", {"colour": 1}, "true or false"),
    ("denoise", {"method": "fastest"}, "must be one of 'fast', 'best'"),
    ("duotone", {"shadows": "blue"}, "colour like"),
    ("duotone", {"shadows": "#12345"}, "colour like"),
    ("recolour", {"palette": []}, "needs 1 to 32 colours"),
    ("recolour", {"palette": ["#000000", "nope"]}, "not a colour"),
    ("recolour", {"palette": 7}, "list of colours"),
    ("recolour", {"palette": ["#000000"] * 33}, "needs 1 to 32 colours"),
    ("levels", {"black": 200, "white": 100}, "below the white point"),
    ("colour_transfer", {}, "needs a reference image"),
    ("colour_transfer", {"reference": np.zeros((4, 4), np.uint8)}, "H x W x 3"),
    ("colour_transfer", {"reference": "ref-1"}, "reference image"),
    ("contrast", "amount=2", "must be a dict"),
])
def test_bad_requests_are_refused_clearly(name: str, params: object, fragment: str) -> None:
    with pytest.raises(pp.EditError) as caught:
        pp.apply_edit(IMAGE, name, params)  # type: ignore[arg-type]
    assert isinstance(caught.value, ValueError)
    assert fragment in str(caught.value) and one_sentence(str(caught.value)), str(caught.value)


@pytest.mark.parametrize("bad", [np.zeros((4, 4), np.uint8), np.zeros((4, 4, 4), np.uint8),
                                 np.zeros((4, 4, 3), np.float32), np.zeros((0, 4, 3), np.uint8), [[0, 0, 0]]])
def test_bad_images_are_refused(bad: object) -> None:
    with pytest.raises(pp.EditError):
        pp.apply_edit(bad, "contrast", {})  # type: ignore[arg-type]
    with pytest.raises(pp.EditError):
        pp.contrast(bad)  # type: ignore[arg-type]


def test_direct_calls_are_validated_too() -> None:
    with pytest.raises(pp.EditError, match="between 0 and 3"):
        pp.contrast(IMAGE, 9.0)
    with pytest.raises(pp.EditError, match="finite"):
        pp.vignette(IMAGE, strength=float("nan"))
    with pytest.raises(pp.EditError, match="Contrast"):
        pp.contrast(IMAGE, amount=1.0, radius=3)  # type: ignore[call-arg]


def test_values_are_normalised() -> None:
    spec = pp.get_edit("recolour")
    resolved = spec.resolve({"palette": "#ABC, #112233", "strength": np.float32(0.5), "dither": np.bool_(True)})
    assert resolved == {"palette": ["#aabbcc", "#112233"], "strength": 0.5, "dither": True}
    assert pp.get_edit("duotone").resolve({"shadows": "rgb(255, 0, 16)"})["shadows"] == "#ff0010"
    assert pp.get_edit("posterize").resolve({"levels": 4.0})["levels"] == 4
    assert isinstance(pp.get_edit("contrast").resolve({"amount": 2})["amount"], float)
    assert pp.get_edit("contrast").resolve({"amount": None}) == {"amount": 1.0}  # null = default


def test_unknown_group_is_refused() -> None:
    with pytest.raises(pp.EditError, match="groups are"):
        pp.list_edits("Colours")


def test_import_has_no_torch_genmodels_or_side_effects() -> None:
    code = ("import sys; import postprocess; "
            "print(sorted(m for m in ('torch', 'genmodels', 'gradio') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            cwd=str(__import__("pathlib").Path(__file__).resolve().parents[2]))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]" and result.stderr == ""


def test_registry_is_read_only() -> None:
    with pytest.raises(TypeError):
        pp.EDITS["contrast"] = pp.EDITS["brightness"]  # type: ignore[index]
    with pytest.raises(Exception):
        pp.get_edit("contrast").params[0].min = 5  # type: ignore[misc]
