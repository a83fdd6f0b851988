"""Contract tests for every registered edit: shape and dtype, no mutation, neutral = identity,
extreme settings stay valid, determinism, odd sizes. Small images only (64 x 64 and below)."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import postprocess as pp
from tests.image_helpers import synthetic

EDIT_NAMES = pp.edit_names()
SIZE_EDITS = {name for name, e in pp.EDITS.items() if e.changes_size}


IMAGE = synthetic()
REFERENCE = synthetic(48, 40, seed=3)[:, ::-1, ::-1].copy()


def with_references(name: str, params: dict, reference: np.ndarray = REFERENCE) -> dict:
    return {**params, **{key: reference for key in pp.get_edit(name).reference_params}}


def extreme_settings(name: str) -> list[dict]:
    """Each parameter at each end of its range (others default), plus all-low and all-high."""
    spec = pp.get_edit(name)
    ends: dict[str, list] = {}
    for p in spec.params:
        if p.type in ("float", "int"):
            ends[p.name] = [p.min, p.max]
        elif p.type == "bool":
            ends[p.name] = [False, True]
        elif p.type == "choice":
            ends[p.name] = list(p.choices)
        elif p.type == "color":
            ends[p.name] = ["#000000", "#ffffff"]
        elif p.type == "palette":
            ends[p.name] = [["#000000"], ["#%06x" % (i * 0x081018) for i in range(int(p.max))]]
    settings = [{key: value} for key, values in ends.items() for value in values]
    settings.append({key: values[0] for key, values in ends.items()})
    settings.append({key: values[-1] for key, values in ends.items()})
    if name == "levels":  # black must stay below white
        settings = [s for s in settings if s.get("black", 0) < s.get("white", 255)]
    return settings


@pytest.mark.parametrize("name", EDIT_NAMES)
def test_defaults_keep_contract(name: str) -> None:
    source, reference = IMAGE.copy(), REFERENCE.copy()
    out = pp.apply_edit(source, name, with_references(name, {}, reference=reference))
    assert out.dtype == np.uint8 and out.ndim == 3 and out.shape[2] == 3
    if name not in SIZE_EDITS:
        assert out.shape == IMAGE.shape
    assert np.array_equal(source, IMAGE), "input was modified"
    assert np.array_equal(reference, REFERENCE), "reference image was modified"
    assert out is not source and not np.shares_memory(out, source)


@pytest.mark.parametrize("name", EDIT_NAMES)
def test_neutral_settings_are_identity(name: str) -> None:
    spec = pp.get_edit(name)
    for image in (IMAGE, synthetic(17, 31, seed=5)):
        out = pp.apply_edit(image, name, with_references(name, spec.neutral_params()))
        assert out.shape == image.shape
        assert int(np.abs(out.astype(int) - image.astype(int)).max()) <= 1, name
        assert not np.shares_memory(out, image)


@pytest.mark.parametrize("name", EDIT_NAMES)
def test_extreme_settings_stay_valid(name: str) -> None:
    for settings in extreme_settings(name):
        source = IMAGE.copy()
        out = pp.apply_edit(source, name, with_references(name, settings))
        assert out.dtype == np.uint8 and out.ndim == 3 and out.shape[2] == 3, settings
        if name not in SIZE_EDITS:
            assert out.shape == IMAGE.shape, settings
        assert np.array_equal(source, IMAGE), settings


@pytest.mark.parametrize("name", EDIT_NAMES)
@pytest.mark.parametrize("shape", [(1, 1), (2, 3), (7, 13), (33, 5)])
def test_tiny_and_odd_sizes(name: str, shape: tuple[int, int]) -> None:
    image = synthetic(*shape, seed=2)
    out = pp.apply_edit(image, name, with_references(name, {}, reference=synthetic(3, 2, seed=9)))
    assert out.dtype == np.uint8 and out.ndim == 3 and out.shape[2] == 3
    if name not in SIZE_EDITS:
        assert out.shape == image.shape


@pytest.mark.parametrize("name", EDIT_NAMES)
def test_deterministic(name: str) -> None:
    params = with_references(name, {})
    assert np.array_equal(pp.apply_edit(IMAGE, name, params), pp.apply_edit(IMAGE, name, params))


@pytest.mark.parametrize("name", EDIT_NAMES)
def test_flat_images(name: str) -> None:
    """Uniform black, white and grey images: no division by zero, no NaN leaking into uint8."""
    for level in (0, 128, 255):
        image = np.full((16, 16, 3), level, np.uint8)
        out = pp.apply_edit(image, name, with_references(name, {}, reference=np.full((8, 8, 3), 255 - level, np.uint8)))
        assert out.dtype == np.uint8


@pytest.mark.parametrize("name", [n for n in EDIT_NAMES if "strength" in [p.name for p in pp.get_edit(n).params]])
def test_strength_moves_monotonically_away_from_original(name: str) -> None:
    """More strength never brings the result closer to the original (style filters' 0..1 dial)."""
    distances = []
    for s in (0.0, 0.5, 1.0):
        out = pp.apply_edit(IMAGE, name, with_references(name, {"strength": s}))
        distances.append(float(np.abs(out.astype(int) - IMAGE.astype(int)).mean()))
    assert distances[0] == 0.0
    assert distances[0] <= distances[1] <= distances[2] + 0.5


def test_direct_calls_match_apply_edit() -> None:
    assert np.array_equal(pp.contrast(IMAGE, 1.4), pp.apply_edit(IMAGE, "contrast", {"amount": 1.4}))
    assert np.array_equal(pp.vignette(IMAGE, strength=0.7),
                          pp.apply_edit(IMAGE, "vignette", {"strength": 0.7}))
    assert np.array_equal(pp.colour_transfer(IMAGE, REFERENCE),
                          pp.apply_edit(IMAGE, "colour_transfer", {"reference": REFERENCE}))


def test_size_edits_refuse_outputs_over_the_limit() -> None:
    wide = np.zeros((1, pp.MAX_SIDE, 3), np.uint8)
    with pytest.raises(pp.EditError, match="limit"):
        pp.upscale(wide, factor=2)  # 8192 px wide
    with pytest.raises(pp.EditError, match="limit"):
        pp.upscale(np.zeros((2048, 2048, 3), np.uint8), factor=4)  # 8192 x 8192
    with pytest.raises(pp.EditError, match="limit"):
        pp.pad_to_format(np.zeros((2048, 4096, 3), np.uint8), format="9:16")  # 4096 x 7282
    assert pp.upscale(np.zeros((2048, 2048, 3), np.uint8), factor=1).shape == (2048, 2048, 3)
    assert pp.resize(wide, long_side=4096).shape == wide.shape
    assert pp.limits() == {"max_side": 4096, "max_pixels": 4096 * 4096}


def test_every_combination_of_small_choices_runs() -> None:
    """Choices and flags together (e.g. colour halftone, ink painterly, image-coloured neon)."""
    for name in ("halftone", "painterly", "neon", "pencil_sketch", "soft_focus", "denoise", "film_grain"):
        spec = pp.get_edit(name)
        options = {p.name: (list(p.choices) if p.type == "choice" else [False, True])
                   for p in spec.params if p.type in ("choice", "bool")}
        for combo in itertools.product(*options.values()):
            out = pp.apply_edit(IMAGE, name, dict(zip(options, combo)))
            assert out.shape == IMAGE.shape


@pytest.mark.parametrize("name", EDIT_NAMES)
def test_array_views_are_accepted(name: str) -> None:
    """Flipped, strided and channel-reversed views (what numpy slicing gives) work like copies."""
    for view in (IMAGE[:, ::-1], IMAGE[::2, ::3], IMAGE[..., ::-1], IMAGE.transpose(1, 0, 2)):
        params = with_references(name, {}, reference=view)
        assert np.array_equal(pp.apply_edit(view, name, params),
                              pp.apply_edit(np.ascontiguousarray(view), name, params))
