"""What DownloadClient reads from: the Source protocol, the Download it opens, its errors.

DownloadClient reads http(s):// and file:// itself; other schemes come from sources passed
in by scheme (`sources={"s3": S3Source(s3)}`), so an optional backend brings its own module.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Protocol

from yarl import URL

from ..files import check_relative

FALLBACK_FILENAME = "download"
_UNSAFE_FILENAME_CHARS = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


class DownloadError(Exception):
    """Base of the errors a download raises besides the HTTP client's own."""


class SourceNotAllowedError(DownloadError):
    """The scheme, address or path of the source (or of a redirect) is not allowed."""


class DownloadTooLargeError(DownloadError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"download exceeds {limit} bytes")
        self.limit = limit


@dataclass
class Download:
    """An open source: its chunks can be read once."""

    chunks: AsyncIterator[bytes]
    filename: str
    size: int | None
    content_type: str | None


class Source(Protocol):
    """Opens URLs of one scheme; DownloadClient applies the size cap to what it yields."""

    def open(self, url: URL, chunk_size: int) -> AbstractAsyncContextManager[Download]:
        """The open source; SourceNotAllowedError when this URL may not be read."""
        ...


def sanitise_filename(name: str | None) -> str:
    """A plain file name from untrusted input (URL path or Content-Disposition)."""
    name = unicodedata.normalize("NFC", name or "")
    name = PurePosixPath(name.replace("\\", "/")).name
    name = _UNSAFE_FILENAME_CHARS.sub("_", name).strip(" .")
    while len(name.encode()) > 255:
        name = name[:-1]
    try:
        check_relative(name)
    except ValueError:
        return FALLBACK_FILENAME
    return name


__all__ = [
    "FALLBACK_FILENAME",
    "Download",
    "DownloadError",
    "DownloadTooLargeError",
    "Source",
    "SourceNotAllowedError",
    "sanitise_filename",
]
