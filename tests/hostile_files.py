"""A corpus of hostile uploads, made by code at test time (no binaries are checked in).

RELIABILITY.md, "Images" and "Archives and uploads": every case below is one file a visitor could
upload, with what Latent Studio must do with it. IMAGES maps an upload name to an ImageCase; ZIPS maps
an archive name to a ZipCase. Makers are cached: the big ones (the 2000-frame GIF, the bombs) are
built once per test session.

    from tests.hostile_files import IMAGES, ZIPS, write_corpus
    paths = write_corpus(tmp_path)          # {name: path} for every case
"""
from __future__ import annotations

import functools
import io
import random
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image, features

NOT_IMAGE = "is not a supported image (PNG, JPEG, WEBP, GIF or BMP)."


# -- small makers ---------------------------------------------------------------------------------------

def encode(img: Image.Image, fmt: str, **save_args) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **save_args)
    return buf.getvalue()


def noise(h: int = 48, w: int = 64, seed: int = 0) -> Image.Image:
    return Image.fromarray(np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8))


def good_png(seed: int = 0, size: int = 40) -> bytes:
    """A small valid picture (smooth blobs, so no two seeds are near duplicates)."""
    rng = np.random.default_rng(seed)
    small = Image.fromarray(rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)).resize((size, size), Image.BICUBIC)
    return encode(small, "PNG")


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(width: int = 20000, height: int = 20000) -> bytes:
    """A valid all-black 1-bit PNG of any size, compressed row by row (the default 20000 x 20000 =
    400 Mpx, 1.2 GB as RGB, is ~50 KB)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
    comp = zlib.compressobj(9)
    parts = [comp.compress(row * 256) for _ in range(height // 256)]
    parts += [comp.compress(row * (height % 256)), comp.flush()]
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", b"".join(parts))
            + _png_chunk(b"IEND", b""))


def psd() -> bytes:
    """A minimal valid 4 x 4 RGB Photoshop file."""
    header = b"8BPS" + struct.pack(">H6xHIIHH", 1, 3, 4, 4, 8, 3)
    return header + struct.pack(">III", 0, 0, 0) + struct.pack(">H", 0) + bytes(3 * 16)


def fits() -> bytes:
    cards = [b"SIMPLE  =                    T", b"BITPIX  =                    8", b"NAXIS   =                    2",
             b"NAXIS1  =                    4", b"NAXIS2  =                    4", b"END"]
    return b"".join(c.ljust(80) for c in cards).ljust(2880) + bytes(16).ljust(2880, b"\0")


def eps() -> bytes:
    """An EPS header Pillow recognises (decoding it would start Ghostscript)."""
    return (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 8 8\n%%EndComments\n"
            b"/x { (pwned) print } def x\nshowpage\n%%EOF\n")


def truncated(fmt: str) -> bytes:
    data = encode(noise(), fmt)
    return data[: len(data) // 2]


def flipped(fmt: str, seed: int = 1) -> bytes:
    """Bytes XOR-ed at a few places past the header: decodes to garbage or fails, never hangs."""
    data = bytearray(encode(noise(), fmt))
    rng = random.Random(f"{fmt}{seed}")
    for _ in range(6):
        pos = rng.randrange(32, len(data))
        data[pos] ^= 0xFF
    return bytes(data)


def grey16_png() -> bytes:
    """16-bit greyscale, a ramp over the whole range: 0, 257, 32768, 65535 ... (scaled, not clipped)."""
    ramp = np.array([[0, 257, 32768, 65535] * 4] * 16, dtype=np.uint16)
    return encode(Image.fromarray(ramp), "PNG")


def cmyk_jpeg() -> bytes:
    return encode(Image.new("CMYK", (16, 16), (0, 255, 255, 0)), "JPEG", quality=95)  # pure red


def palette_transparent_png() -> bytes:
    pal = Image.new("P", (4, 2))
    pal.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)  # 0 = red (transparent), 1 = blue
    pal.putdata([0, 0, 1, 1, 0, 1, 0, 1])
    return encode(pal, "PNG", transparency=0)


def la_png() -> bytes:
    return encode(Image.fromarray(np.array([[[0, 0], [0, 255], [0, 128]]], dtype=np.uint8), "LA"), "PNG")


def rgba_png() -> bytes:
    return encode(Image.new("RGBA", (2, 2), (255, 0, 0, 128)), "PNG")


def one_bit_png() -> bytes:
    img = Image.new("1", (3, 1))
    img.putpixel((1, 0), 1)
    return encode(img, "PNG")


def animated_gif(frames: int = 2000) -> bytes:
    """A GIF of `frames` 8 x 8 frames (first red, then blue), ~40 KB: only the first is decoded."""
    pair = [Image.new("RGB", (8, 8), c) for c in ((255, 0, 0), (0, 0, 255))]
    data = encode(pair[0], "GIF", save_all=True, append_images=pair[1:], duration=10)
    second = data.index(b"\x21\xf9\x04", data.index(b"\x21\xf9\x04") + 1)  # the 2nd graphic control block
    return data[:-1] + data[second:-1] * (frames - 1) + b";"


def exif_rotated_jpeg() -> bytes:
    img = Image.new("RGB", (40, 20), (0, 0, 255))
    img.paste((255, 0, 0), (0, 0, 20, 20))  # left half red
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display": the red half ends on top
    exif[0x010F] = "SpyCam"
    return encode(img, "JPEG", quality=95, exif=exif.tobytes(), icc_profile=b"\0" * 128)


HTML = b"<!DOCTYPE html><html><body><img src=x onerror=alert(1)><script>alert(document.cookie)</script></body></html>"
SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="8" height="8">'
       b'<script>alert(1)</script><rect width="8" height="8" fill="red"/></svg>')


# -- image cases -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ImageCase:
    """expect: "refused" (an ImageLoadError of `kind`, message starting with the upload's name),
    "rgb" (decodes; `check` asserts on the uint8 (H, W, 3) array) or "either" (decodes or is refused
    as damaged, never anything else)."""
    make: Callable[[], bytes]
    expect: str
    kind: str = ""
    check: Callable[[np.ndarray], bool] | None = None


def _near(a, b, tol: int = 6) -> bool:
    return bool(np.abs(np.asarray(a, int) - np.asarray(b, int)).max() <= tol)


IMAGES: dict[str, ImageCase] = {
    # pixel cap
    "bomb.png": ImageCase(bomb_png, "refused", "too_large"),
    # formats outside the allow-list, renamed .png
    "tiff.png": ImageCase(lambda: encode(noise(8, 8), "TIFF"), "refused", "not_image"),
    "psd.png": ImageCase(psd, "refused", "not_image"),
    "eps.png": ImageCase(eps, "refused", "not_image"),
    "pdf.png": ImageCase(lambda: encode(noise(8, 8), "PDF"), "refused", "not_image"),
    "fits.png": ImageCase(fits, "refused", "not_image"),
    "html.png": ImageCase(lambda: HTML, "refused", "not_image"),
    "svg.png": ImageCase(lambda: SVG, "refused", "not_image"),
    "page.svg": ImageCase(lambda: SVG, "refused", "not_image"),
    # damaged
    "empty.png": ImageCase(lambda: b"", "refused", "damaged"),
    "truncated.png": ImageCase(lambda: truncated("PNG"), "refused", "damaged"),
    "truncated.jpg": ImageCase(lambda: truncated("JPEG"), "refused", "damaged"),
    "truncated.webp": ImageCase(lambda: truncated("WEBP"), "refused", "damaged"),
    "flipped.png": ImageCase(lambda: flipped("PNG"), "either"),
    "flipped.jpg": ImageCase(lambda: flipped("JPEG"), "either"),
    "flipped.webp": ImageCase(lambda: flipped("WEBP"), "either"),
    # odd but valid: correct RGB
    "grey16.png": ImageCase(grey16_png, "rgb",
                            check=lambda a: a[0, :4, 0].tolist() == [0, 1, 128, 255] and (a[..., 0] == a[..., 2]).all()),
    "cmyk.jpg": ImageCase(cmyk_jpeg, "rgb", check=lambda a: a.shape == (16, 16, 3) and _near(a[8, 8], [255, 0, 0])),
    "palette.png": ImageCase(palette_transparent_png, "rgb",
                             check=lambda a: a[0, 0].tolist() == [255, 255, 255] and a[0, 2].tolist() == [0, 0, 255]),
    "la.png": ImageCase(la_png, "rgb", check=lambda a: a[0, :, 0].tolist() == [255, 0, 127]),
    "rgba.png": ImageCase(rgba_png, "rgb", check=lambda a: _near(a[0, 0], [255, 127, 127], 1)),
    "onebit.png": ImageCase(one_bit_png, "rgb", check=lambda a: a[0].tolist() == [[0, 0, 0], [255] * 3, [0, 0, 0]]),
    "anim.gif": ImageCase(animated_gif, "rgb", check=lambda a: a.shape == (8, 8, 3) and a[0, 0].tolist() == [255, 0, 0]),
    "rotated.jpg": ImageCase(exif_rotated_jpeg, "rgb",
                             check=lambda a: a.shape == (40, 20, 3) and a[:18, :, 0].mean() > 200 and a[22:, :, 2].mean() > 200),
}
if features.check("jpg_2000"):
    IMAGES["jp2.png"] = ImageCase(lambda: encode(noise(8, 8), "JPEG2000"), "refused", "not_image")


# -- zips --------------------------------------------------------------------------------------------------

def make_zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name) if name.endswith("/") else name, data)
    return buf.getvalue()


_LOCAL = struct.Struct("<4s5H3L2H")
_CENTRAL = struct.Struct("<4s6H3L5H2L")
_EOCD = struct.Struct("<4s4H2LH")


def raw_zip(members: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """A zip written with struct from (name, compressed bytes, method, crc, uncompressed size): fast
    for 100 000 entries, and free to lie or to repeat compressed data."""
    local, central, offset = [], [], 0
    for name, comp, method, crc, size in members:
        n = name.encode()
        head = _LOCAL.pack(b"PK\x03\x04", 20, 0, method, 0, 0, crc, len(comp), size, len(n), 0) + n
        central.append(_CENTRAL.pack(b"PK\x01\x02", 20, 20, 0, method, 0, 0, crc, len(comp), size, len(n),
                                     0, 0, 0, 0, 0, offset) + n)
        local.append(head + comp)
        offset += len(head) + len(comp)
    cd, count = b"".join(central), len(members)
    tail = b""
    if count > 0xFFFF:  # zip64 end records carry the real count, as zip tools write them
        tail = (struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, len(cd), offset)
                + struct.pack("<4sLQL", b"PK\x06\x07", 0, offset + len(cd), 1))
        count = 0xFFFF
    return b"".join(local) + cd + tail + _EOCD.pack(b"PK\x05\x06", 0, 0, count, count, len(cd), offset, 0)


def zip_slip() -> bytes:
    evil = ["../../evil.png", "/etc/x.png", "..\\x.png", "a/../../b.png"]
    return make_zip({**{name: good_png(i) for i, name in enumerate(evil)}, "ok.png": good_png(9)})


def zip_symlink() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        link = zipfile.ZipInfo("link.png")
        link.create_system = 3  # unix
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")
        zf.writestr("ok.png", good_png(3))
    return buf.getvalue()


def zip_bomb(members: int = 20, member_mb: int = 60) -> bytes:
    """`members` members of `member_mb` MB of zeros each, sharing one compressed block: ~1.2 MB that
    claims (truthfully) to unpack to 1.2 GB. Each member is under the 64 MB per-image cap."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = bytes(1 << 20)
    data = b"".join(comp.compress(block) for _ in range(member_mb)) + comp.flush()
    crc = 0
    for _ in range(member_mb):
        crc = zlib.crc32(block, crc)
    size = member_mb << 20
    return raw_zip([(f"pic{i:03d}.png", data, 8, crc, size) for i in range(members)])


def zip_overlap(copies: int = 200) -> bytes:
    """Fifield's overlap bomb: many directory entries pointing at one 4 MB compressed member."""
    one = make_zip({"a.png": bytes(4 << 20)})
    _, _, _, _, _, cd_size, cd_offset, _ = _EOCD.unpack_from(one, len(one) - _EOCD.size)
    cd = one[cd_offset:cd_offset + cd_size] * copies
    return one[:cd_offset] + cd + _EOCD.pack(b"PK\x05\x06", 0, 0, copies, copies, len(cd), cd_offset, 0)


def zip_nested() -> bytes:
    inner = make_zip({"inside.png": good_png(5)})
    return make_zip({"inner.zip": inner, "sneaky.png": inner, "deeper.zip": make_zip({"inner.zip": inner})})


def zip_many(entries: int = 100_000) -> bytes:
    return raw_zip([(f"{i}.png", b"", 0, 0, 0) for i in range(entries)])


def zip_junk() -> bytes:
    return make_zip({"__MACOSX/": b"", "__MACOSX/._a.png": b"\0\5\26\7", "._b.png": b"\0\5\26\7",
                     ".DS_Store": b"\0\0\0\1Bud1", "Thumbs.db": b"x", "sub/": b"", "sub/empty/": b""})


def zip_disguised() -> bytes:
    """Only hostile images inside: every one skipped, so no usable image."""
    return make_zip({"page.png": HTML, "logo.png": SVG, "scan.png": encode(noise(8, 8), "TIFF"), "big.png": bomb_png()})


@dataclass(frozen=True)
class ZipCase:
    """expect: "error" (the whole archive is refused: DatasetError whose message matches `match`)
    or "partial" (the dataset loads `usable` images and skips `skipped` files as `kind`)."""
    make: Callable[[], bytes]
    expect: str
    match: str = ""
    usable: int = 0
    skipped: int = 0
    kind: str = ""


ZIPS: dict[str, ZipCase] = {
    "slip.zip": ZipCase(zip_slip, "partial", usable=1, skipped=4, kind="unsafe"),
    "symlink.zip": ZipCase(zip_symlink, "partial", usable=1, skipped=1, kind="unsafe"),
    "bomb.zip": ZipCase(zip_bomb, "error", match=r"^bomb\.zip unpacks to more than 20 times its own size"),
    "overlap.zip": ZipCase(zip_overlap, "error", match=r"^overlap\.zip unpacks to more than 20 times its own size"),
    "nested.zip": ZipCase(zip_nested, "error", match=r"^No usable images found: 3 files were skipped \(3 archives not opened\)\.$"),
    "many.zip": ZipCase(zip_many, "error", match=r"^many\.zip has too many files \(100,000; the limit is 10,000\)\.$"),
    "junk.zip": ZipCase(zip_junk, "error", match=r"^No usable images found: junk\.zip contains no image files \(only \d+ system files"),
    "disguised.zip": ZipCase(zip_disguised, "error", match=r"^No usable images found: 4 files were skipped \(3 not images, 1 too large\)\.$"),
}


@functools.lru_cache(maxsize=None)
def data_of(name: str) -> bytes:
    """The bytes of one case of IMAGES or ZIPS (built once per process)."""
    case = IMAGES.get(name) or ZIPS[name]
    return case.make()


def write_case(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data_of(name))
    return path


def write_corpus(folder: Path) -> dict[str, Path]:
    """Every case written under folder: {name: path}."""
    return {name: write_case(folder, name) for name in [*IMAGES, *ZIPS]}
