"""Multipart upload of a stream: it either completes, or it is aborted.

S3 keeps the parts of an upload that is neither completed nor aborted (and bills for them), so
every way out of `MultipartUpload.run` other than success aborts the upload: a failing source,
a failing request, and cancellation. The abort runs in a task that the owner tracks, awaited
through `asyncio.shield`, so a second cancellation cannot interrupt it and the owner can wait
for it before it closes the connection pool. When S3 cannot be reached (the failure that led
here may be exactly that), the caller waits for the first attempt only; the task keeps
retrying in the background until S3 answers or `abort_retry_seconds` have passed.
"""

from __future__ import annotations

import asyncio
import io
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import aiohttp
from botocore.exceptions import BotoCoreError, ClientError

from .errors import StorageError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Coroutine
    from contextlib import AbstractContextManager

    from types_aiobotocore_s3 import S3Client as BotoS3Client
    from types_aiobotocore_s3.type_defs import (
        CompletedPartTypeDef,
        CreateMultipartUploadOutputTypeDef,
    )

logger = logging.getLogger(__name__)

# S3 numbers parts from 1 to 10,000.
MAX_PARTS = 10_000
# What boto3's managed transfers use: S3 verifies every part on arrival.
CHECKSUM_ALGORITHM: Final = "CRC32"
# Waits between abort attempts while S3 is unreachable: doubling from the first to the last.
ABORT_RETRY_FIRST_DELAY = 0.5
ABORT_RETRY_MAX_DELAY = 5.0

_LIBRARY_ERRORS = (BotoCoreError, ClientError, aiohttp.ClientError)


