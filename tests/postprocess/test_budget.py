"""An edit stack's cost and size are known before it runs, and a running stack can be stopped."""
import numpy as np
import pytest

import postprocess as pp


def test_every_edit_declares_a_positive_cost():
    for name, spec in pp.EDITS.items():
        assert spec.cost_ms_per_mpx(spec.resolve({"reference": "r"} if spec.reference_params else {},
                                                 references_as_names=True)) > 0, name


@pytest.mark.parametrize("steps", [
    [("upscale", {"factor": 3}), ("crop_to_format", {"format": "16:9", "method": "content"})],
    [("resize", {"long_side": 37}), ("pad_to_format", {"format": "9:16"}), ("upscale", {"factor": 2})],
    [("pad_to_format", {"format": "4:5"}), ("resize", {"long_side": 0}), ("crop_to_format", {"format": "3:2"})],
    [("resize", {"long_side": 50}), ("crop_to_format", {"format": "original"}), ("sharpen", {})],
])
@pytest.mark.parametrize("shape", [(23, 41), (64, 64), (50, 17)])
def test_the_priced_size_is_the_size_the_stack_makes(steps, shape):
    stack = pp.EditStack(steps)
    image = np.random.default_rng(0).integers(0, 256, (*shape, 3), dtype=np.uint8)
    cost = pp.stack_cost(stack, *shape)
    out = stack.apply(image)
    assert cost.output == out.shape[:2]
    assert cost.peak_pixels >= max(shape[0] * shape[1], out.shape[0] * out.shape[1])


def test_slow_settings_and_bigger_pictures_cost_more():
    fast, best = pp.EditStack([("denoise", {"method": "fast"})]), pp.EditStack([("denoise", {"method": "best"})])
    assert pp.stack_cost(best, 1024, 1024).seconds > 20 * pp.stack_cost(fast, 1024, 1024).seconds
    assert pp.stack_cost(best, 4096, 4096).seconds > 10 * pp.stack_cost(best, 1024, 1024).seconds
    # upscaling first makes every later step dearer
    late = pp.EditStack([("painterly", {}), ("upscale", {"factor": 4})])
    early = pp.EditStack([("upscale", {"factor": 4}), ("painterly", {})])
    assert pp.stack_cost(early, 256, 256).seconds > 5 * pp.stack_cost(late, 256, 256).seconds


def test_a_stack_past_the_size_limit_is_refused_by_its_price_alone():
    stack = pp.EditStack([("upscale", {"factor": 4})] * 4)
    with pytest.raises(pp.EditError, match=r"step 4: .*4096 px per side"):
        pp.stack_cost(stack, 64, 64)  # 64 -> 256 -> 1024 -> 4096 -> 16384: priced in microseconds, never run


def test_should_stop_is_asked_before_each_step_and_stops_there():
    stack = pp.EditStack([("brightness", {"amount": 1.1})] * 5)
    image = np.full((8, 8, 3), 100, np.uint8)
    asked = []

    def stop_after_two() -> bool:
        asked.append(True)
        return len(asked) > 2

    with pytest.raises(pp.EditCancelled, match="before step 3"):
        stack.apply(image, should_stop=stop_after_two)
    assert len(asked) == 3
    assert isinstance(pp.EditCancelled("x"), pp.EditError)  # a UI shows it as any other refusal
    assert stack.apply(image, should_stop=lambda: False).shape == image.shape


def test_a_preview_keeps_every_step_at_screen_size_and_is_priced_so():
    stack = pp.EditStack([("upscale", {"factor": 4}), ("upscale", {"factor": 4}), ("vignette", {})])
    image = np.full((64, 48, 3), 90, np.uint8)
    out = stack.apply(image, max_side=200)
    assert out.shape == (200, 150, 3)  # 64 -> 256 (shrunk to 200) -> 800 (shrunk to 200)
    full, preview = pp.stack_cost(stack, 64, 48), pp.stack_cost(stack, 64, 48, max_side=200)
    assert preview.output == out.shape[:2] and full.output == (1024, 768)
    assert preview.seconds < full.seconds and preview.peak_pixels < full.peak_pixels
