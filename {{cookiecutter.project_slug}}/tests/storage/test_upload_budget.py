"""The upload buffer budget: uploads wait their turn, give up as busy, and always pay back.

The budget alone first (real asyncio, no S3), then S3Client uploads against moto's server.
"""

import asyncio
import os
from collections.abc import AsyncIterator

import aioboto3
import pytest
from pydantic import ValidationError
from types_aiobotocore_s3 import S3Client as BotoS3Client

from {{ cookiecutter.package_name }}.features.s3 import S3Settings
from {{ cookiecutter.package_name }}.storage import StorageBusyError
from {{ cookiecutter.package_name }}.storage.s3_client import S3Client
from {{ cookiecutter.package_name }}.storage.upload_budget import UploadBudget

from .conftest import MIB, PART, chunked, sha256


class SourceFailed(Exception):
    """Raised by a test source part-way through."""


async def test_reservations_are_served_in_arrival_order() -> None:
    budget = UploadBudget(10, wait_seconds=5)
    await budget.acquire(8)
    order: list[str] = []

    async def take(name: str, nbytes: int) -> None:
        await budget.acquire(nbytes)
        order.append(name)

    big = asyncio.create_task(take("big", 6))
    await asyncio.sleep(0)
    small = asyncio.create_task(take("small", 1))
    await asyncio.sleep(0.05)
    # 2 bytes are free: enough for "small", but "big" came first and small ones do not pass it.
    assert order == []
    budget.release(8)
    await asyncio.gather(big, small)
    assert order == ["big", "small"]
    assert budget.available == 3


async def test_a_wait_past_the_limit_is_busy_and_takes_nothing() -> None:
    budget = UploadBudget(10, wait_seconds=0.1)
    async with budget.reserve(7):
        with pytest.raises(StorageBusyError) as caught:
            await budget.acquire(5, key="k")
        assert budget.available == 3
    assert caught.value.retry_after == 1
    assert caught.value.key == "k"
    assert budget.available == 10


async def test_a_cancelled_waiter_leaves_and_lets_the_next_one_through() -> None:
    budget = UploadBudget(10, wait_seconds=5)
    await budget.acquire(6)
    blocked = asyncio.create_task(budget.acquire(8))
    await asyncio.sleep(0.01)
    behind = asyncio.create_task(budget.acquire(4))
    await asyncio.sleep(0.01)
    assert not behind.done(), "waits behind the larger reservation"
    blocked.cancel()
    await asyncio.gather(blocked, return_exceptions=True)
    await asyncio.wait_for(behind, timeout=1)
    assert budget.available == 0
    budget.release(6)
    budget.release(4)
    assert budget.available == 10


def test_a_reservation_larger_than_the_budget_is_a_programming_error() -> None:
    budget = UploadBudget(10, wait_seconds=0)
    with pytest.raises(ValueError, match="between 1 and 10"):
        asyncio.run(budget.acquire(11))
    with pytest.raises(RuntimeError, match="more upload budget released"):
        budget.release(1)


def test_the_budget_must_hold_one_upload() -> None:
    with pytest.raises(ValidationError, match="upload_buffer_bytes"):
        S3Settings(upload_buffer_bytes=6 * MIB, multipart_part_size=8 * MIB)
    with pytest.raises(ValidationError, match="upload_buffer_bytes"):
        S3Settings(upload_buffer_bytes=6 * MIB, multipart_threshold=7 * MIB)
    assert S3Settings().upload_buffer_bytes >= 8 * MIB


def budgeted(settings: S3Settings, budget: int, wait: float) -> S3Settings:
    return settings.model_copy(
        update={"upload_buffer_bytes": budget, "upload_buffer_wait_seconds": wait}
    )


async def leftovers(raw_s3: BotoS3Client, bucket: str) -> list[str]:
    listing, uploads = await asyncio.gather(
        raw_s3.list_objects_v2(Bucket=bucket), raw_s3.list_multipart_uploads(Bucket=bucket)
    )
    return sorted(
        [item["Key"] for item in listing.get("Contents", [])]
        + [f"upload:{item['Key']}" for item in uploads.get("Uploads", [])]
    )