@dataclass
class MultipartUpload:
    """The upload of one object in parts.

    `key` is the full key (prefix included). `errors(operation)` translates library errors
    raised by an S3 call; errors raised by the source are left alone. Abort tasks stay in
    `cleanup` until they finish; an abort that cannot reach S3 is retried for
    `abort_retry_seconds`.
    """

    client: BotoS3Client
    bucket: str
    key: str
    errors: Callable[[str], AbstractContextManager[None]]
    cleanup: set[asyncio.Task[None]]
    abort_retry_seconds: float = 60.0

    async def run(
        self,
        head: io.BytesIO,
        rest: AsyncIterator[bytes],
        *,
        part_size: int,
        extra: dict[str, Any],
    ) -> tuple[int, str]:
        """Upload `head` (its bytes up to its position), then `rest`; return (size, etag).

        Parts are `part_size` bytes (the last may be shorter), each sent from the same buffer,
        `head`'s own, refilled after every part: an upload holds one buffer, not a new block
        per part. `extra` holds CreateMultipartUpload arguments such as ContentType and
        Metadata.
        """
        upload_id = await self._create(extra)
        parts: list[CompletedPartTypeDef] = []
        size = 0
        buffer = head
        try:
            # The head may hold more than a part: send whole parts, carrying the rest over.
            while buffer.tell() > part_size:
                with buffer.getbuffer() as view:
                    carry = view[part_size:].tobytes()
                buffer.truncate(part_size)
                parts.append(await self._upload_part(upload_id, len(parts) + 1, buffer))
                size += part_size
                buffer.seek(0)
                buffer.write(carry)
                del carry
            async for chunk in rest:
                pending = memoryview(chunk)
                while pending:
                    # A full buffer goes up only once more bytes exist: the last part may
                    # be full too.
                    if buffer.tell() == part_size:
                        parts.append(await self._upload_part(upload_id, len(parts) + 1, buffer))
                        size += part_size
                        buffer.seek(0)
                    room = part_size - buffer.tell()
                    buffer.write(pending[:room])
                    pending = pending[room:]
            if buffer.tell() or not parts:
                size += buffer.tell()
                buffer.truncate()
                parts.append(await self._upload_part(upload_id, len(parts) + 1, buffer))
            with self.errors("complete_multipart_upload"):
                completed = await self.client.complete_multipart_upload(
                    Bucket=self.bucket,
                    Key=self.key,
                    UploadId=upload_id,
                    MultipartUpload={"Parts": parts},
                )
        except BaseException:
            # Re-raised below: this only makes sure no parts are left behind.
            await asyncio.shield(self._spawn(self._abort(upload_id)))
            raise
        return size, completed.get("ETag", "")

    async def _create(self, extra: dict[str, Any]) -> str:
        request = asyncio.ensure_future(
            self.client.create_multipart_upload(
                Bucket=self.bucket, Key=self.key, ChecksumAlgorithm=CHECKSUM_ALGORITHM, **extra
            )
        )
        try:
            with self.errors("create_multipart_upload"):
                response = await asyncio.shield(request)
        except asyncio.CancelledError:
            # S3 may have created the upload already: abort it as soon as its id arrives.
            self._spawn(self._abort_when_created(request))
            raise
        return response["UploadId"]

    async def _upload_part(
        self, upload_id: str, number: int, body: io.BytesIO
    ) -> CompletedPartTypeDef:
        """Send `body` from its start to its end as part `number`."""
        if number > MAX_PARTS:
            raise StorageError(
                f"upload_part s3://{self.bucket}/{self.key}: more than {MAX_PARTS} parts; "
                "raise s3.multipart_part_size",
                operation="upload_part",
                bucket=self.bucket,
            )
        body.seek(0)
        with self.errors("upload_part"):
            response = await self.client.upload_part(
                Bucket=self.bucket,
                Key=self.key,
                UploadId=upload_id,
                PartNumber=number,
                # A file-like body is sent in pieces: whole bytes would be copied into the
                # transport buffer, doubling the memory each part takes.
                Body=body,
                ChecksumAlgorithm=CHECKSUM_ALGORITHM,
            )
        part: CompletedPartTypeDef = {"PartNumber": number, "ETag": response["ETag"]}
        # An upload created with a checksum algorithm must list every part's checksum.
        if "ChecksumCRC32" in response:
            part["ChecksumCRC32"] = response["ChecksumCRC32"]
        return part

    async def _abort_when_created(
        self, request: asyncio.Future[CreateMultipartUploadOutputTypeDef]
    ) -> None:
        try:
            response = await request
        except _LIBRARY_ERRORS:
            return  # never created: nothing to abort
        await self._abort(response["UploadId"])

    async def _abort(self, upload_id: str) -> None:
        """One abort attempt; if S3 could not be reached, retries go on in another task."""
        if error := await self._abort_once(upload_id):
            logger.warning(
                "S3 unreachable (%s); retrying the abort of multipart upload %s of s3://%s/%s "
                "in the background",
                error,
                upload_id,
                self.bucket,
                self.key,
            )
            self._spawn(self._retry_abort(upload_id))

    async def _retry_abort(self, upload_id: str) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.abort_retry_seconds
        delay = ABORT_RETRY_FIRST_DELAY
        try:
            while loop.time() + delay <= deadline:
                await asyncio.sleep(delay)
                if await self._abort_once(upload_id) is None:
                    return
                delay = min(delay * 2, ABORT_RETRY_MAX_DELAY)
        except asyncio.CancelledError:
            self._log_left_behind(upload_id, "the client closed before S3 came back")
            raise
        self._log_left_behind(upload_id, "S3 stayed unreachable")

    async def _abort_once(self, upload_id: str) -> Exception | None:
        """One AbortMultipartUpload; the error when another try may succeed (S3 down or 5xx)."""
        try:
            await self.client.abort_multipart_upload(
                Bucket=self.bucket, Key=self.key, UploadId=upload_id
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "NoSuchUpload":
                return None  # already gone
            if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500:
                return exc
            # Credentials or policy: retrying cannot help.
            self._log_left_behind(upload_id, "S3 refused the abort", exc_info=True)
        except (BotoCoreError, aiohttp.ClientError) as exc:
            return exc
        return None

    def _log_left_behind(self, upload_id: str, why: str, *, exc_info: bool = False) -> None:
        # The error that led here matters more; a bucket lifecycle rule
        # (AbortIncompleteMultipartUpload) removes what is left.
        logger.warning(
            "multipart upload %s of s3://%s/%s left for the bucket's lifecycle rule: %s",
            upload_id,
            self.bucket,
            self.key,
            why,
            exc_info=exc_info,
        )

    def _spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(work)
        self.cleanup.add(task)
        task.add_done_callback(self.cleanup.discard)
        return task


__all__ = ["MAX_PARTS", "MultipartUpload"]
