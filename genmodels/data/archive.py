"""Read the images inside an untrusted zip archive into memory, never onto disk.

Members are read into bytes, so a member named ../../evil or /etc/x cannot be written anywhere
(zip slip is impossible by construction); such names and symlink members are still refused and
reported. Caps (RELIABILITY.md, "Archives and uploads"):
- the entry count is read from the end-of-central-directory record and checked before the table of
  contents is parsed, and checked again after (the record can lie);
- bytes are counted as they are really decompressed, in chunks, never from the sizes the headers
  claim (zip bombs lie; overlapping entries re-read the same data): reading stops at the cap, having
  read at most one chunk past it;
- past the first RATIO_GRACE_BYTES, an archive may unpack to at most MAX_RATIO times its own size:
  images are already compressed (about 1:1 in a zip), so only a bomb gets there, and stopping early
  keeps a 10 MB -> 10 GB bomb to well under a second of work instead of a gigabyte of inflating;
- nested archives are not opened; junk (__MACOSX/, ._*, .DS_Store, Thumbs.db, directories) is skipped
  and counted.
"""
from __future__ import annotations

import io
import os
import stat
import struct
import zipfile
from dataclasses import dataclass, field
from typing import BinaryIO, Iterator, Union

from ..errors import StudioError
from .safe_image import IMAGE_EXTENSIONS

ArchiveSource = Union[str, "os.PathLike[str]", bytes]

DEFAULT_MAX_ENTRIES = 10_000
DEFAULT_MAX_TOTAL_BYTES = 1024 * 1024 * 1024  # bytes really decompressed from one archive
DEFAULT_MAX_MEMBER_BYTES = 64 * 1024 * 1024  # one member (same as one image file)
CHUNK_BYTES = 1024 * 1024
MAX_RATIO = 20  # bytes unpacked per byte of archive; PNG/JPEG/WEBP in a zip are ~1, flat BMPs ~10-50
RATIO_GRACE_BYTES = 32 * 1024 * 1024  # unpacked before the ratio applies (small BMP sets compress well)

ARCHIVE_EXTENSIONS = frozenset({".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar",
                                ".zst", ".lz", ".lzma", ".cab", ".jar", ".cbz", ".cbr", ".apk"})
JUNK_NAMES = frozenset({".ds_store", "thumbs.db", "desktop.ini", "ehthumbs.db", "icon\r"})
# Magic numbers of archives a member may carry under an image name.
_ARCHIVE_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"Rar!\x1a\x07", b"7z\xbc\xaf\x27\x1c", b"\x1f\x8b",
                  b"BZh", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd")

_EOCD = struct.Struct("<4s4H2LH")  # end of central directory record, 22 bytes
_EOCD64_LOCATOR = struct.Struct("<4sLQL")  # 20 bytes
_EOCD64 = struct.Struct("<4sQ2H2L4Q")  # 56 bytes


class ArchiveError(StudioError):
    """A whole archive is refused. str(err) is one sentence naming it; bytes_read says how much was
    actually decompressed before stopping."""

    def __init__(self, message: str, bytes_read: int = 0):
        super().__init__(message)
        self.bytes_read = bytes_read


@dataclass(frozen=True)
class ArchiveEntry:
    """One member: either data (the image file's bytes) or a skip. kind is "junk" (silent, counted),
    "unsafe", "nested", "not_image", "too_large" or "damaged"; reason is a short phrase for the user."""
    name: str
    data: bytes | None = None
    kind: str = ""
    reason: str = ""
    bytes_read: int = 0  # bytes decompressed for this member, kept or not


