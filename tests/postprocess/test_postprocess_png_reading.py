"""Reading a recipe back from a PNG never decodes pixels and turns every oversized or damaged file into
one sentence (postprocess/metadata.py read_png_recipe), as a hostile visitor's files would test it."""
from __future__ import annotations

import io
import json
import struct
import zlib

import numpy as np
import pytest
from PIL import Image, ImageFile, PngImagePlugin

from postprocess import EditError, png_bytes, read_png_recipe

RECIPE = {"model": "Tiny GAN", "seed": 3}


def _chunk(cid: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + cid + data + struct.pack(">I", zlib.crc32(cid + data) & 0xFFFFFFFF)


def _png(width: int, height: int, *extra: bytes, after_pixels: tuple[bytes, ...] = ()) -> bytes:
    """A PNG whose header says width x height, with a tiny (wrong-sized) image data chunk: enough for a
    reader that decodes nothing, and a bomb for one that would."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 16)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + b"".join(extra) + _chunk(b"IDAT", idat)
            + b"".join(after_pixels) + _chunk(b"IEND", b""))


def _text(key: str, value: str) -> bytes:
    return _chunk(b"tEXt", key.encode("latin-1") + b"\0" + value.encode("latin-1"))


@pytest.fixture
def no_decoding(monkeypatch):
    def refuse(self, *args, **kwargs):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


def test_our_own_png_reads_back_without_decoding(no_decoding):
    data = png_bytes(np.zeros((8, 8, 3), np.uint8), recipe=RECIPE)
    assert read_png_recipe(data)["recipe"] == RECIPE


def test_text_after_the_pixels_is_read_without_decoding(no_decoding):
    data = _png(8, 8, after_pixels=(_text("latent_studio_recipe", json.dumps(RECIPE)),))
    assert read_png_recipe(data)["recipe"] == RECIPE


def test_a_huge_picture_is_refused_from_its_header(no_decoding):
    data = _png(20_000, 20_000, _text("latent_studio_recipe", json.dumps(RECIPE)))
    with pytest.raises(EditError, match="20,000 x 20,000 px, more than"):
        read_png_recipe(data)


def test_an_animation_of_many_frames_is_skipped_unread(no_decoding):
    frames = b"".join(_chunk(b"fdAT", struct.pack(">I", k) + b"\0" * 4096) for k in range(2000))
    data = _png(8, 8, _chunk(b"acTL", struct.pack(">II", 2000, 0)), _text("latent_studio_recipe", json.dumps(RECIPE)),
                after_pixels=(frames,))
    assert read_png_recipe(data)["recipe"] == RECIPE


def test_a_compressed_text_over_pillows_limit_is_one_sentence():
    big = zlib.compress(b"x" * (PngImagePlugin.MAX_TEXT_CHUNK + 10))
    data = _png(8, 8, _chunk(b"zTXt", b"latent_studio_recipe\0\0" + big))
    with pytest.raises(EditError, match="larger than a recipe can be"):
        read_png_recipe(data)


def test_deeply_nested_json_is_one_sentence():
    data = _png(8, 8, _text("latent_studio_recipe", "[" * 100_000 + "]" * 100_000))
    with pytest.raises(EditError, match="damaged"):
        read_png_recipe(data)


@pytest.mark.parametrize("damage", ["truncated", "bad crc", "not a png"])
def test_damaged_files_are_one_sentence(damage):
    data = png_bytes(np.zeros((8, 8, 3), np.uint8), recipe=RECIPE)
    if damage == "truncated":
        data = data[:40]
    elif damage == "bad crc":
        data = data[:29] + bytes([data[29] ^ 0xFF]) + data[30:]  # inside IHDR's CRC
    else:
        buf = io.BytesIO()
        Image.new("RGB", (4, 4)).save(buf, format="JPEG")
        data = buf.getvalue()
    with pytest.raises(EditError, match="not a readable PNG"):
        read_png_recipe(data)
