"""RELIABILITY.md "Archives and uploads": reading untrusted zips (genmodels.archive). Zips are made by code,
here and in tests/hostile_files.py."""
from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib

import numpy as np
import pytest
from PIL import Image

from genmodels.data import archive
from genmodels.data.archive import ArchiveError, iter_zip, read_zip_images
from tests.hostile_files import make_zip, zip_symlink

EOCD = struct.Struct("<4s4H2LH")


def png(seed: int = 0, size: int = 8) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)).save(buf, "PNG")
    return buf.getvalue()


def crafted_zip(names: list[str], zip64: bool | None = None) -> bytes:
    """A real zip of empty stored members, written with struct: fast enough for 100 000 entries.
    Over 65 535 entries (or with zip64=True) the counts go in zip64 end records, as zip tools do."""
    local, central, offset = [], [], 0
    for name in names:
        n = name.encode()
        head = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 0, 0, 0, 0, 0, 0, len(n), 0) + n
        central.append(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 0, 0, 0, 0, 0, 0, len(n),
                                   0, 0, 0, 0, 0, offset) + n)
        local.append(head)
        offset += len(head)
    cd = b"".join(central)
    n = len(names)
    if zip64 is None:
        zip64 = n > 0xFFFF
    tail = b""
    if zip64:
        rec64 = struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, n, n, len(cd), offset)
        tail = rec64 + struct.pack("<4sLQL", b"PK\x06\x07", 0, offset + len(cd), 1)
    count = 0xFFFF if zip64 else n
    return b"".join(local) + cd + tail + EOCD.pack(b"PK\x05\x06", 0, 0, count, count, len(cd), offset, 0)


@pytest.mark.parametrize("zip64", [False, True])
def test_crafted_zip_helper_is_valid(zip64):
    with zipfile.ZipFile(io.BytesIO(crafted_zip([f"f{i}.png" for i in range(10)], zip64))) as zf:
        assert zf.testzip() is None and len(zf.infolist()) == 10
    with pytest.raises(ArchiveError, match=r"too many files \(10; the limit is 9\)"):
        next(iter_zip(crafted_zip([f"f{i}.png" for i in range(10)], zip64), max_entries=9))


def test_images_are_read_into_memory():
    a, b = png(1), png(2)
    out = read_zip_images(make_zip({"a.png": a, "sub/b.PNG": b}), "set.zip")
    assert out.images == [("a.png", a), ("sub/b.PNG", b)]
    assert out.skipped == [] and out.junk == 0 and out.bytes_read == len(a) + len(b)


# -- zip slip ------------------------------------------------------------------------------------------------

EVIL = ["../../evil.png", "/etc/x.png", "..\\x.png", "a/../../b.png", "C:/windows/c.png", "\\\\server\\d.png"]


def test_zip_slip_names_refused_and_nothing_written(tmp_path, monkeypatch):
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    data = make_zip({**{name: png(i) for i, name in enumerate(EVIL)}, "ok.png": png(9)})
    out = read_zip_images(data)
    assert [name for name, _ in out.images] == ["ok.png"]
    assert sorted(out.skipped) == sorted((name, "unsafe path in archive") for name in EVIL)
    written = [f for _, _, files in os.walk(tmp_path) for f in files]
    assert written == []  # nothing anywhere, inside or outside the working folder


def test_symlink_member_refused():
    out = read_zip_images(zip_symlink())  # link.png -> /etc/passwd, and ok.png
    assert [n for n, _ in out.images] == ["ok.png"]
    assert out.skipped == [("link.png", "symbolic link in archive")]


# -- zip bombs ------------------------------------------------------------------------------------------------

def test_zip_bomb_stops_at_the_byte_cap_having_read_at_most_one_chunk_more():
    bomb = make_zip({"bomb.png": bytes(20 * 1024 * 1024)})  # 20 MB of zeros -> ~20 KB
    assert len(bomb) < 100_000
    cap, chunk = 1024 * 1024, 64 * 1024
    with pytest.raises(ArchiveError, match=r"^bomb.zip unpacks to more than 1 MB") as err:
        list(iter_zip(bomb, "bomb.zip", max_total_bytes=cap, chunk_bytes=chunk))
    assert cap < err.value.bytes_read <= cap + chunk


def test_bytes_are_counted_as_read_across_members():
    members = {f"m{i}.png": bytes(300_000) for i in range(10)}  # each under the member cap
    cap, chunk = 1_000_000, 50_000
    with pytest.raises(ArchiveError) as err:
        read_zip_images(make_zip(members), max_total_bytes=cap, max_member_bytes=400_000, chunk_bytes=chunk)
    assert cap < err.value.bytes_read <= cap + chunk


def test_member_over_its_cap_is_skipped():
    data = make_zip({"big.png": bytes(5_000_000), "ok.png": png()})
    out = read_zip_images(data, max_member_bytes=1_000_000)
    assert [n for n, _ in out.images] == ["ok.png"]
    assert out.skipped == [("big.png", "too large (5 MB)")]  # refused on its claimed size: nothing read
    assert out.bytes_read == len(png())