@dataclass
class ZipContents:
    """Everything read_zip_images found: images as (member name, bytes), skipped (name, reason)."""
    images: list[tuple[str, bytes]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    junk: int = 0
    bytes_read: int = 0


def is_zip(data_or_path: ArchiveSource) -> bool:
    """True if the bytes / file start like a zip archive (by content, not by name)."""
    if isinstance(data_or_path, (bytes, bytearray)):
        head = bytes(data_or_path[:4])
    else:
        try:
            with open(data_or_path, "rb") as f:
                head = f.read(4)
        except OSError:
            return False
    return head in (b"PK\x03\x04", b"PK\x05\x06")


def looks_like_archive(data: bytes) -> bool:
    return any(data.startswith(m) for m in _ARCHIVE_MAGIC)


def is_junk(member_name: str) -> bool:
    """OS litter that is skipped without a message: __MACOSX/, ._*, .DS_Store, Thumbs.db, dot files."""
    parts = [p for p in member_name.replace("\\", "/").split("/") if p]
    if not parts:
        return True
    if any(p == "__MACOSX" for p in parts):
        return True
    base = parts[-1]
    return base.startswith(".") or base.lower() in JUNK_NAMES


def unsafe_name(member_name: str) -> bool:
    """Names that would escape an extraction folder: absolute, drive letters, '..' parts, NUL."""
    name = member_name.replace("\\", "/")
    if "\x00" in name or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return True
    return any(part == ".." for part in name.split("/"))


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def unpack_cap(archive_bytes: int, max_total_bytes: int) -> int:
    """The most bytes an archive of archive_bytes may unpack to: max_total_bytes, or less for a small
    archive (MAX_RATIO times its size, but never under RATIO_GRACE_BYTES)."""
    return min(max_total_bytes, max(RATIO_GRACE_BYTES, MAX_RATIO * archive_bytes))


def declared_entries(path: str | os.PathLike, archive_name: str) -> int:
    """The member count a zip's end record declares, read from its last 64 KiB without parsing the
    table of contents (100 000 entries take a second to parse). Raises ArchiveError if not a zip."""
    with open(path, "rb") as f:
        return _entry_count(f, archive_name)[0]


def _entry_count(f: BinaryIO, archive_name: str) -> tuple[int, int]:
    """(entries, central directory bytes) from the end record, without parsing the directory."""
    f.seek(0, os.SEEK_END)
    size = f.tell()
    tail_len = min(size, _EOCD.size + 65535)  # the record, then at most a 64 KiB comment
    f.seek(size - tail_len)
    tail = f.read(tail_len)
    pos = tail.rfind(b"PK\x05\x06")
    if pos < 0 or pos + _EOCD.size > len(tail):
        raise ArchiveError(f"{archive_name} is not a valid zip archive.")
    _, _, _, _, entries, cd_size, _, _ = _EOCD.unpack_from(tail, pos)
    if entries == 0xFFFF or cd_size == 0xFFFFFFFF:  # zip64: the real numbers are in another record
        loc = pos - _EOCD64_LOCATOR.size
        if loc >= 0 and tail[loc:loc + 4] == b"PK\x06\x07":
            rec = loc - _EOCD64.size
            if rec >= 0 and tail[rec:rec + 4] == b"PK\x06\x06":
                fields = _EOCD64.unpack_from(tail, rec)
                entries, cd_size = fields[7], fields[8]
    return entries, cd_size


def iter_zip(source: ArchiveSource, archive_name: str | None = None, *,
             max_entries: int = DEFAULT_MAX_ENTRIES,
             max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES,
             max_member_bytes: int = DEFAULT_MAX_MEMBER_BYTES,
             chunk_bytes: int = CHUNK_BYTES) -> Iterator[ArchiveEntry]:
    """Yield one ArchiveEntry per member, reading image members one at a time into memory.

    Only members with image extensions are decompressed; others are skipped with a reason. Raises
    ArchiveError (with one sentence) when the archive is not a zip, has more than max_entries members,
    or decompresses to more than max_total_bytes (or to more than unpack_cap allows for its size);
    members over max_member_bytes are skipped.
    """
    name = archive_name or ("This archive" if isinstance(source, (bytes, bytearray))
                            else os.path.basename(os.fspath(source)))
    f: BinaryIO = io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else open(source, "rb")
    with f:
        entries, cd_size = _entry_count(f, name)
        # A directory record is at least 46 bytes; 1 KiB a name is generous, so a bigger table of
        # contents holds more entries than the end record admits.
        if entries > max_entries or cd_size > max_entries * 1024:
            raise ArchiveError(f"{name} has too many files ({entries:,}; the limit is {max_entries:,}).")
        archive_bytes = f.seek(0, os.SEEK_END)
        try:
            zf = zipfile.ZipFile(f)
        except Exception:  # noqa: BLE001 - a crafted directory can raise BadZipFile, struct.error, ...
            raise ArchiveError(f"{name} is not a valid zip archive.") from None
        with zf:
            infos = zf.infolist()
            if len(infos) > max_entries:
                raise ArchiveError(f"{name} has too many files ({len(infos):,}; "
                                   f"the limit is {max_entries:,}).")
            budget = _Budget(max_total_bytes, unpack_cap(archive_bytes, max_total_bytes), name)
            for info in infos:
                yield _read_member(zf, info, budget, max_member_bytes, chunk_bytes)


class _Budget:
    """Counts the bytes really decompressed from one archive and stops at the cap."""

    def __init__(self, cap: int, ratio_cap: int, archive_name: str):
        self.cap, self.ratio_cap, self.used, self.archive_name = cap, ratio_cap, 0, archive_name

    def spend(self, n: int) -> None:
        self.used += n
        if self.used > self.ratio_cap and self.ratio_cap < self.cap:
            raise ArchiveError(f"{self.archive_name} unpacks to more than {MAX_RATIO} times its own size, "
                               "which image files never do (a zip bomb?); zip PNG or JPEG pictures instead.",
                               bytes_read=self.used)
        if self.used > self.cap:
            raise ArchiveError(f"{self.archive_name} unpacks to more than {self.cap / 1e6:.0f} MB; "
                               "use fewer or smaller images.", bytes_read=self.used)


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _Budget,
                 max_member_bytes: int, chunk_bytes: int) -> ArchiveEntry:
    member = info.filename
    if info.is_dir() or is_junk(member):
        return ArchiveEntry(member, kind="junk", reason="system file")
    if unsafe_name(member):
        return ArchiveEntry(member, kind="unsafe", reason="unsafe path in archive")
    if _is_symlink(info):
        return ArchiveEntry(member, kind="unsafe", reason="symbolic link in archive")
    ext = os.path.splitext(member)[1].lower()
    if ext in ARCHIVE_EXTENSIONS:
        return ArchiveEntry(member, kind="nested", reason="archive inside an archive (not opened)")
    if ext not in IMAGE_EXTENSIONS:
        return ArchiveEntry(member, kind="not_image", reason="not a supported image")
    if info.flag_bits & 0x1:
        return ArchiveEntry(member, kind="damaged", reason="encrypted")
    if info.file_size > max_member_bytes:  # a cheap early refusal; the real count follows below
        return ArchiveEntry(member, kind="too_large", reason=f"too large ({info.file_size / 1e6:.0f} MB)")
    chunks, size = [], 0
    try:
        with zf.open(info) as stream:
            while True:
                chunk = stream.read(chunk_bytes)
                if not chunk:
                    break
                budget.spend(len(chunk))
                size += len(chunk)
                if size > max_member_bytes:
                    return ArchiveEntry(member, kind="too_large", reason="too large", bytes_read=size)
                chunks.append(chunk)
    except ArchiveError:
        raise
    except Exception:  # noqa: BLE001 - bad CRC, overlapped entries, unsupported compression, zlib errors
        return ArchiveEntry(member, kind="damaged", reason="damaged in the archive", bytes_read=size)
    data = b"".join(chunks)
    if looks_like_archive(data):
        return ArchiveEntry(member, kind="nested", reason="archive inside an archive (not opened)",
                            bytes_read=size)
    return ArchiveEntry(member, data=data, bytes_read=size)


def read_zip_images(source: ArchiveSource, archive_name: str | None = None, *,
                    max_entries: int = DEFAULT_MAX_ENTRIES,
                    max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES,
                    max_member_bytes: int = DEFAULT_MAX_MEMBER_BYTES,
                    chunk_bytes: int = CHUNK_BYTES) -> ZipContents:
    """All image members of a zip as (name, bytes) in memory, plus what was skipped and why.

    Same caps and errors as iter_zip; prefer iter_zip for big archives (one member in memory at a time).
    """
    out = ZipContents()
    for entry in iter_zip(source, archive_name, max_entries=max_entries, max_total_bytes=max_total_bytes,
                          max_member_bytes=max_member_bytes, chunk_bytes=chunk_bytes):
        out.bytes_read += entry.bytes_read
        if entry.data is not None:
            out.images.append((entry.name, entry.data))
        elif entry.kind == "junk":
            out.junk += 1
        else:
            out.skipped.append((entry.name, entry.reason))
    return out
