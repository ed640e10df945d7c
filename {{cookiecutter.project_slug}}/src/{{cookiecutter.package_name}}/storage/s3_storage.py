"""S3Storage: the `Storage` protocol over an open `S3Client` (which the caller owns)."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from ..transfer import limit_size
from .errors import ObjectTooLargeError
from .keys import check_key, decode_cursor, encode_cursor
from .models import ObjectPage

if TYPE_CHECKING:
    from collections.abc import AsyncIterable

    from .models import ObjectInfo, ObjectStream
    from .s3_client import S3Client


class S3Storage:
    """Objects in the client's bucket, below its key prefix.

    Uploads above the multipart threshold go up in parts and are aborted when the source
    fails, passes `max_bytes` or is cancelled: S3 keeps neither an object nor parts. Every
    upload first reserves its buffer from the client's `upload_budget` (`StorageBusyError`
    when the process holds too many uploads already).
    """

    def __init__(self, client: S3Client) -> None:
        self.client = client

    def __repr__(self) -> str:
        return f"S3Storage({self.client!r})"

    async def put_stream(
        self,
        key: str,
        chunks: AsyncIterable[bytes],
        *,
        content_type: str | None = None,
        max_bytes: int | None = None,
    ) -> ObjectInfo:
        check_key(key)
        limited = limit_size(chunks, max_bytes, partial(ObjectTooLargeError, key=key))
        return await self.client.put_stream(
            key, limited, content_type=content_type, max_size=max_bytes
        )

    async def get_stream(self, key: str) -> ObjectStream:
        return await self.client.open_stream(check_key(key))

    async def head(self, key: str) -> ObjectInfo:
        return await self.client.head(check_key(key))

    async def delete(self, key: str) -> None:
        await self.client.delete(check_key(key))

    async def list_page(
        self, prefix: str = "", *, limit: int = 100, cursor: str | None = None
    ) -> ObjectPage:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        after = decode_cursor(cursor) if cursor is not None else None
        items, truncated = await self.client.list_after(prefix, limit=limit, start_after=after)
        next_cursor = encode_cursor(items[-1].key) if truncated and items else None
        return ObjectPage(items=tuple(items), next_cursor=next_cursor)


__all__ = ["S3Storage"]
