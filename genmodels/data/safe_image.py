"""Decode one untrusted image file into a uint8 (H, W, 3) RGB array, or refuse it in one sentence.

Every upload is hostile until decoded (RELIABILITY.md, "Images"):
- only PNG, JPEG, WEBP, GIF and BMP are parsed (the list goes to Image.open, so a PSD, EPS, PDF,
  TIFF, JPEG 2000 or FITS file renamed .png is never handed to its plugin; EPS never starts Ghostscript);
- the pixel count is read from the header and checked before any pixel is decoded;
- truncated or corrupt files raise ImageLoadError (ImageFile.LOAD_TRUNCATED_IMAGES must stay False);
- EXIF orientation is applied, only the first frame of an animation is decoded, every mode becomes
  RGB (alpha over a fixed white background, 16-bit grey scaled rather than clipped);
- the result is a bare array, so no EXIF, GPS or ICC data of the upload survives.
"""
from __future__ import annotations

import io
import os
import stat
import warnings
from typing import Union

import numpy as np
from PIL import Image, ImageFile, ImageOps

from ..errors import StudioError

ImageSource = Union[str, "os.PathLike[str]", bytes]

ALLOWED_FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP")
IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".jpe", ".jfif", ".webp", ".gif", ".bmp"})
DEFAULT_MAX_PIXELS = 40_000_000  # 40 megapixels, e.g. 7300 x 5500: bigger than any phone photo.
DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024  # one encoded image file
BACKGROUND = (255, 255, 255)  # transparent pixels are composited on white, always the same

_FORMAT_LIST = "PNG, JPEG, WEBP, GIF or BMP"
_ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "La", "RGBa"})


class ImageLoadError(StudioError):
    """An image the user supplied can't be used. str(err) is one sentence naming the file.

    name: the file name shown to the user; kind: "not_image", "too_large" or "damaged" (for grouping
    and logic); reason: a short phrase for lists of skipped files ("too large (20000 x 20000 pixels)").
    """

    def __init__(self, name: str, kind: str, reason: str, message: str):
        super().__init__(message)
        self.name, self.kind, self.reason = name, kind, reason


def _not_image(name: str) -> ImageLoadError:
    return ImageLoadError(name, "not_image", "not a supported image",
                          f"{name} is not a supported image ({_FORMAT_LIST}).")


def _damaged(name: str, detail: str = "damaged or truncated") -> ImageLoadError:
    return ImageLoadError(name, "damaged", detail, f"{name} is {detail} and could not be read.")


def _too_many_bytes(name: str, size: int, max_bytes: int) -> ImageLoadError:
    return ImageLoadError(name, "too_large", f"too large ({_mb(size)})",
                          f"{name} is too large ({_mb(size)}; the limit is {_mb(max_bytes)} per image).")


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n < 10e6 else f"{n / 1e6:.0f} MB"


def display_name(source: ImageSource, name: str | None = None) -> str:
    """The name to show for a source: the given name, else the file's base name (never a server path)."""
    if name:
        return name
    if isinstance(source, (bytes, bytearray)):
        return "This file"
    return os.path.basename(os.fspath(source)) or "This file"


def read_file_capped(path: str | os.PathLike, max_bytes: int, name: str) -> bytes:
    """Read a regular file of at most max_bytes. FIFOs and devices are refused (reading them could hang)."""
    try:
        st = os.stat(path)
    except OSError:
        raise ImageLoadError(name, "damaged", "file not found", f"{name} could not be found.") from None
    if not stat.S_ISREG(st.st_mode):
        raise _not_image(name)
    if st.st_size > max_bytes:
        raise _too_many_bytes(name, st.st_size, max_bytes)
    with open(path, "rb") as f:
        # read(n) allocates n bytes up front, so ask for the size stat gave (+1 to see growth), not
        # for max_bytes: a 50 KB file must not cost a 64 MB buffer.
        data = f.read(st.st_size + 1)
        if len(data) > st.st_size:  # the file has grown since stat
            data += f.read(max_bytes + 1 - len(data))
    if len(data) > max_bytes:
        raise _too_many_bytes(name, len(data), max_bytes)
    return data


