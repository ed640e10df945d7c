"""Atomic file writes: readers see the old file or the complete new one, never a part."""

from __future__ import annotations

import asyncio
import os
import secrets
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

import aiofiles
import aiofiles.os

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from aiofiles.threadpool.binary import AsyncBufferedIOBase


@asynccontextmanager
async def atomic_write(path: str | os.PathLike[str]) -> AsyncIterator[AsyncBufferedIOBase]:
    """Write to a temporary file beside `path`, then fsync and rename it into place.

    On any error or cancellation inside the block the temporary file is removed and `path`
    is left as it was. The temporary file lives in the same directory so the final rename is
    atomic (same filesystem).
    """
    target = Path(path)
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    handle = await aiofiles.open(temporary, "xb")
    try:
        yield handle
        await handle.flush()
        await asyncio.to_thread(os.fsync, handle.fileno())
        await handle.close()
        await aiofiles.os.replace(temporary, target)
    except BaseException:
        # Also on CancelledError: a cancelled upload must not leave a partial file.
        await handle.close()
        with suppress(FileNotFoundError):
            await aiofiles.os.remove(temporary)
        raise
    await _fsync_directory(target.parent)


async def _fsync_directory(directory: Path) -> None:
    await asyncio.to_thread(fsync_directory, directory)


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


__all__ = ["atomic_write", "fsync_directory"]
