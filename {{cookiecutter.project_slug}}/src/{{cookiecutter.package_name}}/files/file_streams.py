"""Streaming files in and out in fixed-size chunks, with size limits and sha256."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import aiofiles

from ..transfer import CHUNK_SIZE, atomic_write, limit_size
from .errors import ChecksumMismatchError, FileTooLargeError

if TYPE_CHECKING:
    import os
    from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator


@dataclass(frozen=True)
class WrittenFile:
    size: int
    sha256: str


async def stream_to_file(
    chunks: AsyncIterable[bytes],
    path: str | os.PathLike[str],
    *,
    max_bytes: int | None = None,
    expected_sha256: str | None = None,
) -> WrittenFile:
    """Write `chunks` to `path` atomically; returns its size and sha256.

    Nothing is left at `path` (or beside it) when the stream fails, is cancelled, passes
    `max_bytes` or does not match `expected_sha256`.
    """
    digest = hashlib.sha256()
    size = 0
    async with atomic_write(path) as handle:
        async for chunk in limit_size(chunks, max_bytes, FileTooLargeError):
            size += len(chunk)
            digest.update(chunk)
            await handle.write(chunk)
        actual = digest.hexdigest()
        check_sha256(actual, expected_sha256)
    return WrittenFile(size=size, sha256=actual)


def check_sha256(actual: str, expected: str | None) -> None:
    """Raise `ChecksumMismatchError` unless `actual` is `expected` (hex, any case) or None."""
    if expected is not None and actual != expected.lower():
        raise ChecksumMismatchError(expected, actual)


async def verify_sha256(chunks: AsyncIterable[bytes], expected: str) -> AsyncGenerator[bytes]:
    """Pass `chunks` through; after the last one, raise if their sha256 is not `expected`.

    The error comes before the consumer sees the end of the stream, so a writer that
    publishes only on completion (`stream_to_file`, `Storage.put_stream`) publishes nothing.
    """
    digest = hashlib.sha256()
    async for chunk in chunks:
        digest.update(chunk)
        yield chunk
    check_sha256(digest.hexdigest(), expected)


async def iter_file(
    path: str | os.PathLike[str], *, chunk_size: int = CHUNK_SIZE
) -> AsyncIterator[bytes]:
    """Yield the content of `path` in chunks of at most `chunk_size` bytes."""
    async with aiofiles.open(path, "rb") as handle:
        while chunk := await handle.read(chunk_size):
            yield chunk


async def sha256_file(path: str | os.PathLike[str], *, chunk_size: int = CHUNK_SIZE) -> str:
    digest = hashlib.sha256()
    async for chunk in iter_file(path, chunk_size=chunk_size):
        digest.update(chunk)
    return digest.hexdigest()


__all__ = [
    "WrittenFile",
    "check_sha256",
    "iter_file",
    "sha256_file",
    "stream_to_file",
    "verify_sha256",
]
