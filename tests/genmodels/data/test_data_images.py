"""RELIABILITY.md "Images": decoding one untrusted file (genmodels.safe_image). All files are made by code,
here and with the byte builders of tests/hostile_files.py."""
from __future__ import annotations

import io
import os
import random
import resource

import numpy as np
import pytest
from PIL import Image, ImageFile

from genmodels.errors import StudioError
from genmodels.data.safe_image import ImageLoadError, check_image_upload, load_image, to_rgb_array
from tests.hostile_files import animated_gif, bomb_png, cmyk_jpeg, encode, fits, noise, psd


# -- makers (bytes: tests/hostile_files.py) ------------------------------------------------------------

def write(tmp_path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


# -- pixel cap -----------------------------------------------------------------------------------------

def test_20000_square_png_refused_from_header_without_decoding(tmp_path, monkeypatch):
    data = bomb_png(20000, 20000)
    assert len(data) < 1_000_000  # "a few hundred KB compressed"
    path = write(tmp_path, "huge.png", data)

    def no_decoding(self):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    with pytest.raises(ImageLoadError) as err:
        load_image(path)
    assert err.value.kind == "too_large" and str(err.value).startswith("huge.png is too large")
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before < 100_000  # decoding needs 400 MB


def test_own_pixel_cap_below_pillows_warning(monkeypatch):
    # 42 Mpx: Pillow would decode it without a word; our 40 Mpx default refuses it from the header.
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: pytest.fail("pixels were decoded"))
    with pytest.raises(ImageLoadError, match=r"7000 x 6000 pixels; the limit is 40 megapixels"):
        load_image(bomb_png(7000, 6000), "big.png")
    with pytest.raises(ImageLoadError, match="too large"):
        load_image(bomb_png(200, 100), "small.png", max_pixels=10_000)


def test_byte_cap_per_file(tmp_path):
    data = encode(noise(), "PNG")
    with pytest.raises(ImageLoadError, match=r"^big.png is too large \(.* MB; the limit is"):
        load_image(write(tmp_path, "big.png", data), max_bytes=len(data) - 1)
    with pytest.raises(ImageLoadError, match="too large"):
        load_image(data, "big.png", max_bytes=100)
    assert load_image(data, max_bytes=len(data)).shape == (48, 64, 3)


# -- format allow-list -----------------------------------------------------------------------------------

DISGUISED = {
    "PSD": psd,
    "EPS": lambda: encode(noise(8, 8), "EPS"),
    "TIFF": lambda: encode(noise(8, 8), "TIFF"),
    "JPEG2000": lambda: encode(noise(8, 8), "JPEG2000"),
    "FITS": fits,
    "ICO": lambda: encode(noise(16, 16), "ICO"),
    "PPM": lambda: encode(noise(8, 8), "PPM"),
    "TGA": lambda: encode(noise(8, 8), "TGA"),
}


@pytest.mark.parametrize("fmt", sorted(DISGUISED))
def test_disguised_formats_refused_by_allow_list(tmp_path, fmt, monkeypatch):
    data = DISGUISED[fmt]()
    assert Image.open(io.BytesIO(data)).format in (fmt, "JPEG2000")  # Pillow alone would parse it
    import PIL.EpsImagePlugin as eps

    monkeypatch.setattr(eps.subprocess, "check_call", lambda *a, **k: pytest.fail("Ghostscript started"))
    monkeypatch.setattr(eps.subprocess, "Popen", lambda *a, **k: pytest.fail("Ghostscript started"))
    with pytest.raises(ImageLoadError) as err:
        load_image(write(tmp_path, "photo.png", data))
    assert err.value.kind == "not_image"
    assert str(err.value) == "photo.png is not a supported image (PNG, JPEG, WEBP, GIF or BMP)."


def test_pdf_renamed_refused():
    data = encode(noise(8, 8), "PDF")
    assert data.startswith(b"%PDF")
    with pytest.raises(ImageLoadError, match="photo.png is not a supported image"):
        load_image(data, "photo.png")


def test_message_names_the_file_never_the_server_path(tmp_path):
    with pytest.raises(ImageLoadError) as err:
        load_image(write(tmp_path, "photo.psd", psd()))
    assert str(err.value) == "photo.psd is not a supported image (PNG, JPEG, WEBP, GIF or BMP)."
    assert str(tmp_path) not in str(err.value)
    assert isinstance(err.value, StudioError) and isinstance(err.value, ValueError)


