"""Saving with provenance: PNG files that carry their recipe, their edit stack and an AI-generated mark.

What goes into the file, and nothing else:
  tEXt "latent_studio_recipe"  the generation recipe (model, seed, settings) as JSON
  tEXt "latent_studio_edits"   the edit stack as JSON (EditStack.to_json)
  iTXt "XML:com.adobe.xmp"     XMP with the IPTC digital source type, by default
                               http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia
                               (the IPTC term for media created by a trained model)
The image is rebuilt from the pixel array, so no EXIF, GPS, ICC profile or other chunk of any
input file can leak into the output.
"""
from __future__ import annotations

import io
import json
import os
import re
import struct
import tempfile
from typing import Any, BinaryIO, Mapping

import numpy as np
from PIL import Image, PngImagePlugin

from ._common import MAX_PIXELS, EditError, check_image
from .stack import EditStack

RECIPE_KEY = "latent_studio_recipe"
EDITS_KEY = "latent_studio_edits"
XMP_KEY = "XML:com.adobe.xmp"
IPTC_SOURCE_TYPES = "http://cv.iptc.org/newscodes/digitalsourcetype/"
# The IPTC terms that fit what Latent Studio writes: pure model output, or a composite/edit of it.
SOURCE_TYPES = ("trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia")

