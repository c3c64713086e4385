"""Inputs named by URIs (s3://, gs://, gcs://, hdfs://, abfs://, file://) for predict
--cluster, through pyarrow's file systems (those Ray Data reads through): the driver lists
the objects below each URI (files only, hidden names skipped as the local readers skip
them); the Ray actors read each object's bytes themselves, with their node's own
credentials, at most MAX_DATA_FILE bytes as local files are read. The bytes reach the
model as uploads do; an object is named by its URI."""

from __future__ import annotations

import errno
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import quote

from ..errors import ConfigError, DataError
from ..files import MAX_DATA_FILE, NotReadable
from ..log import redacted

URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+://")
SAFE = "/~!$&'()*+,;=:@"  # kept as they are in an object's URI; spaces, %, ?, # and others escaped
CHUNK = 16 * 2**20  # bytes asked of the store at a time: a picture is read in one request


def is_uri(value) -> bool:
    """A string that names its storage's scheme (s3://...), not a path on this machine."""
    return isinstance(value, str) and URI.match(value) is not None


def without_cluster(inputs, modality) -> None:
    """A model that reads files is given a URI without --cluster: one line says what to do."""
    uri = next((v for v in inputs if is_uri(v)), None)
    if uri is not None and modality.service.uploads:
        raise ConfigError(
            f"{_named(uri)} is a URI: predict reads objects from storage only on a cluster; add --cluster "
            "(e.g. --cluster local:2 --out preds.parquet), or copy them here and give their folder."
        )


@dataclass(frozen=True)
class Listed:
    """The objects below some URIs, in order: each read by the actors from roots[root]'s
    file system at path (size: bytes, -1 when the store does not say)."""

    roots: list[str]
    rows: list[dict]  # {"i", "root", "path", "size"}
    names: list[str]  # each object's URI


def list_objects(uris: list[str]) -> Listed:
    """Every file below each URI (or the object it names); refused in one line: a URI
    whose file system pyarrow cannot open, one with nothing to read."""
    from pyarrow.fs import FileSelector, FileType

    rows, names = [], []
    for root, uri in enumerate(uris):
        fs, top = file_system(uri)
        try:
            found = fs.get_file_info(top)
            if found.type == FileType.Directory:
                found = fs.get_file_info(FileSelector(top, recursive=True))
            else:
                found = [found]
        except (OSError, ValueError) as e:  # pyarrow's errors are OSError (I/O) or ValueError
            raise ConfigError(f"{_named(uri)} cannot be listed ({_first_line(e)}); {_check(uri)}") from None
        base = _named(uri.split("?", 1)[0].rstrip("/"), None)  # a query (?region=...) chooses the store
        objects = sorted((f.path, f.size) for f in found if f.type == FileType.File and _shown(f.path, top))
        if not objects:
            raise DataError(
                f"No files found at {_named(uri)} (hidden names are skipped); name a prefix or folder of "
                "files."
            )
        for path, size in objects:
            inside = path[len(top) :].strip("/") if path.startswith(top) else ""
            rows.append({"i": len(rows), "root": root, "path": path, "size": -1 if size is None else size})
            names.append(f"{base}/{quote(inside, safe=SAFE)}" if inside else base)
    return Listed(list(uris), rows, names)


def file_system(uri: str):
    """(pyarrow's file system for uri, the path in it), or one line saying why not."""
    from pyarrow.fs import FileSystem

    try:
        return FileSystem.from_uri(uri)
    except (OSError, ValueError, NotImplementedError) as e:  # unknown scheme, no credentials, no client
        raise ConfigError(
            f"{_named(uri)}: pyarrow cannot open its storage ({_first_line(e)}); {_check(uri)}"
        ) from None


def read_object(fs, path: str, size: int, limit: int = MAX_DATA_FILE) -> bytes:
    """An object's bytes as stored (never decompressed), at most limit of them; NotReadable
    when it is larger, OSError as the store gives it (missing, access denied)."""
    if size > limit:
        raise NotReadable(errno.EFBIG, f"larger than {limit:,} bytes", path)
    chunks, total = [], 0
    with fs.open_input_stream(path, compression=None) as stream:
        while chunk := stream.read(min(CHUNK, limit + 1 - total)):
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:  # it grew since it was listed
                raise NotReadable(errno.EFBIG, f"larger than {limit:,} bytes", path)
    return b"".join(chunks)


def reason(error: OSError) -> str:
    """Why an object was not read, as a prediction's error."""
    return str(error) if isinstance(error, NotReadable) else f"cannot be read ({_first_line(error)})"


def _shown(path: str, top: str) -> bool:
    """Not hidden below top: no part of its name starts with '.' (nor is Thumbs.db...)."""
    from ..data.images import is_hidden

    inside = path[len(top) :] if path.startswith(top) else PurePosixPath(path).name
    return not any(is_hidden(PurePosixPath(part)) for part in PurePosixPath(inside).parts if part != "/")


def _named(uri: str, most: int | None = 200) -> str:
    """A URI as messages and the predictions name it: its password (s3://KEY:SECRET@bucket)
    written as ***, at most most characters."""
    return redacted(uri)[:most]


def _check(uri: str) -> str:
    scheme = uri.split("://", 1)[0].lower()
    return (
        f"check the URI and this machine's credentials for {scheme}:// (pyarrow reads s3, gs, gcs, hdfs, "
        "abfs and file URIs)"
    )


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return redacted(lines[0])[:160] if lines else type(error).__name__