@pytest.mark.parametrize("name, data", [
    ("logo.svg", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    ("page.html", b"<!DOCTYPE html><html><body><img src=x onerror=alert(1)></body></html>"),
    ("page.png", b"<html><script>alert(1)</script></html>"),
])
def test_html_and_svg_uploads_refused(tmp_path, name, data):
    path = write(tmp_path, name, data)
    with pytest.raises(ImageLoadError, match=f"{name} is not a supported image"):
        check_image_upload(path)
    with pytest.raises(ImageLoadError, match="not a supported image"):
        load_image(path)


def test_check_image_upload_accepts_allowed_formats():
    for fmt in ("PNG", "JPEG", "WEBP", "GIF", "BMP"):
        assert check_image_upload(encode(noise(8, 8), fmt)) == fmt
    with pytest.raises(ImageLoadError, match="too large"):
        check_image_upload(bomb_png(20000, 20000), "huge.png")


# -- damaged files ---------------------------------------------------------------------------------------

FORMATS = {"PNG": {}, "JPEG": {"quality": 90}, "WEBP": {"quality": 80}}


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_zero_length_and_truncated_files_are_a_per_file_error(tmp_path, fmt):
    data = encode(noise(), fmt, **FORMATS[fmt])
    with pytest.raises(ImageLoadError, match=r"^empty.img is empty \(0 bytes\)"):
        load_image(write(tmp_path, "empty.img", b""))
    for cut in (len(data) // 2, len(data) - 40, 20):
        with pytest.raises(ImageLoadError) as err:
            load_image(data[:cut], f"cut.{fmt.lower()}")
        assert str(err.value).startswith(f"cut.{fmt.lower()} is ")


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_byte_flipped_files_decode_or_fail_cleanly(fmt):
    """Corruption gives a picture or one ImageLoadError; never another exception, never a hang."""
    data = encode(noise(), fmt, **FORMATS[fmt])
    rng = random.Random(fmt)
    for trial in range(40):
        bad = bytearray(data)
        for _ in range(1 + trial % 4):
            pos = rng.randrange(len(bad))
            bad[pos] ^= 0xFF
        try:
            out = load_image(bytes(bad), "flipped")
        except ImageLoadError as err:
            assert err.kind in ("damaged", "not_image", "too_large")
        else:
            assert out.dtype == np.uint8 and out.ndim == 3 and out.shape[2] == 3


def test_flipped_png_header_and_signature_refused():
    data = bytearray(encode(noise(), "PNG"))
    ihdr = bytearray(data)
    ihdr[18] ^= 0xFF  # inside IHDR: width changes, CRC no longer matches
    with pytest.raises(ImageLoadError, match="damaged or truncated"):
        load_image(bytes(ihdr), "a.png")
    data[1:4] = b"XYZ"  # signature
    with pytest.raises(ImageLoadError, match="not a supported image"):
        load_image(bytes(data), "a.png")


def test_truncated_images_setting_stays_off(monkeypatch):
    import genmodels.data.dataset  # noqa: F401 - importing the whole data layer must not flip the switch

    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    data = encode(noise(), "PNG")
    with pytest.raises(ImageLoadError):
        load_image(data[: len(data) // 2])
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    with pytest.raises(RuntimeError, match="LOAD_TRUNCATED_IMAGES"):
        load_image(data)


def test_fifo_is_refused_without_blocking(tmp_path):
    path = tmp_path / "pipe.png"
    os.mkfifo(path)
    with pytest.raises(ImageLoadError, match="pipe.png is not a supported image"):
        load_image(str(path))


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ImageLoadError, match="^gone.png could not be found"):
        load_image(str(tmp_path / "gone.png"))


# -- modes -------------------------------------------------------------------------------------------------

def test_cmyk_jpeg_becomes_rgb():
    data = cmyk_jpeg()  # pure red in CMYK
    assert Image.open(io.BytesIO(data)).mode == "CMYK"
    out = load_image(data)
    assert out.shape == (16, 16, 3)
    assert np.abs(out.astype(int) - [255, 0, 0]).max() <= 6


def test_16bit_grey_png_is_scaled_not_clipped():
    grey16 = np.array([[0, 257, 32768, 65535]], dtype=np.uint16)
    data = encode(Image.fromarray(grey16), "PNG")
    assert Image.open(io.BytesIO(data)).mode in ("I;16", "I")
    out = load_image(data)
    assert out.dtype == np.uint8 and out.shape == (1, 4, 3)
    assert out[0, :, 0].tolist() == [0, 1, 128, 255]
    assert (out[..., 0] == out[..., 1]).all() and (out[..., 1] == out[..., 2]).all()


def test_32bit_integer_grey_scaled_like_16bit():
    img = Image.fromarray(np.array([[0, 65535, 70000, -5]], dtype=np.int32))
    assert img.mode == "I"
    assert to_rgb_array(img)[0, :, 0].tolist() == [0, 255, 255, 0]


@pytest.mark.parametrize("fmt", ["PNG", "GIF"])
def test_palette_with_transparency_composited_on_white(fmt):
    pal = Image.new("P", (4, 2))
    pal.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)  # 0 = red (made transparent), 1 = blue
    pal.putdata([0, 0, 1, 1, 0, 1, 0, 1])
    out = load_image(encode(pal, fmt, transparency=0))
    assert out[0, 0].tolist() == [255, 255, 255]  # transparent red -> white background
    assert out[0, 2].tolist() == [0, 0, 255]


def test_la_and_rgba_alpha_composited_on_white():
    la = Image.fromarray(np.array([[[0, 0], [0, 255], [0, 128]]], dtype=np.uint8), "LA")
    out = load_image(encode(la, "PNG"))
    assert out[0, :, 0].tolist() == [255, 0, 127]
    rgba = Image.new("RGBA", (2, 2), (255, 0, 0, 128))
    out = load_image(encode(rgba, "PNG"))
    assert np.abs(out[0, 0].astype(int) - [255, 127, 127]).max() <= 1
    out = load_image(encode(rgba, "WEBP", lossless=True))
    assert np.abs(out[0, 0].astype(int) - [255, 127, 127]).max() <= 1


def test_rgb_png_with_transparent_colour_composited():
    img = Image.new("RGB", (2, 1), (0, 255, 0))
    img.putpixel((1, 0), (10, 20, 30))
    out = load_image(encode(img, "PNG", transparency=(0, 255, 0)))
    assert out[0].tolist() == [[255, 255, 255], [10, 20, 30]]


@pytest.mark.parametrize("fmt", ["PNG", "BMP", "GIF"])
def test_one_bit_images(fmt):
    img = Image.new("1", (3, 1))
    img.putpixel((1, 0), 1)
    out = load_image(encode(img, fmt))
    assert out[0].tolist() == [[0, 0, 0], [255, 255, 255], [0, 0, 0]]


def test_exif_orientation_applied():
    img = Image.new("RGB", (40, 20), (0, 0, 255))
    img.paste((255, 0, 0), (0, 0, 20, 20))  # left half red
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    out = load_image(encode(img, "JPEG", quality=95, exif=exif.tobytes()))
    assert out.shape == (40, 20, 3)
    assert out[:18, :, 0].mean() > 200 and out[:18, :, 2].mean() < 50  # the left side is now on top
    assert out[22:, :, 2].mean() > 200


def test_animated_gif_with_thousands_of_frames_gives_first_frame():
    many = animated_gif(5001)  # first red, then blue; ~100 KB
    out = load_image(many, "anim.gif")
    assert out.shape == (8, 8, 3) and out[0, 0].tolist() == [255, 0, 0]


def test_animated_webp_gives_first_frame():
    frames = [Image.new("RGB", (8, 8), c) for c in ((255, 0, 0), (0, 0, 255), (0, 255, 0))]
    data = encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], lossless=True)
    assert Image.open(io.BytesIO(data)).n_frames == 3
    assert load_image(data)[0, 0].tolist() == [255, 0, 0]


def test_output_is_a_bare_array_without_exif_gps_or_icc():
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif.get_ifd(0x8825)[2] = (48.0, 51.0, 29.0)  # GPS latitude
    data = encode(noise(), "JPEG", exif=exif.tobytes(), icc_profile=b"\0" * 128)
    assert b"SpyCam" in data
    out = load_image(data)
    assert type(out) is np.ndarray and out.dtype == np.uint8 and out.flags.writeable
    assert b"SpyCam" not in out.tobytes()


def test_large_jpeg_draft_decode_close_to_full_decode():
    from genmodels.imaging.fit import fit_square

    yy, xx = np.mgrid[0:1200, 0:1600]
    smooth = np.stack([xx * 255 // 1600, yy * 255 // 1200, (xx + yy) * 255 // 2800], axis=2).astype(np.uint8)
    data = encode(Image.fromarray(smooth), "JPEG", quality=92)
    fast = fit_square(load_image(data, draft_size=32), 32)
    full = fit_square(load_image(data), 32)
    assert np.abs(fast.astype(int) - full).mean() < 2.0
