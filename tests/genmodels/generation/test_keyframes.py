"""Keyframe paths: exact keyframes, a closed loop, determinism, frame counts, refusals."""
import math

import numpy as np
import pytest
import torch

import genmodels
from genmodels.generation import keyframes
from genmodels.generation.keyframes import frame_count, path_latents, render_path, segment_lengths
from genmodels.storage.store import load_model


def _keys(k: int, dim: int = 16) -> torch.Tensor:
    return torch.stack([torch.randn(dim, generator=torch.Generator().manual_seed(s)) for s in range(k)])


@pytest.mark.parametrize("motion", ["smooth", "ease"])
@pytest.mark.parametrize("k,n", [(2, 10), (3, 10), (5, 17), (8, 8)])
def test_every_keyframe_is_a_frame_exactly(motion, k, n):
    keys = _keys(k)
    z = path_latents(keys, n, motion)
    assert z.shape == (n, 16)
    starts = np.cumsum([0] + segment_lengths(n, k))[:-1]
    for key, at in zip(keys, starts):
        assert torch.equal(z[at], key)


@pytest.mark.parametrize("motion", ["smooth", "ease"])
def test_the_loop_closes_without_a_jump(motion):
    keys = _keys(4)
    z = path_latents(keys, 48, motion)
    steps = (z - z.roll(-1, dims=0)).norm(dim=1)  # steps[-1]: the last frame back to the first
    assert steps[-1] <= steps[:-1].max() * 1.05
    # The last segment (keyframe 3 -> keyframe 0) ends exactly where the animation starts again.
    segment = keyframes._smooth_segment if motion == "smooth" else keyframes._ease_segment
    assert torch.allclose(segment(keys, 3, torch.tensor([1.0]))[0], keys[0], atol=1e-5)


def test_smooth_motion_glides_and_keeps_the_shell():
    keys = _keys(4, dim=64)
    z = path_latents(keys, 64, "smooth")
    norms = z.norm(dim=1)
    assert norms.min() > 0.85 * keys.norm(dim=1).min()  # no washed-out middle (a plain lerp would sag)
    # Velocity continues through a keyframe: the step into it and out of it point the same way.
    at = 16
    before, after = z[at] - z[at - 1], z[at + 1] - z[at]
    assert torch.nn.functional.cosine_similarity(before, after, dim=0) > 0.9
    eased = path_latents(keys, 64, "ease")
    assert (eased[at + 1] - eased[at]).norm() < 0.5 * (eased[at + 8] - eased[at + 7]).norm()  # rests on keys


def test_render_is_deterministic_and_counts_frames(gan_folder):
    m = genmodels.get_model(gan_folder)
    _, keys = genmodels.draw(m, 3, 5)
    frames = render_path(m, keys, 1.5, 8)
    assert len(frames) == frame_count(1.5, 8) == 12
    assert frames[0].dtype == np.uint8 and frames[0].shape == (32, 32, 3)
    again = render_path(load_model(gan_folder), keys, 1.5, 8, batch=5)  # loaded afresh, another batch size
    assert all(np.array_equal(a, b) for a, b in zip(frames, again))
    drawn = genmodels.generate(m, 3, 5)
    for k, at in enumerate([0, 4, 8]):
        assert np.array_equal(frames[at], drawn[k])  # keyframe images exactly as drawn
    seen = []
    genmodels.render_path(m, keys, 1.0, 30, on_progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (30, 30)


def test_bad_inputs_are_refused(gan_folder):
    m = genmodels.get_model(gan_folder)
    _, keys = genmodels.draw(m, 3, 0)
    bad = keys.copy()
    bad[1, 2] = math.nan
    cases = [
        (keys[:1], 2, 8, "smooth", "2 to 8 keyframes"),
        (np.concatenate([keys] * 3), 2, 8, "smooth", "2 to 8 keyframes"),
        (bad, 2, 8, "smooth", "different model"),
        (keys[:, :5], 2, 8, "smooth", "different model"),
        (keys, 0, 8, "smooth", "Length"),
        (keys, math.inf, 8, "smooth", "Length"),
        (keys, 2, 100, "smooth", "Frames per second"),
        (keys, 2, 8, "bouncy", "motion"),
        (keys, 0.5, 4, "smooth", "at least 3 frames"),
    ]
    for latents, seconds, fps, motion, message in cases:
        with pytest.raises(genmodels.StudioError, match=message):
            genmodels.render_path(m, latents, seconds, fps, motion)
    with pytest.raises(ValueError):
        path_latents(torch.as_tensor(keys), 2)  # fewer frames than keyframes
    with pytest.raises(ValueError):
        render_path(m, keys, 1, 8, batch=0)