async def test_concurrent_uploads_take_turns_within_the_budget(
    small_parts: S3Settings, boto_session: aioboto3.Session
) -> None:
    """Two uploads' worth of budget: six uploads all complete, never more than two reading."""
    reading = 0
    most_reading = 0

    async def counted(data: bytes) -> AsyncIterator[bytes]:
        nonlocal reading, most_reading
        reading += 1
        most_reading = max(most_reading, reading)
        try:
            async for chunk in chunked(data, 700_001):
                await asyncio.sleep(0)
                yield chunk
        finally:
            reading -= 1

    sizes = [PART + 1, PART, 2 * PART + 3, MIB, PART + 1, 3]
    blobs = [os.urandom(size) for size in sizes]
    settings = budgeted(small_parts, 2 * PART, wait=60)
    async with S3Client(settings, session=boto_session) as s3:
        infos = await asyncio.gather(
            *(s3.put_stream(f"o{i}", counted(blob)) for i, blob in enumerate(blobs))
        )
        assert [info.size for info in infos] == sizes
        for i, blob in enumerate(blobs):
            assert sha256(await s3.get_bytes(f"o{i}")) == sha256(blob)
        assert s3.upload_budget.available == 2 * PART
    assert most_reading == 2


async def test_a_known_size_reserves_only_that_much(
    small_parts: S3Settings, boto_session: aioboto3.Session
) -> None:
    """With the budget held but for 1 MiB, an upload bounded to 1 MiB still goes through."""
    settings = budgeted(small_parts, PART, wait=0.2)
    async with S3Client(settings, session=boto_session) as s3:
        await s3.upload_budget.acquire(PART - MIB)
        await s3.put_stream("small", chunked(b"x" * MIB, 65536), max_size=MIB)
        with pytest.raises(StorageBusyError):
            await s3.put_stream("unbounded", chunked(b"x", 1))
        s3.upload_budget.release(PART - MIB)
        assert s3.upload_budget.available == PART


async def test_no_budget_in_time_is_busy_before_a_byte_is_read(
    small_parts: S3Settings, boto_session: aioboto3.Session, raw_s3: BotoS3Client
) -> None:
    read = False

    async def source() -> AsyncIterator[bytes]:
        nonlocal read
        read = True
        yield b"never"

    settings = budgeted(small_parts, PART, wait=0.1)
    async with S3Client(settings, session=boto_session) as s3:
        async with s3.upload_budget.reserve(PART):
            with pytest.raises(StorageBusyError) as caught:
                await s3.put_stream("busy.bin", source())
        assert s3.upload_budget.available == PART
    assert caught.value.retry_after == 1
    assert caught.value.operation == "put"
    assert not read
    assert await leftovers(raw_s3, small_parts.bucket) == []


async def test_failed_and_cancelled_uploads_give_their_budget_back(
    small_parts: S3Settings, boto_session: aioboto3.Session, raw_s3: BotoS3Client
) -> None:
    started = asyncio.Event()

    async def fails_after_a_part() -> AsyncIterator[bytes]:
        for _ in range(PART // MIB + 1):
            yield os.urandom(MIB)
        raise SourceFailed

    async def stalls_after_a_part() -> AsyncIterator[bytes]:
        for _ in range(PART // MIB + 1):
            yield os.urandom(MIB)
        started.set()
        await asyncio.Event().wait()
        yield b""

    async def small_then_fails() -> AsyncIterator[bytes]:
        yield b"abc"
        raise SourceFailed

    settings = budgeted(small_parts, PART, wait=5)
    async with S3Client(settings, session=boto_session) as s3:
        with pytest.raises(SourceFailed):
            await s3.put_stream("multi", fails_after_a_part())
        assert s3.upload_budget.available == PART
        with pytest.raises(SourceFailed):
            await s3.put_stream("single", small_then_fails())
        assert s3.upload_budget.available == PART
        upload = asyncio.create_task(s3.put_stream("stalled", stalls_after_a_part()))
        await asyncio.wait_for(started.wait(), timeout=30)
        assert s3.upload_budget.available == 0
        upload.cancel()
        await asyncio.gather(upload, return_exceptions=True)
        assert s3.upload_budget.available == PART
        # The whole budget is there: a full-size upload starts at once.
        await s3.put_stream("after", chunked(os.urandom(PART), MIB))
    assert await leftovers(raw_s3, small_parts.bucket) == ["after"]


@pytest.mark.parametrize(
    "chunk_size",
    [PART + 1, 2 * PART + 7, 64 * 1024],
    ids=["crossing-by-one", "one-chunk-for-all", "small-chunks"],
)
async def test_parts_from_one_reused_buffer_round_trip(s3: S3Client, chunk_size: int) -> None:
    """However the chunks fall around the threshold, every part carries the right bytes."""
    data = os.urandom(2 * PART + 7)
    info = await s3.put_stream("reused.bin", chunked(data, chunk_size))
    assert (info.size, info.etag.endswith("-3")) == (len(data), True), info
    assert sha256(await s3.get_bytes("reused.bin")) == sha256(data)
