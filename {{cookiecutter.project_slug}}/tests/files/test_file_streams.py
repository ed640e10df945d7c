"""stream_to_file and the sha256 check: complete files or nothing, under errors and cancellation.

(`atomic_write` itself lives in `transfer` and is tested in tests/test_transfer.py.)
"""

import asyncio
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.files import (
    ChecksumMismatchError,
    FileTooLargeError,
    SizeLimitError,
    sha256_file,
    stream_to_file,
    verify_sha256,
)


async def chunks_of(data: bytes, size: int) -> AsyncIterator[bytes]:
    for offset in range(0, len(data), size):
        yield data[offset : offset + size]


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


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
    with pytest.raises(FileTooLargeError) as refused:
        await stream_to_file(chunks_of(b"x" * 10_000, 1000), tmp_path / "big", max_bytes=5000)
    assert leftovers(tmp_path) == []
    assert isinstance(refused.value, SizeLimitError), "one base for every too-large error"
    assert refused.value.limit == 5000


async def test_content_of_exactly_max_bytes_is_written(tmp_path: Path) -> None:
    written = await stream_to_file(chunks_of(b"x" * 5000, 1000), tmp_path / "f", max_bytes=5000)
    assert written.size == 5000


async def test_checksum_mismatch_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(ChecksumMismatchError):
        await stream_to_file(chunks_of(b"abc", 1), tmp_path / "f", expected_sha256="0" * 64)
    assert leftovers(tmp_path) == []


async def test_expected_checksum_is_accepted_in_any_case(tmp_path: Path) -> None:
    digest = hashlib.sha256(b"abc").hexdigest().upper()
    written = await stream_to_file(chunks_of(b"abc", 1), tmp_path / "f", expected_sha256=digest)
    assert written.sha256 == digest.lower()


async def test_verify_sha256_passes_chunks_through_unchanged() -> None:
    digest = hashlib.sha256(b"abcdef").hexdigest()
    assert [chunk async for chunk in verify_sha256(chunks_of(b"abcdef", 4), digest)] == [
        b"abcd",
        b"ef",
    ]


async def test_verify_sha256_fails_before_a_writer_can_publish(tmp_path: Path) -> None:
    """The mismatch is raised after the last chunk, so stream_to_file keeps nothing."""
    verified = verify_sha256(chunks_of(b"abc", 1), "0" * 64)
    with pytest.raises(ChecksumMismatchError) as mismatch:
        await stream_to_file(verified, tmp_path / "f")
    assert mismatch.value.actual == hashlib.sha256(b"abc").hexdigest()
    assert leftovers(tmp_path) == []
