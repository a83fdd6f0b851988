"""PNG provenance: recipe and edit stack in text chunks, IPTC AI mark in XMP, nothing copied from inputs."""
from __future__ import annotations

import io
import json
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import ExifTags, Image, ImageCms

import postprocess as pp

IMAGE = np.random.default_rng(3).integers(0, 256, (24, 40, 3), dtype=np.uint8)
RECIPE = {"model": "faces-64", "seed": 1234, "truncation": 0.7, "note": "blå ✓"}
STACK = pp.EditStack([("contrast", {"amount": 1.2}), ("vignette", {"strength": 0.3})])
ALLOWED_CHUNKS = {b"IHDR", b"tEXt", b"iTXt", b"IDAT", b"IEND"}


def chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, payload) of every PNG chunk, checking each CRC."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    out, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, payload = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        assert struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0] == zlib.crc32(kind + payload)
        out.append((kind, payload))
        pos += 12 + length
    return out


def photo_with_exif_gps_icc() -> Image.Image:
    """A JPEG as a phone would write it: EXIF camera make, GPS position and an ICC profile."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneCo"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (52.0, 22.0, 1.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (4.0, 53.0, 2.5)
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    buffer = io.BytesIO()
    Image.fromarray(IMAGE).save(buffer, format="JPEG", exif=exif, icc_profile=icc)
    buffer.seek(0)
    return Image.open(buffer)


def test_round_trip_through_bytes() -> None:
    data = pp.png_bytes(IMAGE, recipe=RECIPE, edit_stack=STACK)
    info = pp.read_png_recipe(data)
    assert info == {"recipe": RECIPE, "edit_stack": STACK.to_dict(), "source_type": "trainedAlgorithmicMedia"}
    assert pp.EditStack.from_dict(info["edit_stack"]) == STACK
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(data))), IMAGE)  # lossless pixels


def test_round_trip_through_a_file(tmp_path: Path) -> None:
    path = tmp_path / "out.png"
    pp.save_png(path, IMAGE, recipe=RECIPE, edit_stack=STACK, source_type="compositeWithTrainedAlgorithmicMedia")
    assert sorted(os.listdir(tmp_path)) == ["out.png"]  # no temporary file left behind
    assert path.stat().st_mode & 0o777 == 0o644
    info = pp.read_png_recipe(str(path))
    assert info["recipe"] == RECIPE and info["source_type"] == "compositeWithTrainedAlgorithmicMedia"
    with open(path, "rb") as handle:
        assert pp.read_png_recipe(handle)["edit_stack"] == STACK.to_dict()


def test_chunk_contents_and_order() -> None:
    found = chunks(pp.png_bytes(IMAGE, recipe=RECIPE, edit_stack=STACK))
    kinds = [k for k, _ in found]
    assert set(kinds) <= ALLOWED_CHUNKS
    texts = {p.split(b"\0", 1)[0]: p for k, p in found if k in (b"tEXt", b"iTXt")}
    assert set(texts) == {b"latent_studio_recipe", b"latent_studio_edits", b"XML:com.adobe.xmp"}
    first_idat = kinds.index(b"IDAT")
    assert all(kinds.index(k) < first_idat for k in (b"tEXt", b"iTXt"))  # readable without decoding pixels
    recipe_payload = texts[b"latent_studio_recipe"].split(b"\0", 1)[1]
    assert json.loads(recipe_payload.decode("latin-1")) == RECIPE
    xmp = texts[b"XML:com.adobe.xmp"].decode("utf-8")
    assert "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia" in xmp
    assert "Iptc4xmpExt:DigitalSourceType" in xmp


def test_no_metadata_is_copied_from_an_input_with_exif_gps_and_icc() -> None:
    photo = photo_with_exif_gps_icc()
    assert photo.getexif().get_ifd(ExifTags.IFD.GPSInfo) and "icc_profile" in photo.info  # precondition
    pixels = np.asarray(photo.convert("RGB"))
    data = pp.png_bytes(pp.apply_edit(pixels, "sepia", {"strength": 0.5}), recipe=RECIPE)
    assert {k for k, _ in chunks(data)} <= ALLOWED_CHUNKS  # no eXIf, iCCP, sRGB, gAMA, pHYs, tIME
    assert b"PhoneCo" not in data and b"GPS" not in data
    saved = Image.open(io.BytesIO(data))
    assert not saved.getexif() and "icc_profile" not in saved.info and "exif" not in saved.info


def test_saving_without_recipe_still_marks_ai_generated() -> None:
    data = pp.png_bytes(IMAGE)
    assert pp.read_png_recipe(data) == {"recipe": None, "edit_stack": None, "source_type": "trainedAlgorithmicMedia"}


def test_plain_png_reads_as_empty() -> None:
    buffer = io.BytesIO()
    Image.fromarray(IMAGE).save(buffer, format="PNG")
    assert pp.read_png_recipe(buffer.getvalue()) == {"recipe": None, "edit_stack": None, "source_type": None}


def test_bad_inputs_are_refused() -> None:
    jpeg = io.BytesIO()
    Image.fromarray(IMAGE).save(jpeg, format="JPEG")
    with pytest.raises(pp.EditError, match="not a readable PNG"):
        pp.read_png_recipe(jpeg.getvalue())
    with pytest.raises(pp.EditError, match="not a readable PNG"):
        pp.read_png_recipe(b"garbage")
    with pytest.raises(pp.EditError, match="cannot be saved as JSON"):
        pp.png_bytes(IMAGE, recipe={"seed": float("nan")})
    with pytest.raises(pp.EditError, match="cannot be saved as JSON"):
        pp.png_bytes(IMAGE, recipe={"array": np.zeros(2)})
    with pytest.raises(pp.EditError, match="must be a dict"):
        pp.png_bytes(IMAGE, recipe=["seed", 1])  # type: ignore[arg-type]
    with pytest.raises(pp.EditError, match="must be an EditStack"):
        pp.png_bytes(IMAGE, edit_stack=[("sepia", {})])  # type: ignore[arg-type]
    with pytest.raises(pp.EditError, match="source type"):
        pp.png_bytes(IMAGE, source_type="digitalCapture")
    with pytest.raises(pp.EditError):
        pp.png_bytes(IMAGE.astype(np.float32))  # type: ignore[arg-type]


def test_damaged_recipe_chunk_is_reported() -> None:
    from PIL import PngImagePlugin
    info = PngImagePlugin.PngInfo()
    info.add_text("latent_studio_recipe", "{broken")
    buffer = io.BytesIO()
    Image.fromarray(IMAGE).save(buffer, format="PNG", pnginfo=info)
    with pytest.raises(pp.EditError, match="damaged"):
        pp.read_png_recipe(buffer.getvalue())


def test_text_chunks_after_the_pixels_are_found_too() -> None:
    """Other tools may move text chunks behind IDAT; the reader still finds them."""
    found = chunks(pp.png_bytes(IMAGE, recipe=RECIPE, edit_stack=STACK))
    head = [c for c in found if c[0] not in (b"tEXt", b"iTXt", b"IEND")]
    moved = head + [c for c in found if c[0] in (b"tEXt", b"iTXt")] + [(b"IEND", b"")]
    data = b"\x89PNG\r\n\x1a\n" + b"".join(
        struct.pack(">I", len(p)) + k + p + struct.pack(">I", zlib.crc32(k + p)) for k, p in moved)
    assert [k for k, _ in chunks(data)].index(b"IDAT") < [k for k, _ in chunks(data)].index(b"tEXt")
    assert pp.read_png_recipe(data)["recipe"] == RECIPE
