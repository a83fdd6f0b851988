"""EditStack: validation on construction, JSON round trip, one-call apply, reference images."""
from __future__ import annotations

import json

import numpy as np
import pytest

import postprocess as pp

IMAGE = np.random.default_rng(1).integers(0, 256, (32, 48, 3), dtype=np.uint8)
REFERENCE = np.random.default_rng(2).integers(0, 256, (20, 20, 3), dtype=np.uint8)
STEPS = [
    ("auto_contrast", {"strength": 0.8}),
    ("white_balance", {"warmth": 0.3}),
    ("recolour", {"palette": ["#112233", "#ffeedd", "#cc3344"], "strength": 0.5}),
    ("vignette", {}),
    ("upscale", {"factor": 2}),
]


def test_json_round_trip() -> None:
    stack = pp.EditStack(STEPS)
    text = stack.to_json()
    data = json.loads(text)
    assert data["format"] == "latent_studio.edit_stack" and data["version"] == 1
    assert [e["name"] for e in data["edits"]] == [name for name, _ in STEPS]
    assert data["edits"][3]["params"] == {"strength": 0.5, "radius": 0.75, "softness": 0.5}  # defaults filled in
    again = pp.EditStack.from_json(text)
    assert again == stack and again.to_json() == text
    assert pp.EditStack.from_dict(stack.to_dict()) == stack
    assert pp.EditStack.from_json(json.dumps([["contrast", {"amount": 1.1}], {"name": "sepia"}, "grayscale"])) == \
        pp.EditStack([("contrast", {"amount": 1.1}), ("sepia", None), ("grayscale", {})])


def test_apply_equals_edits_in_sequence_and_does_not_mutate() -> None:
    source = IMAGE.copy()
    out = pp.EditStack(STEPS).apply(source)
    expected = IMAGE
    for name, params in STEPS:
        expected = pp.apply_edit(expected, name, params)
    assert np.array_equal(out, expected) and out.shape == (64, 96, 3)
    assert np.array_equal(source, IMAGE)
    empty = pp.EditStack()
    result = empty.apply(source)
    assert np.array_equal(result, source) and result is not source and len(empty) == 0


@pytest.mark.parametrize("steps, fragment", [
    ([("contrast", {"amount": 9})], "step 1: Contrast"),
    ([("sepia", {}), ("blurr", {})], "step 2: There is no edit called 'blurr'"),
    ([("sepia", {"strenght": 1})], "no setting called"),
    ([("levels", {"black": 250, "white": 10})], "below the white point"),
    ([("vignette", {"strength": float("nan")})], "finite"),
    ([("colour_transfer", {"reference": np.zeros((4, 4, 3), np.uint8)})], "name of a reference image"),
    ([("colour_transfer", {})], "needs a reference image"),
    ([42], "must be [name, params]"),
    ([("contrast", {})] * 65, "at most 64 steps"),
])
def test_invalid_stacks_are_refused_on_construction(steps: list, fragment: str) -> None:
    with pytest.raises(pp.EditError) as caught:
        pp.EditStack(steps)
    assert fragment in str(caught.value), str(caught.value)


@pytest.mark.parametrize("text, fragment", [
    ("{not json", "not valid JSON"),
    ('{"format": "latent_studio.edit_stack", "version": 1, "edits": [["contrast", {"amount": NaN}]]}',
     "not valid JSON"),
    ('{"format": "something_else", "edits": []}', "not a Latent Studio edit stack"),
    ('{"format": "latent_studio.edit_stack", "version": 99, "edits": []}', "reads up to 1"),
    ('{"format": "latent_studio.edit_stack", "version": 1, "edits": {}}', "must be a list"),
    ('"contrast"', "not a Latent Studio edit stack"),
    ('[["contrast", {"amount": 1e400}]]', "finite"),
])
def test_bad_json_is_refused(text: str, fragment: str) -> None:
    with pytest.raises(pp.EditError) as caught:
        pp.EditStack.from_json(text)
    assert fragment in str(caught.value), str(caught.value)


def test_stack_is_immutable_and_editable_by_copy() -> None:
    stack = pp.EditStack([("sepia", {})])
    longer = stack.add("contrast", {"amount": 1.2})
    assert len(stack) == 1 and len(longer) == 2
    assert [n for n, _ in longer.replace(0, "grayscale")] == ["grayscale", "contrast"]
    assert [n for n, _ in longer.remove(0)] == ["contrast"]
    steps = longer.steps
    steps[1][1]["amount"] = 2.9  # changing the copy does not change the stack
    assert longer.steps[1][1]["amount"] == 1.2
    with pytest.raises(pp.EditError):
        longer.remove(5)
    with pytest.raises(pp.EditError):
        pp.EditStack('[["sepia", {}]]')  # type: ignore[arg-type]


def test_reference_images_travel_by_name() -> None:
    ref_name = pp.reference_id(REFERENCE)
    assert ref_name == pp.reference_id(REFERENCE.copy()) and ref_name.startswith("sha256:")
    assert ref_name != pp.reference_id(REFERENCE[::-1].copy())
    stack = pp.EditStack([("colour_transfer", {"reference": ref_name, "strength": 0.7}),
                          ("histogram_match", {"reference": "brand-look", "strength": 0.3})])
    assert stack.references_needed() == [ref_name, "brand-look"]
    assert pp.EditStack.from_json(stack.to_json()) == stack  # JSON holds names, not pixels
    refs = {ref_name: REFERENCE, "brand-look": REFERENCE[:, ::-1].copy()}
    out = stack.apply(IMAGE, references=refs)
    expected = pp.histogram_match(pp.colour_transfer(IMAGE, REFERENCE, 0.7), refs["brand-look"], 0.3)
    assert np.array_equal(out, expected)
    with pytest.raises(pp.EditError, match="needs the reference image 'brand-look'"):
        stack.apply(IMAGE, references={ref_name: REFERENCE})
    with pytest.raises(pp.EditError, match="H x W x 3"):
        stack.apply(IMAGE, references={ref_name: REFERENCE, "brand-look": np.zeros((3, 3), np.uint8)})


def test_size_limit_reported_with_step_number() -> None:
    stack = pp.EditStack([("upscale", {"factor": 4}), ("upscale", {"factor": 4})])
    with pytest.raises(pp.EditError, match="step 2: Upscaling x4 would make"):
        stack.apply(np.zeros((300, 300, 3), np.uint8))
