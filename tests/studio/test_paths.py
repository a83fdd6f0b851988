"""Paths tab through gradio_client: keyframes in, order them, render a looping GIF and MP4."""
import numpy as np
import pytest
from gradio_client import handle_file
from PIL import Image

pytestmark = pytest.mark.slow  # starts the studio


def _captions(gallery) -> list[str]:
    return [item["caption"] for item in gallery]


def test_keyframes_are_added_ordered_and_rendered(client):
    for seed in (1, 2, 3):
        keys, status = client.predict("builtin:tiny-gan", seed, api_name="/path_add_seed")
    assert _captions(keys) == ["1. seed 1", "2. seed 2", "3. seed 3"] and "3 keyframes" in status
    keys, position, _ = client.predict(1, api_name="/path_move_later")
    assert _captions(keys)[:2] == ["1. seed 2", "2. seed 1"] and position == 2
    keys, position, _ = client.predict(3, api_name="/path_move_earlier")
    assert _captions(keys) == ["1. seed 2", "2. seed 3", "3. seed 1"]
    client.predict("builtin:tiny-gan", 4, 0, 1.0, api_name="/generate")
    keys, _ = client.predict(api_name="/path_add_selected")
    keys, _, status = client.predict(2, api_name="/path_remove")
    assert _captions(keys) == ["1. seed 2", "2. seed 1", "3. seed 0"]

    gif, video, files, status = client.predict(2, 6, "smooth", api_name="/path_render")
    assert Image.open(gif).n_frames == 12 and "12 frames" in status
    assert len(files) == 2 and str(video["video"] if isinstance(video, dict) else video).endswith(".mp4")
    with Image.open(gif) as animation:
        first = np.asarray(animation.convert("RGB"))
    assert first.shape == (256, 256, 3)
    eased, _, _, _ = client.predict(1.5, 4, "ease", api_name="/path_render")
    assert Image.open(eased).n_frames == 6


def test_path_rules_give_clear_sentences(client, tmp_path):
    with pytest.raises(Exception, match="at least 2 keyframes"):
        client.predict(2, 6, "smooth", api_name="/path_render")
    for seed in range(8):
        client.predict("builtin:tiny-gan", seed, api_name="/path_add_seed")
    with pytest.raises(Exception, match="up to 8 keyframes"):
        client.predict("builtin:tiny-gan", 9, api_name="/path_add_seed")
    with pytest.raises(Exception, match="maximum"):  # the slider refuses it before the facade would
        client.predict(2, 100, "smooth", api_name="/path_render")
    with pytest.raises(Exception, match="at least 8 frames"):
        client.predict(1, 2, "smooth", api_name="/path_render")
    client.predict(api_name="/path_clear")
    client.predict("builtin:tiny-gan", 1, api_name="/path_add_seed")
    with pytest.raises(Exception, match="between 1 and 1"):
        client.predict(3, api_name="/path_remove")
    with pytest.raises(Exception, match="same model"):
        client.predict("builtin:tiny-vae", 2, api_name="/path_add_seed")


def test_uploads_become_keyframes(client, tmp_path):
    picture = tmp_path / "red.png"
    Image.new("RGB", (40, 30), "red").save(picture)
    keys, status = client.predict("builtin:tiny-vae", handle_file(str(picture)), api_name="/path_add_upload")
    assert _captions(keys) == ["1. upload (encoded)"]
    client.predict("builtin:tiny-vae", 5, api_name="/path_add_seed")
    gif, _, _, _ = client.predict(1, 4, "smooth", api_name="/path_render")
    assert Image.open(gif).n_frames == 4
    client.predict(api_name="/path_clear")
    keys, _ = client.predict("builtin:tiny-gan", handle_file(str(picture)), api_name="/path_add_upload")
    assert _captions(keys)[0].startswith("1. upload (found in the model")  # GANs: the picture search
