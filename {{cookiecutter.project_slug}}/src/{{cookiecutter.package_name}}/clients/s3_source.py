"""s3:// download source: objects of the service's own bucket, read through its S3Client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from .sources import Download, SourceNotAllowedError, sanitise_filename

if TYPE_CHECKING:
    from yarl import URL

    from ..storage.s3_client import S3Client


class S3Source:
    """`s3://<bucket>/<key>` for the S3 client's bucket (and key prefix) only."""

    def __init__(self, s3: S3Client) -> None:
        self._s3 = s3

    @asynccontextmanager
    async def open(self, url: URL, chunk_size: int) -> AsyncIterator[Download]:
        key = url.path.lstrip("/")
        if url.host != self._s3.bucket or not key:
            raise SourceNotAllowedError(f"only s3://{self._s3.bucket}/<key> can be read")
        info = await self._s3.head(key)  # ObjectNotFound before anything is streamed
        chunks = self._s3.iter_object(key, chunk_size=chunk_size)
        try:
            yield Download(
                chunks=chunks,
                filename=sanitise_filename(PurePosixPath(key).name),
                size=info.size,
                content_type=info.content_type,
            )
        finally:
            await chunks.aclose()


__all__ = ["S3Source"]