def _open_checked(data: bytes, name: str, max_pixels: int) -> Image.Image:
    """Parse the header with the format allow-list and check the pixel count. Decodes no pixels."""
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        # Someone flipped Pillow's global switch; decoding untrusted files would silently accept
        # truncated data. Fail loudly rather than fix it behind their back.
        raise RuntimeError("PIL.ImageFile.LOAD_TRUNCATED_IMAGES is True; untrusted images need it False")
    if not data:
        raise _damaged(name, "empty (0 bytes)")
    try:
        with warnings.catch_warnings():
            # Pillow warns above ~89 Mpx and raises above ~179 Mpx; our own cap below is much lower.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=list(ALLOWED_FORMATS))
    except Image.DecompressionBombError:
        raise ImageLoadError(name, "too_large", "too large",
                             f"{name} is too large (over {max_pixels / 1e6:.0f} megapixels).") from None
    except Image.UnidentifiedImageError:
        # Pillow says "unidentified" also when an allowed format's header is corrupt.
        raise (_damaged(name) if _has_allowed_signature(data) else _not_image(name)) from None
    except Exception:  # noqa: BLE001 - a malformed header can raise almost anything inside a plugin
        raise _damaged(name) from None
    w, h = img.size
    if w <= 0 or h <= 0:
        img.close()
        raise _damaged(name)
    if w * h > max_pixels:
        img.close()
        raise ImageLoadError(name, "too_large", f"too large ({w} x {h} pixels)",
                             f"{name} is too large ({w} x {h} pixels; the limit is "
                             f"{max_pixels / 1e6:g} megapixels).")
    return img


def _has_allowed_signature(data: bytes) -> bool:
    """Starts like PNG, JPEG, GIF, WEBP or BMP (so a failure to parse means damaged, not foreign)."""
    return (data.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM"))
            or (data[:4] == b"RIFF" and data[8:12] == b"WEBP"))


def check_image_upload(source: ImageSource, name: str | None = None, *,
                       max_pixels: int = DEFAULT_MAX_PIXELS,
                       max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> str:
    """Cheap gate for an upload where an image is expected: returns the format ("PNG", "JPEG", ...).

    Reads the header only (format allow-list, byte and pixel caps). HTML, SVG and every format outside
    the allow-list raise ImageLoadError. Use load_image to decode; never serve the upload's own bytes.
    """
    name = display_name(source, name)
    data = _as_bytes(source, name, max_bytes)
    with _open_checked(data, name, max_pixels) as img:
        return str(img.format)


def _as_bytes(source: ImageSource, name: str, max_bytes: int) -> bytes:
    if isinstance(source, (bytes, bytearray)):
        if len(source) > max_bytes:
            raise _too_many_bytes(name, len(source), max_bytes)
        return bytes(source)
    return read_file_capped(source, max_bytes, name)


def load_image(source: ImageSource, name: str | None = None, *,
               max_pixels: int = DEFAULT_MAX_PIXELS,
               max_bytes: int = DEFAULT_MAX_FILE_BYTES,
               draft_size: int | None = None) -> np.ndarray:
    """Decode a path or the bytes of one image file -> uint8 (H, W, 3) RGB array (orientation applied).

    name: shown in errors (default: the file's base name). max_pixels: width x height limit, checked
    from the header before decoding. max_bytes: encoded file size limit.
    draft_size: optional hint (pixels) that the caller will shrink the image to about this size on
    its short side; large JPEGs are then decoded at 1/2, 1/4 or 1/8 scale, never below twice it.
    Raises ImageLoadError (a ValueError) with one sentence naming the file.
    """
    name = display_name(source, name)
    data = _as_bytes(source, name, max_bytes)
    img = _open_checked(data, name, max_pixels)
    try:
        with img:
            if draft_size and img.format in ("JPEG", "MPO"):
                img.draft(None, (2 * draft_size, 2 * draft_size))  # keeps both sides >= 2 * draft_size
            img.load()  # first frame only: Image.open leaves animations on frame 0
            try:
                oriented = ImageOps.exif_transpose(img)
            except Exception:  # noqa: BLE001 - broken EXIF should not cost the user the picture
                oriented = img
            return to_rgb_array(oriented)
    except ImageLoadError:
        raise
    except Exception:  # noqa: BLE001 - OSError, SyntaxError, zlib/struct errors... all mean "damaged"
        raise _damaged(name) from None


def to_rgb_array(img: Image.Image) -> np.ndarray:
    """Any Pillow mode -> uint8 (H, W, 3) RGB. Alpha (or palette transparency) is composited on white;
    16-bit and 32-bit integer grey is scaled from 0..65535 to 0..255 (not clipped)."""
    mode = img.mode
    if mode in ("I", "I;16", "I;16L", "I;16B", "I;16N"):
        grey = np.asarray(img).astype(np.float32)  # 16-bit PNGs open as "I;16" (or "I" in old Pillow)
        grey = np.rint(np.clip(grey, 0, 65535) * (255.0 / 65535.0)).astype(np.uint8)
        return np.repeat(grey[:, :, None], 3, axis=2)
    if mode in _ALPHA_MODES or "transparency" in img.info:
        rgba = img.convert("RGBA")  # P/L/RGB + transparency, LA, PA, La, RGBa all end here
        canvas = Image.new("RGBA", rgba.size, BACKGROUND + (255,))
        img = Image.alpha_composite(canvas, rgba)
    if img.mode != "RGB":
        img = img.convert("RGB")  # 1, L, P, CMYK, YCbCr, LAB, HSV, RGBX, F
    return np.array(img, dtype=np.uint8, copy=True)
