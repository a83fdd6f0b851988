"""RELIABILITY.md "Images" and "Archives and uploads" through the RUNNING studio (gradio_client).

A representative part of tests/hostile_files.py is uploaded where a visitor would: the Train tab's
pictures, the Edit tab's picture, the Blend tab's two pictures, the Share tab's model import. Each
ends in the one sentence the facade gives (gradio_client raises AppError with it), valid odd files
come out as correct RGB, and a normal generate call still works afterwards: the app keeps serving.
"""
from __future__ import annotations

import re
import time

import numpy as np
import pytest
from gradio_client import Client, handle_file
from PIL import Image

from tests.hostile_files import IMAGES, ZIPS, good_png, write_case

pytestmark = pytest.mark.slow  # starts the studio


@pytest.fixture(scope="module")
def client(studio):
    return Client(studio, verbose=False)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("uploads")
    (folder / "good.png").write_bytes(good_png(7))
    return folder


def refused(client, message: str, *args, api_name: str) -> str:
    """Call the endpoint; it must fail with exactly one sentence matching `message`, in time."""
    start = time.perf_counter()
    with pytest.raises(Exception) as err:
        client.predict(*args, api_name=api_name)
    text = str(err.value)
    assert type(err.value).__name__ == "AppError", text
    assert re.search(message, text), text
    assert text.endswith(".") and "\n" not in text and "Traceback" not in text, text
    assert time.perf_counter() - start < 10, "too slow"  # a generous bound: CPU seconds are in test_hostile_api
    return text


def still_serving(client) -> None:
    gallery, _ = client.predict("builtin:tiny-gan", 2, 5, 1.0, api_name="/generate")
    assert len(gallery) == 2


def downloaded(path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


# -- Edit: the picture to edit -------------------------------------------------------------------------------

EDIT_REFUSED = ["bomb.png", "tiff.png", "eps.png", "pdf.png", "psd.png", "html.png", "svg.png", "page.svg",
                "empty.png", "truncated.jpg"]


@pytest.mark.parametrize("name", EDIT_REFUSED)
def test_edit_upload_refuses_with_one_sentence(client, files, name):
    path = write_case(files, name)
    refused(client, f"^{re.escape(name)} (is not a supported image|is too large|is empty|is damaged)",
            handle_file(str(path)), api_name="/edit_load")
    still_serving(client)


@pytest.mark.parametrize("name", ["grey16.png", "rgba.png", "la.png", "palette.png", "cmyk.jpg", "onebit.png",
                                  "anim.gif", "rotated.jpg"])
def test_edit_upload_of_odd_modes_becomes_correct_rgb(client, files, name):
    """The download of an unedited picture is the picture as decoded: alpha on white, 16-bit scaled,
    EXIF orientation applied, first frame, and none of the upload's EXIF or ICC data."""
    client.predict(handle_file(str(write_case(files, name))), api_name="/edit_load")
    saved = client.predict(api_name="/edit_download")
    assert IMAGES[name].check(downloaded(saved)), downloaded(saved)[:2, :4].tolist()
    with Image.open(saved) as img:
        assert img.format == "PNG" and "icc_profile" not in img.info and not img.getexif()
    with open(saved, "rb") as f:
        assert b"SpyCam" not in f.read()


# -- Blend: two uploaded pictures ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["bomb.png", "html.png", "svg.png", "tiff.png", "truncated.png"])
def test_blend_uploads_refuse_with_one_sentence(client, files, name):
    bad, good = handle_file(str(write_case(files, name))), handle_file(str(files / "good.png"))
    args = ["pictures", 1, 2, good, bad, 4, "linear", False, 10]
    refused(client, f"^{re.escape(name)} ", "builtin:tiny-vae", *args, api_name="/blend")
    still_serving(client)


def test_blend_of_a_16_bit_picture_works(client, files):
    grey, good = handle_file(str(write_case(files, "grey16.png"))), handle_file(str(files / "good.png"))
    strip, gif, video, out = client.predict("builtin:tiny-vae", "pictures", 1, 2, grey, good, 3,
                                            "linear", False, 10, api_name="/blend")
    assert len(out) == 3


# -- Train: pictures and zips ----------------------------------------------------------------------------------

TRAIN_REFUSED = {
    "bomb.png": r"^No usable images found: 1 file was skipped \(1 too large\)\.$",
    "html.png": r"^No usable images found: 1 file was skipped \(1 not an image\)\.$",
    "eps.png": r"^No usable images found: 1 file was skipped \(1 not an image\)\.$",
    "truncated.webp": r"^No usable images found: 1 file was skipped \(1 damaged\)\.$",
    **{name: ZIPS[name].match for name in ("bomb.zip", "overlap.zip", "many.zip", "junk.zip", "nested.zip",
                                           "disguised.zip")},
}


@pytest.mark.parametrize("name", sorted(TRAIN_REFUSED))
def test_train_pictures_refuse_with_one_sentence(client, files, name):
    path = write_case(files, name)
    refused(client, TRAIN_REFUSED[name], [handle_file(str(path))], "gan", 32, False, "crop",
            api_name="/check_pictures")
    still_serving(client)


def test_svg_is_refused_by_the_upload_file_types(client, files):
    with pytest.raises(Exception, match=r"^Invalid file type\. Please upload a file that is one of these formats"):
        client.predict([handle_file(str(write_case(files, "page.svg")))], "gan", 32, False, "crop",
                       api_name="/check_pictures")  # Gradio's own check, from file_types=
    still_serving(client)


@pytest.mark.parametrize("name", ["slip.zip", "symlink.zip"])
def test_unsafe_zip_entries_are_skipped_and_reported(client, files, name):
    report, seen, augmented = client.predict([handle_file(str(write_case(files, name)))], "gan", 32, False, "crop",
                                             api_name="/check_pictures")
    assert report.startswith("**1 pictures ready.**") and "unsafe archive entr" in report
    assert "../" not in report.split("Skipped")[0]  # the summary counts them; the list names them


def test_a_mix_keeps_the_good_pictures(client, files):
    uploads = [handle_file(str(files / "good.png"))] + [handle_file(str(write_case(files, n)))
                                                        for n in ("bomb.png", "html.png", "grey16.png", "many.zip")]
    with pytest.raises(Exception, match="many.zip has too many files"):  # one refused archive refuses the set
        client.predict(uploads, "vae", 32, False, "crop", api_name="/check_pictures")
    report, _, _ = client.predict(uploads[:4], "vae", 32, False, "crop", api_name="/check_pictures")
    assert report.startswith("**2 pictures ready.**") and "2 files were skipped (1 not an image, 1 too large)" in report


# -- Share: importing a model zip -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["slip.zip", "symlink.zip", "bomb.zip", "many.zip", "nested.zip"])
def test_model_import_refuses_hostile_zips(client, files, name):
    refused(client, f"^{re.escape(name)} ", handle_file(str(write_case(files, name))), api_name="/import_model")
    still_serving(client)
