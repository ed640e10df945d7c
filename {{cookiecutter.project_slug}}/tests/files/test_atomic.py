"""atomic_write and stream_to_file: complete files or nothing, under errors and cancellation."""

import asyncio
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.files import (
    ChecksumMismatchError,
    FileTooLargeError,
    atomic_write,
    sha256_file,
    stream_to_file,
)


async def chunks_of(data: bytes, size: int) -> AsyncIterator[bytes]:
    for offset in range(0, len(data), size):
        yield data[offset : offset + size]


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


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


async def test_cancellation_mid_stream_leaves_nothing(tmp_path: Path) -> None:
    started = asyncio.Event()

    async def slow_chunks() -> AsyncIterator[bytes]:
        yield b"first chunk"
        started.set()
        await asyncio.sleep(30)
        yield b"never"

    task = asyncio.create_task(stream_to_file(slow_chunks(), tmp_path / "upload.bin"))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert leftovers(tmp_path) == []


async def test_stream_to_file_reports_size_and_sha256(tmp_path: Path) -> None:
    data = bytes(range(256)) * 5000
    written = await stream_to_file(chunks_of(data, 4096), tmp_path / "blob")
    assert written.size == len(data)
    assert written.sha256 == hashlib.sha256(data).hexdigest()
    assert await sha256_file(tmp_path / "blob") == written.sha256
    assert (tmp_path / "blob").read_bytes() == data


async def test_size_limit_stops_the_stream_and_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(FileTooLargeError):
        await stream_to_file(chunks_of(b"x" * 10_000, 1000), tmp_path / "big", max_bytes=5000)
    assert leftovers(tmp_path) == []


async def test_checksum_mismatch_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(ChecksumMismatchError):
        await stream_to_file(chunks_of(b"abc", 1), tmp_path / "f", expected_sha256="0" * 64)
    assert leftovers(tmp_path) == []


async def test_expected_checksum_is_accepted_in_any_case(tmp_path: Path) -> None:
    digest = hashlib.sha256(b"abc").hexdigest().upper()
    written = await stream_to_file(chunks_of(b"abc", 1), tmp_path / "f", expected_sha256=digest)
    assert written.sha256 == digest.lower()
