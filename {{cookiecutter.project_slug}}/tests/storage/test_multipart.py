"""A multipart upload either completes or leaves nothing behind: no object, no pending parts."""

import asyncio
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import aioboto3
import aiohttp
import pytest
from botocore.exceptions import ClientError
from types_aiobotocore_s3 import S3Client as BotoS3Client

from {{ cookiecutter.package_name }}.features.s3 import S3Settings
from {{ cookiecutter.package_name }}.storage import ObjectTooLargeError, StorageError
from {{ cookiecutter.package_name }}.storage import s3_client as s3_module
from {{ cookiecutter.package_name }}.storage.s3_client import S3Client
from {{ cookiecutter.package_name }}.storage.s3_storage import S3Storage
from {{ cookiecutter.package_name }}.transfer import SizeLimitError

from ..relay import Relay
from .conftest import MIB, PART, chunked


class SourceFailed(Exception):
    """Raised by a test source after it has fed two parts."""


async def pending_uploads(raw_s3: BotoS3Client, bucket: str) -> list[str]:
    response = await raw_s3.list_multipart_uploads(Bucket=bucket)
    return [upload["UploadId"] for upload in response.get("Uploads", [])]


async def uploaded_parts(raw_s3: BotoS3Client, bucket: str) -> int:
    """How many parts the one pending upload in `bucket` holds."""
    (upload_id,) = await pending_uploads(raw_s3, bucket)
    response = await raw_s3.list_parts(Bucket=bucket, Key="big.bin", UploadId=upload_id)
    return len(response.get("Parts", []))


async def assert_nothing_left(raw_s3: BotoS3Client, s3: S3Client, bucket: str) -> None:
    assert await pending_uploads(raw_s3, bucket) == [], "the multipart upload was aborted"
    assert not await s3.exists("big.bin"), "no partial object"


