"""The byte sources an upload accepts, read as chunks so memory stays bounded."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterable
from typing import Protocol, runtime_checkable


@runtime_checkable
class AsyncReader(Protocol):
    """A file-like object with an async `read`: aiofiles files, aiohttp's StreamReader, ..."""

    async def read(self, size: int = -1, /) -> bytes: ...


# A plain (blocking) file is not accepted: open it with aiofiles{{ ', or use S3Client.upload_file' if cookiecutter.with_s3 }}.
ByteSource = AsyncIterable[bytes] | AsyncReader


async def iter_chunks(source: ByteSource, size: int) -> AsyncGenerator[bytes]:
    """Yield the non-empty chunks of `source`; readers are read `size` bytes at a time."""
    # Readers first: an aiofiles file is also async-iterable, but by lines.
    if isinstance(source, AsyncReader):
        while chunk := await source.read(size):
            yield chunk
        return
    async for chunk in source:
        if chunk:
            yield chunk


__all__ = ["AsyncReader", "ByteSource", "iter_chunks"]
