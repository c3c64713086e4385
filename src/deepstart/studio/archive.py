"""A dropped .zip, extracted safely. It is judged before it is parsed: the end-of-archive
record says how many entries the central directory lists and how large it is, and an
archive beyond the limits is refused from those few bytes (zipfile would read every
entry into memory first). Then every entry is checked before one byte is written: no
absolute paths or '..', no links, no encrypted entries, no file and folder of one name,
and a bounded size and compression ratio, for each file and for the whole. What a
Finder or Explorer adds (__MACOSX/, .DS_Store, Thumbs.db) is left out."""

from __future__ import annotations

import re
import stat
import struct
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from ..errors import DataError
from .workspace import CHUNK, Limits, clean_parts, left_out

END = b"PK\x05\x06"  # the end-of-central-directory record (22 bytes + a comment)
END64_LOCATOR, END64 = b"PK\x06\x07", b"PK\x06\x06"  # where a ZIP64 archive keeps its counts
DIRECTORY_BYTES = 1024  # central-directory bytes allowed per entry (46 + the name, extra, comment)


def extract_zip(archive: Path, into: Path, limits: Limits) -> None:
    """The archive's files into the folder, after the checks above; the bytes written
    are counted too, whatever the archive claims."""
    entries, size = directory_size(archive)
    if entries > limits.max_files:
        raise DataError(
            f"The .zip file lists {entries:,} entries, more than {limits.max_files:,}; send fewer files."
        )
    if size > DIRECTORY_BYTES * max(entries, 1):
        raise DataError("The .zip file's list of contents is far larger than its files need; make it again.")
    try:
        zipped = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise DataError("The .zip file cannot be read; send a valid .zip archive.") from None
    with zipped:
        kept = [e for e in zipped.infolist() if not e.is_dir() and not left_out(e.filename)]
        _check_entries(kept, limits)
        written = 0
        for entry in kept:
            target = into.joinpath(*clean_parts(entry.filename))
            target.parent.mkdir(parents=True, exist_ok=True)
            written = _copy(zipped, entry, target, written, limits.max_upload)


def directory_size(archive: Path) -> tuple[int, int]:
    """(entries, bytes) of the archive's central directory, from its end records alone."""
    with open(archive, "rb") as f:
        length = f.seek(0, 2)
        f.seek(max(0, length - (22 + 0xFFFF + 20)))  # the record, the longest comment, a ZIP64 locator
        tail = f.read()
        at = tail.rfind(END)
        if at < 0 or len(tail) - at < 22:
            raise DataError("The .zip file cannot be read (it has no end record); send a valid .zip archive.")
        entries, size = struct.unpack("<HLL", tail[at + 10 : at + 20])[0:2]
        if entries == 0xFFFF or size == 0xFFFFFFFF:  # ZIP64: the real counts are elsewhere
            locator = tail[at - 20 : at] if at >= 20 else b""
            if locator[:4] == END64_LOCATOR:
                f.seek(struct.unpack("<Q", locator[8:16])[0])
                record = f.read(56)
                if record[:4] == END64 and len(record) == 56:
                    entries, size = struct.unpack("<QQ", record[32:48])
    return entries, size


def _check_entries(entries: list, limits: Limits) -> None:
    total = packed = 0
    for e in entries:
        name = e.filename.replace("\\", "/")
        if name.startswith("/") or ".." in PurePosixPath(name).parts or re.match(r"^[A-Za-z]:", name):
            raise DataError(f"The .zip file holds a path that leads out of its folder ({name[:80]!r}).")
        if stat.S_ISLNK(e.external_attr >> 16):
            raise DataError(f"The .zip file holds a link ({name[:80]!r}); send plain files.")
        if e.flag_bits & 0x1:
            raise DataError(
                f"The .zip file holds files under a password ({name[:80]!r}); zip them without one."
            )
        total, packed = total + e.file_size, packed + e.compress_size
        if e.file_size > limits.max_ratio * max(e.compress_size, 1) and e.file_size > CHUNK:
            raise DataError("The .zip file expands far beyond its size (a zip bomb?); it was not opened.")
    if total > limits.max_ratio * max(packed, 1) and total > CHUNK:
        raise DataError("The .zip file expands far beyond its size (a zip bomb?); it was not opened.")
    if total > limits.max_upload:
        raise DataError("The .zip file expands to more than the limit; send less data.")
    _check_names(entries)


def _check_names(entries: list) -> None:
    """No file that is also a folder of other files (a/b and a/b/c.png)."""
    files = {tuple(clean_parts(e.filename)) for e in entries}
    folders = {parts[:i] for parts in files for i in range(1, len(parts))}
    both = sorted(files & folders)
    if both:
        raise DataError(
            f"The .zip file holds a file and a folder of the same name ({'/'.join(both[0])!r}); rename one."
        )


def _copy(zipped: zipfile.ZipFile, entry, target: Path, written: int, limit: int) -> int:
    """One entry's bytes into target; the running count of bytes written."""
    try:
        with zipped.open(entry) as source, open(target, "wb") as out:
            while chunk := source.read(CHUNK):
                written += len(chunk)
                if written > limit:
                    raise DataError("The .zip file expands to more than the limit; send less data.")
                out.write(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError) as e:
        why = "fails its checksum" if "CRC" in str(e) else "is damaged"
        raise DataError(f"The .zip file's entry {entry.filename[:80]!r} {why}; make it again.") from None
    except NotImplementedError:
        raise DataError(
            f"The .zip file's entry {entry.filename[:80]!r} is compressed in a way that cannot be read here; "
            "make the .zip again with ordinary (deflate) compression."
        ) from None
    return written