_XMP = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/">
   <Iptc4xmpExt:DigitalSourceType>{source}</Iptc4xmpExt:DigitalSourceType>
   <xmp:CreatorTool>Latent Studio</xmp:CreatorTool>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="r"?>"""
_SOURCE_RE = re.compile(r"<Iptc4xmpExt:DigitalSourceType>\s*([^<\s]+)\s*</Iptc4xmpExt:DigitalSourceType>")


def _png_info(recipe: Mapping[str, Any] | None, edit_stack: EditStack | None,
              source_type: str) -> PngImagePlugin.PngInfo:
    if recipe is not None and not isinstance(recipe, Mapping):
        raise EditError(f"The recipe must be a dict, not {type(recipe).__name__}.")
    if edit_stack is not None and not isinstance(edit_stack, EditStack):
        raise EditError(f"The edit stack must be an EditStack, not {type(edit_stack).__name__}.")
    if source_type not in SOURCE_TYPES:
        raise EditError(f"The digital source type must be one of {', '.join(SOURCE_TYPES)} (got {source_type!r}).")
    info = PngImagePlugin.PngInfo()
    if recipe is not None:
        try:
            text = json.dumps(dict(recipe), ensure_ascii=True, allow_nan=False)
        except (TypeError, ValueError) as err:
            raise EditError(f"The recipe cannot be saved as JSON ({err}).") from None
        info.add_text(RECIPE_KEY, text)  # ASCII JSON: a plain tEXt chunk any tool can read
    if edit_stack is not None:
        info.add_text(EDITS_KEY, edit_stack.to_json())
    info.add_itxt(XMP_KEY, _XMP.format(source=IPTC_SOURCE_TYPES + source_type), lang="", tkey="")
    return info


def png_bytes(image: np.ndarray, recipe: Mapping[str, Any] | None = None,
              edit_stack: EditStack | None = None, source_type: str = "trainedAlgorithmicMedia",
              compress_level: int = 6) -> bytes:
    """Encode `image` (uint8 H x W x 3 RGB) as PNG bytes with provenance (see save_png)."""
    buffer = io.BytesIO()
    save_png(buffer, image, recipe, edit_stack, source_type, compress_level)
    return buffer.getvalue()


def save_png(destination: str | os.PathLike | BinaryIO, image: np.ndarray,
             recipe: Mapping[str, Any] | None = None, edit_stack: EditStack | None = None,
             source_type: str = "trainedAlgorithmicMedia", compress_level: int = 6) -> None:
    """Write a PNG carrying the recipe and edit stack (JSON text chunks) and an XMP AI-generated mark.

    destination: a path or a writable binary file object. recipe: any JSON-serialisable dict (or
    None). source_type: "trainedAlgorithmicMedia" for model output, "compositeWithTrainedAlgorithmicMedia"
    when a designer's own photo was combined with generated content. compress_level: 0 (fast,
    large) .. 9 (slow, small). A path is written atomically (temporary file, then os.replace).
    """
    check_image(image)
    if isinstance(compress_level, bool) or not isinstance(compress_level, int) or not 0 <= compress_level <= 9:
        raise EditError(f"The PNG compression level must be a whole number from 0 to 9 (got {compress_level!r}).")
    info = _png_info(recipe, edit_stack, source_type)
    # A fresh image from the pixels: nothing from any source file's metadata comes along.
    picture = Image.fromarray(np.ascontiguousarray(image))  # uint8 (H, W, 3) -> "RGB"
    if isinstance(destination, (str, os.PathLike)):
        path = os.path.abspath(os.fspath(destination))
        # A unique temporary file beside the target, then an atomic rename: a crash or a
        # concurrent save never leaves a half-written PNG under the real name.
        handle_fd, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".latent_studio_",
                                                suffix=".png.tmp")
        try:
            os.chmod(temporary, 0o644)  # mkstemp makes 0600; a saved picture is an ordinary file
            with os.fdopen(handle_fd, "wb") as handle:
                picture.save(handle, format="PNG", pnginfo=info, compress_level=compress_level)
            os.replace(temporary, path)
        finally:
            if os.path.exists(temporary):
                os.remove(temporary)
    else:
        picture.save(destination, format="PNG", pnginfo=info, compress_level=compress_level)


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TEXT_CHUNKS = (b"tEXt", b"zTXt", b"iTXt")
MAX_CHUNKS = 100_000  # chunks walked in one file (an animation of many frames is two chunks a frame)


def _png_texts(stream: BinaryIO) -> dict[str, str]:
    """The text chunks of a PNG, read with Pillow's own chunk reader (PngStream: its decompression and
    text-memory limits hold) while every other chunk is skipped, so pixels are never decompressed."""
    if stream.read(8) != PNG_SIGNATURE:
        raise EditError("This file is not a readable PNG.")
    png = PngImagePlugin.PngStream(stream)
    try:
        for _ in range(MAX_CHUNKS):
            cid, pos, length = png.read()
            if cid == b"IEND":
                return dict(png.im_text)
            if cid == b"IHDR" or cid in TEXT_CHUNKS:
                png.crc(cid, png.call(cid, pos, length))
                if cid == b"IHDR" and png.im_size[0] * png.im_size[1] > MAX_PIXELS:
                    width, height = png.im_size
                    raise EditError(f"This PNG is {width:,} x {height:,} px, more than the {MAX_PIXELS:,} "
                                    "pixels a picture may have here.")
            else:
                stream.seek(length + 4, os.SEEK_CUR)  # the chunk's data and its CRC, unread
    except EditError:
        raise
    except ValueError as err:  # Pillow's text limits ("Decompressed data too large", "Too much memory")
        raise EditError(f"This PNG's text is larger than a recipe can be ({err}).") from None
    except (SyntaxError, OSError, EOFError, struct.error) as err:  # a damaged or truncated file
        raise EditError(f"This file is not a readable PNG ({err}).") from None
    raise EditError(f"This PNG has more than {MAX_CHUNKS:,} chunks; it is not one Latent Studio made.")


def read_png_recipe(source: str | os.PathLike | bytes | BinaryIO) -> dict[str, Any]:
    """Read provenance back from a PNG: {"recipe": dict | None, "edit_stack": dict | None,
    "source_type": str | None}.

    "edit_stack" is the plain JSON form; EditStack.from_dict(result["edit_stack"]) rebuilds (and
    re-validates) it. Files without our chunks give None values; a file that is not a PNG, is larger
    than MAX_PIXELS by its header, or has damaged or over-large text raises EditError (one sentence).
    No pixel is ever decoded: the text chunks are read wherever they sit (before or after the image
    data, as other tools write them), and image data and animation frames are skipped unread.
    """
    stream = io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source
    if isinstance(stream, (str, os.PathLike)):
        with open(stream, "rb") as handle:
            texts = _png_texts(handle)
    else:
        texts = _png_texts(stream)
    result: dict[str, Any] = {"recipe": None, "edit_stack": None, "source_type": None}
    for key, field in ((RECIPE_KEY, "recipe"), (EDITS_KEY, "edit_stack")):
        if key in texts:
            try:
                value = json.loads(texts[key])
            except (ValueError, RecursionError):  # RecursionError: JSON nested thousands deep
                raise EditError(f"The PNG's {field.replace('_', ' ')} is damaged (not valid JSON).") from None
            if not isinstance(value, dict):
                raise EditError(f"The PNG's {field.replace('_', ' ')} is not a JSON object.")
            result[field] = value
    match = _SOURCE_RE.search(str(texts.get(XMP_KEY, "")))
    if match and match.group(1).startswith(IPTC_SOURCE_TYPES):
        result["source_type"] = match.group(1)[len(IPTC_SOURCE_TYPES):]
    return result
