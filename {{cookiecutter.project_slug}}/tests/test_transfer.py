"""The chunk size, the size limit and the atomic write that files/ and storage/ share."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.transfer import (
    SizeLimitError,
    atomic_write,
    atomic_write_blocking,
    limit_size,
)


class TooLarge(SizeLimitError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"over {limit}")
        self.limit = limit


async def chunks_of(data: bytes, size: int) -> AsyncIterator[bytes]:
    for offset in range(0, len(data), size):
        yield data[offset : offset + size]


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


async def test_limit_size_passes_content_up_to_the_limit() -> None:
    passed = [chunk async for chunk in limit_size(chunks_of(b"x" * 10, 4), 10, TooLarge)]
    assert passed == [b"xxxx", b"xxxx", b"xx"]


async def test_limit_size_raises_the_callers_error_before_the_crossing_chunk() -> None:
    """The consumer never receives more than the limit: the chunk that crosses it is held back."""
    passed: list[bytes] = []

    async def consume() -> None:
        async for chunk in limit_size(chunks_of(b"x" * 10, 4), 9, TooLarge):
            passed.append(chunk)

    with pytest.raises(TooLarge, match="over 9") as refused:
        await consume()
    assert passed == [b"xxxx", b"xxxx"]
    assert refused.value.limit == 9


async def test_limit_size_without_a_limit_passes_everything() -> None:
    passed = [chunk async for chunk in limit_size(chunks_of(b"y" * 9, 2), None, TooLarge)]
    assert b"".join(passed) == b"y" * 9


async def test_atomic_write_replaces_the_file_completely(tmp_path: Path) -> None:
    target = tmp_path / "report.bin"
    target.write_bytes(b"old")
    async with atomic_write(target) as handle:
        await handle.write(b"new content")
        assert target.read_bytes() == b"old", "readers see the old file until the rename"
    assert target.read_bytes() == b"new content"
    assert leftovers(tmp_path) == ["report.bin"]


async def test_error_inside_the_block_leaves_the_old_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "report.bin"
    target.write_bytes(b"old")

    async def write_then_fail() -> None:
        async with atomic_write(target) as handle:
            await handle.write(b"half")
            raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        await write_then_fail()
    assert target.read_bytes() == b"old"
    assert leftovers(tmp_path) == ["report.bin"]


async def test_cancellation_inside_the_block_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "report.bin"
    target.write_bytes(b"old")
    writing = asyncio.Event()

    async def write_slowly() -> None:
        async with atomic_write(target) as handle:
            await handle.write(b"half")
            writing.set()
            await asyncio.sleep(30)

    task = asyncio.create_task(write_slowly())
    await writing.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert target.read_bytes() == b"old"
    assert leftovers(tmp_path) == ["report.bin"]


def test_blocking_variant_follows_the_same_rule(tmp_path: Path) -> None:
    """Worker-thread code (LocalStorage's metadata) gets the same guarantee, without aiofiles."""
    target = tmp_path / "meta.json"
    target.write_bytes(b"old")
    with atomic_write_blocking(target) as file:
        file.write(b"new")
        assert target.read_bytes() == b"old"
    assert target.read_bytes() == b"new"

    def write_then_fail() -> None:
        with atomic_write_blocking(target) as file:
            file.write(b"half")
            raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        write_then_fail()
    assert target.read_bytes() == b"new"
    assert leftovers(tmp_path) == ["meta.json"]
