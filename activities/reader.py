"""Reading a run recorded by a watch or phone: FIT, GPX or TCX bytes in, a summary out.

Pure: no Telegram, no database, no clock. ``read(data, filename)`` returns an
:class:`Activity` or raises :class:`Unreadable` with a reason code the conversation turns
into words; a gzipped file (``run.fit.gz``) is unpacked first, up to the size limit. The
format is told by the content, not the name. Parsers are well-kept libraries: fitdecode
(FIT, activities/fit.py), gpxpy (GPX) and defusedxml's ElementTree (TCX, and a guard in
front of gpxpy: no DTD, no entities; activities/markup.py); activities/summary.py turns
what they read into a session. docs/watch-import.md says why, and how running is told from
walking.
"""

from __future__ import annotations

import gzip
import io
import zipfile
import zlib

from activities.fit import read_fit
from activities.markup import read_markup
from activities.summary import (  # noqa: F401  (the reader's face: codes, types, summarize)
    CORRUPT,
    EMPTY,
    FORMAT,
    MAX_BYTES,
    NO_TIMES,
    NOT_RUN,
    REASONS,
    TOO_LARGE,
    TOO_SHORT,
    Activity,
    Sample,
    Unreadable,
    summarize,
)

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
RECORDINGS = (".fit", ".gpx", ".tcx", ".fit.gz", ".gpx.gz", ".tcx.gz")


def read(data: bytes, filename: str | None = None) -> Activity:
    """The summary of a FIT, GPX or TCX recording; ``Unreadable`` otherwise."""
    if not data or not data.strip():
        raise Unreadable(EMPTY)
    if len(data) > MAX_BYTES:
        raise Unreadable(TOO_LARGE)
    name = filename or ""
    if data[:2] == GZIP_MAGIC:  # run.fit.gz, as in a Strava or Garmin bulk export
        data = _gunzip(data)
        name = name[:-3] if name.lower().endswith(".gz") else name
        if data[:2] == GZIP_MAGIC:
            raise Unreadable(FORMAT)
        return read(data, name)
    if data[:4] == ZIP_MAGIC:  # Garmin Connect's "Export Original": a .zip with the .fit
        inner, inner_name = _unzip(data)
        return read(inner, inner_name)
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if len(data) >= 12 and data[8:12] == b".FIT":
        return read_fit(data)
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return read_markup(data)
    if ext in ("fit", "gpx", "tcx"):
        raise Unreadable(CORRUPT)
    raise Unreadable(FORMAT)


def _unzip(data: bytes) -> tuple[bytes, str]:
    """The one recording in a zip archive (the first .fit, .gpx or .tcx, else the only
    file), read no further than the size limit."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            files = [i for i in archive.infolist() if not i.is_dir()]
            named = [i for i in files if i.filename.lower().endswith(RECORDINGS)]
            chosen = named[:1] or (files if len(files) == 1 else [])
            if not chosen:
                raise Unreadable(FORMAT)
            if chosen[0].file_size > MAX_BYTES:
                raise Unreadable(TOO_LARGE)
            with archive.open(chosen[0]) as member:
                content = member.read(MAX_BYTES + 1)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError) as exc:
        raise Unreadable(CORRUPT) from exc
    if len(content) > MAX_BYTES:
        raise Unreadable(TOO_LARGE)
    if content[:4] == ZIP_MAGIC:
        raise Unreadable(FORMAT)  # a zip in a zip: not what an app exports
    return content, chosen[0].filename


def _gunzip(data: bytes) -> bytes:
    """A gzipped file's content, read no further than the size limit (a gzip bomb stops
    there)."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as unpacked:
            content = unpacked.read(MAX_BYTES + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise Unreadable(CORRUPT) from exc
    if len(content) > MAX_BYTES:
        raise Unreadable(TOO_LARGE)
    return content
