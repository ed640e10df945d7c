"""The byte sources an upload accepts, read as chunks so memory stays bounded."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator
from typing import Protocol, runtime_checkable


@runtime_checkable
class AsyncReader(Protocol):
    """A file-like object with an async `read`: aiofiles files, aiohttp's StreamReader, ..."""

    async def read(self, size: int = -1, /) -> bytes: ...


# A plain (blocking) file is not accepted: open it with aiofiles, or use S3Client.upload_file.
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


async def iter_parts(first: bytes, rest: AsyncIterator[bytes], size: int) -> AsyncGenerator[bytes]:
    """Regroup `first` + `rest` into blocks of exactly `size` bytes; the last may be shorter.

    Memory: the block being consumed plus less than one chunk of look-ahead (and, for the
    moment a block is cut, a second copy of it).
    """
    buffer = bytearray(first)
    while True:
        while len(buffer) >= size:
            block = bytes(buffer[:size])
            del buffer[:size]
            yield block
        chunk = await anext(rest, None)
        if chunk is None:
            break
        buffer += chunk
    if buffer:
        yield bytes(buffer)


__all__ = ["AsyncReader", "ByteSource", "iter_chunks", "iter_parts"]
