"""The `Storage` protocol: what the example API (or any caller) needs from an object store.

Every backend (a module of its own in this package) checks keys with `check_key`, streams in
fixed-size chunks and publishes an object only once it is complete: an upload that fails,
passes `max_bytes` or is cancelled leaves nothing behind.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import AsyncIterable

    from .models import ObjectInfo, ObjectPage, ObjectStream

# Where a caller does not say what an object holds.
DEFAULT_CONTENT_TYPE = "application/octet-stream"
# Page size bounds for `list_page` (S3 returns at most 1000 keys per request).
MAX_PAGE_SIZE = 1000


class Storage(Protocol):
    """An object store: keys to byte streams with a content type."""

    async def put_stream(
        self,
        key: str,
        chunks: AsyncIterable[bytes],
        *,
        content_type: str | None = None,
        max_bytes: int | None = None,
    ) -> ObjectInfo:
        """Store `chunks` under `key`, replacing any object there.

        Raises `ObjectTooLargeError` past `max_bytes`; errors raised by `chunks` itself
        propagate unchanged. Either way, and on cancellation, nothing is stored.
        """
        ...

    async def get_stream(self, key: str) -> ObjectStream:
        """Open `key` for reading (`ObjectNotFound` if it does not exist); close the result."""
        ...

    async def head(self, key: str) -> ObjectInfo:
        """Size, ETag, modification time and content type; `ObjectNotFound` if missing."""
        ...

    async def delete(self, key: str) -> None:
        """Delete `key`; deleting a missing key is not an error."""
        ...

    async def list_page(
        self, prefix: str = "", *, limit: int = 100, cursor: str | None = None
    ) -> ObjectPage:
        """Up to `limit` objects whose keys start with `prefix`, in key order.

        `cursor` is the `next_cursor` of the previous page (`InvalidCursorError` otherwise).
        """
        ...


__all__ = ["DEFAULT_CONTENT_TYPE", "MAX_PAGE_SIZE", "Storage"]
