"""The byte sources an upload accepts, read and regrouped as chunks so memory stays bounded."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator
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


async def prepend(head: list[bytes], rest: AsyncIterator[bytes]) -> AsyncGenerator[bytes]:
    """Yield the chunks of `head`, then those of `rest`; `head` is emptied as it goes."""
    head.reverse()
    while head:
        yield head.pop()
    async for chunk in rest:
        yield chunk


async def iter_parts(chunks: AsyncIterator[bytes], size: int) -> AsyncGenerator[bytes]:
    """Regroup `chunks` into blocks of exactly `size` bytes; the last may be shorter.

    Holds one block: while the consumer has it, nothing else is read; the next one is joined
    from pending chunks only after the consumer let go of it.
    """
    pending: list[bytes] = []
    pending_size = 0
    async for chunk in chunks:
        while chunk:
            take = size - pending_size
            piece, chunk = (chunk, b"") if len(chunk) <= take else (chunk[:take], chunk[take:])
            pending.append(piece)
            pending_size += len(piece)
            if pending_size == size:
                block = b"".join(pending)
                pending.clear()
                pending_size = 0
                yield block
                del block  # before the next block is joined, not after
    if pending:
        yield b"".join(pending)


__all__ = ["AsyncReader", "ByteSource", "iter_chunks", "iter_parts", "prepend"]