def test_member_lying_about_its_size_reads_no_more_than_its_caps():
    data = bytearray(make_zip({"liar.png": bytes(3_000_000)}))
    cd = data.index(b"PK\x01\x02")
    struct.pack_into("<L", data, cd + 24, 100)  # the directory now claims 100 bytes, 30 000 x fewer
    struct.pack_into("<L", data, 22, 100)  # and so does the local header
    out = read_zip_images(bytes(data), max_member_bytes=1_000_000, chunk_bytes=4096)
    assert out.images == [] and out.skipped[0][0] == "liar.png"
    assert out.bytes_read <= 1_000_000 + 4096


def test_overlapping_entries_are_bounded():
    """Many directory entries pointing at the same compressed data (Fifield's overlap bomb)."""
    one = make_zip({"a.png": bytes(1024 * 1024)})
    _, _, _, _, _, cd_size, cd_offset, _ = EOCD.unpack_from(one, len(one) - EOCD.size)
    cd = one[cd_offset:cd_offset + cd_size] * 50
    bomb = one[:cd_offset] + cd + EOCD.pack(b"PK\x05\x06", 0, 0, 50, 50, len(cd), cd_offset, 0)
    cap, chunk = 4 * 1024 * 1024, 64 * 1024
    try:
        out = read_zip_images(bomb, max_total_bytes=cap, chunk_bytes=chunk)
        read = out.bytes_read  # Python's own overlap check refused the repeats
    except ArchiveError as err:
        read = err.bytes_read
    assert read <= cap + chunk


def test_unsupported_compression_is_a_damaged_member():
    data = bytearray(make_zip({"odd.png": png(), "ok.png": png(1)}))
    cd = data.index(b"PK\x01\x02")
    struct.pack_into("<H", data, cd + 10, 9)  # Deflate64, which zipfile can't decompress
    struct.pack_into("<H", data, 8, 9)
    out = read_zip_images(bytes(data))
    assert [n for n, _ in out.images] == ["ok.png"]
    assert out.skipped == [("odd.png", "damaged in the archive")]


# -- entry cap ------------------------------------------------------------------------------------------------

def test_100000_entries_refused_before_the_directory_is_parsed(monkeypatch):
    data = crafted_zip([f"{i}.png" for i in range(100_000)])
    monkeypatch.setattr(archive.zipfile, "ZipFile", lambda *a, **k: pytest.fail("directory parsed"))
    with pytest.raises(ArchiveError, match=r"^many.zip has too many files \(100,000; the limit is 10,000\)\."):
        next(iter_zip(data, "many.zip"))


def test_entry_count_lie_in_end_record_still_refused():
    data = bytearray(crafted_zip([f"{i}.png" for i in range(300)]))
    struct.pack_into("<2H", data, len(data) - EOCD.size + 8, 2, 2)  # "2 entries"
    with pytest.raises(ArchiveError, match=r"too many files \(300; the limit is 100\)"):
        list(iter_zip(bytes(data), max_entries=100))


def test_not_a_zip_is_a_clear_error(tmp_path):
    path = tmp_path / "photos.zip"
    path.write_bytes(b"this is not a zip at all" * 10)
    with pytest.raises(ArchiveError, match=r"^photos.zip is not a valid zip archive\.$"):
        list(iter_zip(str(path)))
    assert not archive.is_zip(str(path)) and archive.is_zip(make_zip({"a.png": b"x"}))


# -- junk and nested archives ----------------------------------------------------------------------------------

def test_junk_is_skipped_silently_but_counted():
    data = make_zip({"__MACOSX/": b"", "__MACOSX/._a.png": b"\0\5\26\7", "._b.png": b"\0\5\26\7",
                     ".DS_Store": b"\0\0\0\1Bud1", "sub/Thumbs.db": b"x", "sub/": b"", "sub/empty/": b"",
                     "sub/a.png": png()})
    out = read_zip_images(data)
    assert [n for n, _ in out.images] == ["sub/a.png"]
    assert out.skipped == [] and out.junk == 7


def test_nested_archives_are_not_opened():
    inner = make_zip({"inside.png": png(5)})
    data = make_zip({"inner.zip": inner, "sneaky.png": inner, "x.tar.gz": b"\x1f\x8b\x08", "ok.png": png()})
    out = read_zip_images(data)
    assert [n for n, _ in out.images] == ["ok.png"]
    assert sorted(out.skipped) == [("inner.zip", "archive inside an archive (not opened)"),
                                   ("sneaky.png", "archive inside an archive (not opened)"),
                                   ("x.tar.gz", "archive inside an archive (not opened)")]


def test_other_files_are_skipped_unread():
    out = read_zip_images(make_zip({"readme.txt": b"hello" * 1000, "page.html": b"<html>", "a.png": png()}))
    assert sorted(out.skipped) == [("page.html", "not a supported image"), ("readme.txt", "not a supported image")]
    assert out.bytes_read == len(png())


def test_reads_from_a_path_too(tmp_path):
    path = tmp_path / "set.zip"
    path.write_bytes(make_zip({"a.png": png()}))
    assert [n for n, _ in read_zip_images(str(path)).images] == ["a.png"]
    assert zlib.crc32(read_zip_images(path).images[0][1]) == zlib.crc32(png())