async def two_parts_then(last: Callable[[], Awaitable[bytes]]) -> AsyncIterator[bytes]:
    """Two full parts and a bit, 1 MiB at a time; then the chunk `last` returns (or raises)."""
    for _ in range(2 * PART // MIB + 1):
        yield os.urandom(MIB)
    yield await last()


async def stall_forever(reached: asyncio.Event) -> bytes:
    reached.set()
    await asyncio.Event().wait()  # until cancelled
    raise AssertionError("unreachable")


@pytest.mark.parametrize(
    "error",
    [SourceFailed, aiohttp.ClientPayloadError],
    ids=["any-error", "upstream-http-error"],
)
async def test_failing_source_aborts_the_upload_and_keeps_its_error(
    s3: S3Client, raw_s3: BotoS3Client, s3_settings: S3Settings, error: type[Exception]
) -> None:
    """The source's error comes out unchanged: an upstream failure is not a storage error."""
    parts_before_failure: list[int] = []

    async def fail() -> bytes:
        parts_before_failure.append(await uploaded_parts(raw_s3, s3_settings.bucket))
        raise error

    with pytest.raises(error) as caught:
        await s3.put_stream("big.bin", two_parts_then(fail))
    assert not isinstance(caught.value, StorageError)
    assert parts_before_failure == [2], "the failure really came mid-upload"
    await assert_nothing_left(raw_s3, s3, s3_settings.bucket)


async def test_cancellation_aborts_the_upload(
    s3: S3Client, raw_s3: BotoS3Client, s3_settings: S3Settings
) -> None:
    stalled = asyncio.Event()
    source = two_parts_then(lambda: stall_forever(stalled))
    upload = asyncio.create_task(s3.put_stream("big.bin", source))
    await asyncio.wait_for(stalled.wait(), timeout=30)
    assert await uploaded_parts(raw_s3, s3_settings.bucket) == 2
    upload.cancel()
    with pytest.raises(asyncio.CancelledError):
        await upload
    await assert_nothing_left(raw_s3, s3, s3_settings.bucket)


async def test_size_limit_past_the_first_parts_aborts_the_upload(
    s3: S3Client, raw_s3: BotoS3Client, s3_settings: S3Settings
) -> None:
    """S3Storage uses the one size limit; passing it mid-upload aborts like any other failure."""
    storage = S3Storage(s3)
    with pytest.raises(ObjectTooLargeError) as refused:
        await storage.put_stream("big.bin", chunked(b"x" * (2 * PART + 1), MIB), max_bytes=2 * PART)
    assert isinstance(refused.value, SizeLimitError)
    assert (refused.value.limit, refused.value.key) == (2 * PART, "big.bin")
    await assert_nothing_left(raw_s3, s3, s3_settings.bucket)


async def test_failing_part_raises_storage_error_and_leaves_nothing(
    s3: S3Client, raw_s3: BotoS3Client, s3_settings: S3Settings
) -> None:
    async def upload_vanishes() -> bytes:
        # Someone else aborts the upload, so the next part fails on the S3 side.
        (upload_id,) = await pending_uploads(raw_s3, s3_settings.bucket)
        await raw_s3.abort_multipart_upload(
            Bucket=s3_settings.bucket, Key="big.bin", UploadId=upload_id
        )
        return os.urandom(PART)

    with pytest.raises(StorageError) as caught:
        await s3.put_stream("big.bin", two_parts_then(upload_vanishes))
    assert isinstance(caught.value.__cause__, ClientError), "S3 refused the part"
    await assert_nothing_left(raw_s3, s3, s3_settings.bucket)


async def test_close_waits_for_an_abort_cut_short_by_a_second_cancel(
    small_parts: S3Settings,
    raw_s3: BotoS3Client,
    s3_settings: S3Settings,
    boto_session: aioboto3.Session,
) -> None:
    """A second cancel stops the wait for the abort, not the abort; aclose() waits for it."""
    stalled = asyncio.Event()
    async with S3Client(small_parts, session=boto_session) as s3:
        source = two_parts_then(lambda: stall_forever(stalled))
        upload = asyncio.create_task(s3.put_stream("big.bin", source))
        await asyncio.wait_for(stalled.wait(), timeout=30)
        upload.cancel()
        async with asyncio.timeout(10):
            while not s3._cleanup:  # noqa: ASYNC110 - no public event says "abort started"
                await asyncio.sleep(0)
        upload.cancel()  # lands in the shielded wait for the abort
        with pytest.raises(asyncio.CancelledError):
            await upload
    assert await pending_uploads(raw_s3, s3_settings.bucket) == []


@pytest.fixture
async def relay(s3_endpoint: str) -> AsyncIterator[Relay]:
    """moto behind a relay that a test can stop (S3 goes down) and start again."""
    relay = Relay(s3_endpoint)
    await relay.start()
    yield relay
    if relay.running:
        await relay.stop()


async def test_abort_outlasts_an_s3_outage(
    small_parts: S3Settings,
    raw_s3: BotoS3Client,
    s3_settings: S3Settings,
    boto_session: aioboto3.Session,
    relay: Relay,
) -> None:
    """S3 goes down mid-upload: StorageError at once, and the abort lands once S3 is back."""
    settings = small_parts.model_copy(update={"endpoint_url": relay.url, "connect_timeout": 1.0})

    async def outage() -> bytes:
        await relay.stop()
        return os.urandom(PART)

    async with S3Client(settings, session=boto_session) as s3:
        with pytest.raises(StorageError):
            await s3.put_stream("big.bin", two_parts_then(outage))
        assert len(await pending_uploads(raw_s3, s3_settings.bucket)) == 1, "S3 was down"
        await relay.start()
        async with asyncio.timeout(30):
            while await pending_uploads(raw_s3, s3_settings.bucket):  # noqa: ASYNC110 - polls S3
                await asyncio.sleep(0.1)
        assert not await s3.exists("big.bin"), "no partial object"


async def test_close_stops_waiting_for_an_abort_that_cannot_reach_s3(
    small_parts: S3Settings,
    raw_s3: BotoS3Client,
    s3_settings: S3Settings,
    boto_session: aioboto3.Session,
    relay: Relay,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Shutdown is bounded: the upload is left to the bucket's lifecycle rule."""
    monkeypatch.setattr(s3_module, "CLOSE_WAIT_SECONDS", 0.5)
    settings = small_parts.model_copy(update={"endpoint_url": relay.url, "connect_timeout": 1.0})

    async def outage() -> bytes:
        await relay.stop()
        return os.urandom(PART)

    s3 = S3Client(settings, session=boto_session)
    async with s3:
        with pytest.raises(StorageError):
            await s3.put_stream("big.bin", two_parts_then(outage))
        started = time.monotonic()
    # The retry would go on for a minute; close waited 0.5 s plus the attempt in progress.
    assert time.monotonic() - started < 10
    assert not s3._cleanup, "no abort task outlives the client"
    assert len(await pending_uploads(raw_s3, s3_settings.bucket)) == 1
