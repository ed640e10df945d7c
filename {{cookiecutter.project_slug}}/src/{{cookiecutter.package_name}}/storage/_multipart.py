"""Multipart upload of a stream: it either completes, or it is aborted.

S3 keeps the parts of an upload that is neither completed nor aborted (and bills for them), so
every way out of `upload_in_parts` that is not success aborts the upload: a failing source, a
failing part, and cancellation. The abort runs in a task the caller tracks, shielded, so a
second cancellation cannot interrupt it and the owner can wait for it before closing.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import aclosing
from typing import TYPE_CHECKING, Any, Final

import aiohttp
from botocore.exceptions import BotoCoreError, ClientError

from .errors import StorageError
from .streams import iter_parts

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Coroutine

    from types_aiobotocore_s3 import S3Client as BotoS3Client
    from types_aiobotocore_s3.type_defs import (
        CompletedPartTypeDef,
        CreateMultipartUploadOutputTypeDef,
    )

logger = logging.getLogger(__name__)

# S3 limits: part numbers run from 1 to 10,000.
MAX_PARTS = 10_000
# Matches what boto3's managed transfers send; S3 then checks every part on arrival.
CHECKSUM_ALGORITHM: Final = "CRC32"

_LIBRARY_ERRORS = (BotoCoreError, ClientError, aiohttp.ClientError)


async def upload_in_parts(
    client: BotoS3Client,
    *,
    bucket: str,
    key: str,
    first: bytes,
    rest: AsyncIterator[bytes],
    part_size: int,
    extra: dict[str, Any],
    cleanup: set[asyncio.Task[None]],
) -> tuple[int, str]:
    """Upload `first` + `rest` in parts of `part_size` bytes; return (size, etag).

    `extra` holds CreateMultipartUpload arguments (ContentType, Metadata). Abort tasks are
    added to `cleanup` until they finish.
    """
    upload_id = await _create(client, bucket=bucket, key=key, extra=extra, cleanup=cleanup)
    parts: list[CompletedPartTypeDef] = []
    size = 0
    try:
        async with aclosing(iter_parts(first, rest, part_size)) as bodies:
            async for body in bodies:
                number = len(parts) + 1
                parts.append(await _upload_part(client, bucket, key, upload_id, number, body))
                size += len(body)
        completed = await client.complete_multipart_upload(
            Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
        )
    except BaseException:
        # Re-raised below: this only makes sure no parts are left behind.
        abort = _spawn(cleanup, _abort(client, bucket=bucket, key=key, upload_id=upload_id))
        await asyncio.shield(abort)
        raise
    return size, completed.get("ETag", "")


async def _upload_part(
    client: BotoS3Client, bucket: str, key: str, upload_id: str, number: int, body: bytes
) -> CompletedPartTypeDef:
    if number > MAX_PARTS:
        raise StorageError(
            f"upload_part s3://{bucket}/{key}: more than {MAX_PARTS} parts; "
            "raise s3.multipart_part_size",
            operation="upload_part",
            bucket=bucket,
            key=key,
        )
    response = await client.upload_part(
        Bucket=bucket,
        Key=key,
        UploadId=upload_id,
        PartNumber=number,
        Body=body,
        ChecksumAlgorithm=CHECKSUM_ALGORITHM,
    )
    part: CompletedPartTypeDef = {"PartNumber": number, "ETag": response["ETag"]}
    # With a checksum algorithm on the upload, CompleteMultipartUpload must repeat each one.
    if "ChecksumCRC32" in response:
        part["ChecksumCRC32"] = response["ChecksumCRC32"]
    return part


async def _create(
    client: BotoS3Client,
    *,
    bucket: str,
    key: str,
    extra: dict[str, Any],
    cleanup: set[asyncio.Task[None]],
) -> str:
    request = asyncio.ensure_future(
        client.create_multipart_upload(
            Bucket=bucket, Key=key, ChecksumAlgorithm=CHECKSUM_ALGORITHM, **extra
        )
    )
    try:
        response = await asyncio.shield(request)
    except asyncio.CancelledError:
        # S3 may have created the upload already; abort it as soon as its id arrives.
        _spawn(cleanup, _abort_when_created(client, bucket=bucket, key=key, request=request))
        raise
    return response["UploadId"]


async def _abort_when_created(
    client: BotoS3Client,
    *,
    bucket: str,
    key: str,
    request: asyncio.Future[CreateMultipartUploadOutputTypeDef],
) -> None:
    try:
        response = await request
    except _LIBRARY_ERRORS:
        return  # never created, nothing to abort
    await _abort(client, bucket=bucket, key=key, upload_id=response["UploadId"])


async def _abort(client: BotoS3Client, *, bucket: str, key: str, upload_id: str) -> None:
    try:
        await client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
    except _LIBRARY_ERRORS:
        # The error that caused the abort matters more; a bucket lifecycle rule
        # (AbortIncompleteMultipartUpload) removes what is left.
        logger.warning(
            "could not abort multipart upload %s of s3://%s/%s",
            upload_id,
            bucket,
            key,
            exc_info=True,
        )


def _spawn(tasks: set[asyncio.Task[None]], work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
    task = asyncio.create_task(work)
    tasks.add(task)
    task.add_done_callback(tasks.discard)
    return task


__all__ = ["MAX_PARTS", "upload_in_parts"]
