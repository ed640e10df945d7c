"""What the storage API returns about objects: their description, a listing page, a read stream."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class ObjectInfo:
    """One object. `key` is relative to the backend's root (S3: its key prefix).

    Listings carry no content type or metadata (S3 does not return them there); `head` does.
    """

    key: str
    size: int
    etag: str
    last_modified: datetime | None = None
    content_type: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ObjectPage:
    """One page of a listing, in key order; `next_cursor` is None on the last page."""

    items: tuple[ObjectInfo, ...]
    next_cursor: str | None = None


@dataclass
class ObjectStream:
    """An object being read: `info` describes exactly the bytes `chunks` yields.

    It holds an open file or connection until `aclose()` (also after a partial read), so use
    it as `async with await storage.get_stream(key) as stream:` or close it yourself.
    """

    info: ObjectInfo
    chunks: AsyncIterator[bytes]
    close: Callable[[], Awaitable[None]]
    _closed: bool = field(default=False, init=False, repr=False)

    async def aclose(self) -> None:
        """Release the file or connection; safe to call more than once."""
        if not self._closed:
            self._closed = True
            await self.close()

    async def __aenter__(self) -> ObjectStream:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


__all__ = ["ObjectInfo", "ObjectPage", "ObjectStream"]
