"""What moving bytes needs everywhere: one chunk size, one size limit, one atomic file write.

`files` and `storage` (the local backend and the S3 client alike) import these, so a chunk,
a "too large" error and a half-written file mean the same thing in every part of the service.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import aiofiles

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Callable, Iterator

    from aiofiles.threadpool.binary import AsyncBufferedIOBase

# Chosen with the files_copy benchmark: larger chunks stopped paying off around 1 MiB, and
# 1 MiB keeps a streamed request's memory small.
CHUNK_SIZE = 1024 * 1024


class SizeLimitError(Exception):
    """Base of every "content passed its size limit" error; `limit` is that limit in bytes."""

    limit: int


async def limit_size(
    chunks: AsyncIterable[bytes],
    max_bytes: int | None,
    too_large: Callable[[int], SizeLimitError],
) -> AsyncGenerator[bytes]:
    """Pass `chunks` through; raise `too_large(max_bytes)` once they pass `max_bytes` in total.

    The chunk that crosses the limit is not passed on, so a consumer never holds more than
    `max_bytes`. With `max_bytes=None` the chunks pass unchanged.
    """
    received = 0
    async for chunk in chunks:
        received += len(chunk)
        if max_bytes is not None and received > max_bytes:
            raise too_large(max_bytes)
        yield chunk


@asynccontextmanager
async def atomic_write(path: str | os.PathLike[str]) -> AsyncIterator[AsyncBufferedIOBase]:
    """Write to a temporary file beside `path`, then fsync and rename it into place.

    On any error or cancellation inside the block the temporary file is removed and `path`
    is left as it was. The temporary file lives in the same directory so the final rename is
    atomic (same filesystem).
    """
    target = Path(path)
    temporary = _temporary_beside(target)
    handle = await aiofiles.open(temporary, "xb")
    try:
        yield handle
        await handle.flush()
        await asyncio.to_thread(os.fsync, handle.fileno())
        await handle.close()
        await asyncio.to_thread(_publish, temporary, target)
    except BaseException:
        # Also on CancelledError: a cancelled upload must not leave a partial file.
        await handle.close()
        await asyncio.to_thread(temporary.unlink, missing_ok=True)
        raise


@contextmanager
def atomic_write_blocking(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """`atomic_write` for code already running in a worker thread (it blocks)."""
    target = Path(path)
    temporary = _temporary_beside(target)
    try:
        with temporary.open("xb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        _publish(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def fsync_directory(directory: Path) -> None:
    """Make a rename in `directory` durable (POSIX); a no-op where it cannot be opened.

    Blocking: call it from a worker thread.
    """
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _temporary_beside(target: Path) -> Path:
    # Hidden and random: listings skip it, and concurrent writers never share one.
    return target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")


def _publish(temporary: Path, target: Path) -> None:
    os.replace(temporary, target)
    fsync_directory(target.parent)


__all__ = [
    "CHUNK_SIZE",
    "SizeLimitError",
    "atomic_write",
    "atomic_write_blocking",
    "fsync_directory",
    "limit_size",
]
