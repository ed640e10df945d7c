"""Async directory and file operations (aioshutil / aiofiles run them off the event loop)."""

from __future__ import annotations

import asyncio
import shutil
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import aiofiles.os
import aiofiles.tempfile
import aioshutil

if TYPE_CHECKING:
    import os
    from collections.abc import AsyncIterator


async def copy(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> Path:
    """Copy a file's content (the kernel's fast path where it has one)."""
    return Path(await aioshutil.copyfile(src, dst))


async def move(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> Path:
    return Path(await aioshutil.move(src, dst))


async def rmtree(path: str | os.PathLike[str], *, missing_ok: bool = False) -> None:
    try:
        # A worker thread, as aioshutil would use: its rmtree wrapper is typed too narrowly
        # for Python 3.12+'s shutil.rmtree (mypy: "Too few arguments").
        await asyncio.to_thread(shutil.rmtree, path)
    except FileNotFoundError:
        if not missing_ok:
            raise


async def makedirs(path: str | os.PathLike[str]) -> Path:
    await aiofiles.os.makedirs(path, exist_ok=True)
    return Path(path)


@asynccontextmanager
async def temporary_directory(
    *, prefix: str = "tmp-", parent: str | os.PathLike[str] | None = None
) -> AsyncIterator[Path]:
    """A fresh directory, removed with everything in it when the block ends."""
    async with aiofiles.tempfile.TemporaryDirectory(prefix=prefix, dir=parent) as name:
        yield Path(name)


__all__ = ["copy", "makedirs", "move", "rmtree", "temporary_directory"]
