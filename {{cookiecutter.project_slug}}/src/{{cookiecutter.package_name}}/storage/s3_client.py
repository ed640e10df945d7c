"""S3Client: one long-lived aioboto3 client for one bucket, with the key prefix applied everywhere.

Open it once (the server lifespan does, on its exit stack) and share it: the client holds the
connection pool, so a client per call would pay a new TCP/TLS handshake every time.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import io
from contextlib import AsyncExitStack, aclosing
from typing import TYPE_CHECKING, Any, Self

import aioboto3
import aiofiles
from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession
from botocore.exceptions import DataNotFoundError, UnknownServiceError

from ..transfer import CHUNK_SIZE, atomic_write
from ._multipart import MultipartUpload
from ._translate import translate_errors
from .byte_sources import iter_chunks
from .errors import ObjectNotFound, StorageError
from .models import ObjectInfo, ObjectStream
from .upload_budget import UploadBudget

if TYPE_CHECKING:
    import os
    from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Mapping, Sequence
    from contextlib import AbstractContextManager
    from types import TracebackType

    from botocore.hooks import BaseEventHooks
    from pydantic import SecretStr
    from types_aiobotocore_s3 import S3Client as BotoS3Client
    from types_aiobotocore_s3.type_defs import ObjectIdentifierTypeDef

    from ..features.s3 import S3Settings
    from .byte_sources import ByteSource

# DeleteObjects takes at most 1000 keys per request.
DELETE_BATCH = 1000
# SigV4 presigned URLs are valid for at most 7 days.
MAX_PRESIGN_SECONDS = 7 * 24 * 3600
# How long aclose() waits for pending multipart aborts: a rollout's grace period is short,
# and a bucket lifecycle rule removes what an abort could not.
CLOSE_WAIT_SECONDS = 5.0


# Endpoint-ruleset parameters that S3's rules declare but no rule reads (boto/botocore#3528).
# botocore passes the object key among them, so its endpoint cache misses for every new key
# and the whole ruleset is evaluated again: a large share of the CPU time of small requests.
# Newer botocore drops them itself; tests/storage check that no rule refers to them.
UNUSED_ENDPOINT_PARAMETERS = ("Key", "Prefix", "CopySource")

# What botocore reads when it creates an S3 client and first paginates.
_S3_MODELS = ("service-2", "endpoint-rule-set-1", "paginators-1")
_SHARED_DATA = ("endpoints", "partitions", "sdk-default-configuration", "_retry")


class _State(enum.Enum):
    UNOPENED = "unopened"
    OPEN = "open"
    CLOSED = "closed"


class S3Client:
    """Object storage in one bucket; every key is relative to `settings.key_prefix`.

        async with S3Client(settings.s3) as s3:
            await s3.put_stream("videos/a.mp4", request.stream(), content_type="video/mp4")

    A client is opened once and cannot be reopened; `aclose()` may be called twice. Clients
    opened from one `session` (see `create_boto_session`) share botocore's parsed models.
    """

    def __init__(self, settings: S3Settings, *, session: aioboto3.Session | None = None) -> None:
        if not settings.bucket:
            raise ValueError("S3Client needs a bucket (s3.bucket)")
        self._settings = settings
        self._session = session
        self.bucket = settings.bucket
        self.key_prefix = settings.key_prefix
        self._state = _State.UNOPENED
        self._stack = AsyncExitStack()
        self._boto: BotoS3Client | None = None
        # Multipart aborts still running; aclose() waits for them.
        self._cleanup: set[asyncio.Task[None]] = set()
        # What every upload through this client reserves before it buffers anything.
        self.upload_budget = UploadBudget(
            settings.upload_buffer_bytes, wait_seconds=settings.upload_buffer_wait_seconds
        )

    def __repr__(self) -> str:
        return (
            f"S3Client(bucket={self.bucket!r}, key_prefix={self.key_prefix!r}, "
            f"state={self._state.value})"
        )

    async def __aenter__(self) -> Self:
        if self._state is not _State.UNOPENED:
            raise RuntimeError(f"S3Client is {self._state.value}; open a new one instead")
        settings = self._settings
        session = self._session
        if session is None:
            # Parsing botocore's models on the loop would stall every other task.
            session = await asyncio.to_thread(create_boto_session)
        config = AioConfig(
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
            max_pool_connections=settings.max_pool_connections,
            retries={"total_max_attempts": settings.max_attempts, "mode": "standard"},
            s3={"addressing_style": settings.addressing_style},
        )
        client = session.client(
            "s3",
            endpoint_url=settings.endpoint_url,
            region_name=settings.region,
            # None falls back to the AWS credential chain.
            aws_access_key_id=_reveal(settings.access_key_id),
            aws_secret_access_key=_reveal(settings.secret_access_key),
            aws_session_token=_reveal(settings.session_token),
            config=config,
        )
        self._boto = await self._stack.enter_async_context(client)
        _skip_unused_endpoint_parameters(self._boto)
        self._state = _State.OPEN
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool once pending multipart aborts have finished."""
        if self._state is _State.CLOSED:
            return
        self._state = _State.CLOSED
        await self._finish_aborts()
        await self._stack.aclose()
        self._boto = None

    async def _finish_aborts(self) -> None:
        """Wait up to CLOSE_WAIT_SECONDS for multipart aborts, then cancel what is left."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + CLOSE_WAIT_SECONDS
        # An abort that cannot reach S3 hands over to a retry task, hence the loop.
        while self._cleanup and (remaining := deadline - loop.time()) > 0:
            await asyncio.wait(set(self._cleanup), timeout=remaining)
        pending = set(self._cleanup)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def check_bucket(self) -> None:
        """Readiness check: the bucket exists and these credentials may use it."""
        with self._errors("head_bucket"):
            await self._client.head_bucket(Bucket=self.bucket)

    async def put_bytes(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectInfo:
        """Store `data` in one request."""
        # Sent in pieces from a file-like view: whole bytes would be copied into the
        # transport buffer. BytesIO shares the bytes until written to.
        buffer = io.BytesIO(data)
        buffer.seek(0, io.SEEK_END)
        return await self._put_buffer(key, buffer, content_type, metadata)

    async def _put_buffer(
        self,
        key: str,
        buffer: io.BytesIO,
        content_type: str | None,
        metadata: Mapping[str, str] | None,
    ) -> ObjectInfo:
        size = buffer.tell()
        buffer.seek(0)
        with self._errors("put_object", key):
            response = await self._client.put_object(
                Bucket=self.bucket,
                Key=self._full_key(key),
                Body=buffer,
                **_object_arguments(content_type, metadata),
            )
        return ObjectInfo(
            key=key,
            size=size,
            etag=_etag(response["ETag"]),
            content_type=content_type,
            metadata=dict(metadata or {}),
        )

    async def put_stream(
        self,
        key: str,
        source: ByteSource,
        *,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
        max_size: int | None = None,
    ) -> ObjectInfo:
        """Store a stream; above `multipart_threshold` bytes it goes up in parts.

        Before reading, the upload reserves what it may buffer from `upload_budget`:
        `S3Settings.buffer_per_upload`, or `max_size` (a bound the caller enforces, such as a
        declared length) when that is smaller. One buffer holds the bytes, written as they
        arrive: the body of a single PUT, or each part in turn. A reservation that cannot be had
        within `upload_buffer_wait_seconds` raises `StorageBusyError` with nothing read.
        If the source raises, a part fails or the task is cancelled, the multipart upload is
        aborted: no object appears and no parts are left behind. The source's own
        exceptions propagate unchanged. The reservation is returned in every case.
        """
        needed = self._settings.buffer_per_upload
        if max_size is not None:
            needed = min(needed, max_size)
        reservation = min(max(needed, 1), self.upload_budget.capacity)
        async with self.upload_budget.reserve(reservation, key=key):
            return await self._put_stream(key, source, content_type, metadata, max_size)

    async def _put_stream(
        self,
        key: str,
        source: ByteSource,
        content_type: str | None,
        metadata: Mapping[str, str] | None,
        max_size: int | None,
    ) -> ObjectInfo:
        threshold = self._settings.multipart_threshold
        upload = MultipartUpload(
            client=self._client,
            bucket=self.bucket,
            key=self._full_key(key),
            errors=lambda operation: self._errors(operation, key),
            cleanup=self._cleanup,
            abort_retry_seconds=self._settings.abort_retry_seconds,
        )
        async with aclosing(iter_chunks(source, CHUNK_SIZE)) as chunks:
            # One buffer, written as the bytes arrive: it is the body of a single PUT, or the
            # first part and then every other one. Allocated once, at the size it will reach:
            # one byte past the threshold decides for parts.
            limit = threshold + 1
            buffer = _preallocated(limit if max_size is None else min(max_size, limit))
            async for chunk in chunks:
                room = limit - buffer.tell()
                if len(chunk) < room:
                    buffer.write(chunk)
                    continue
                buffer.write(memoryview(chunk)[:room])
                rest = chunk[room:]
                break
            else:
                buffer.truncate()  # a preallocated buffer may be longer than the data
                return await self._put_buffer(key, buffer, content_type, metadata)
            del chunk
            # The source is read inside run(); its own errors are not storage errors.
            async with aclosing(_after(rest, chunks)) as stream:
                del rest
                size, etag = await upload.run(
                    buffer,
                    stream,
                    part_size=self._settings.multipart_part_size,
                    extra=_object_arguments(content_type, metadata),
                )
        return ObjectInfo(
            key=key,
            size=size,
            etag=_etag(etag),
            content_type=content_type,
            metadata=dict(metadata or {}),
        )

    async def upload_file(
        self,
        path: str | os.PathLike[str],
        key: str,
        *,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectInfo:
        """Stream a local file to `key` (reads run in a worker thread, never on the loop)."""
        async with aiofiles.open(path, "rb") as file:
            return await self.put_stream(key, file, content_type=content_type, metadata=metadata)

    async def iter_object(self, key: str, *, chunk_size: int = CHUNK_SIZE) -> AsyncGenerator[bytes]:
        """Yield the object's bytes in chunks of at most `chunk_size` (no info: `open_stream`).

        A missing key raises `ObjectNotFound` on the first iteration. Stopping early closes
        the connection instead of reading the rest.
        """
        with self._errors("get_object", key):
            response = await self._client.get_object(Bucket=self.bucket, Key=self._full_key(key))
            body = response["Body"]
            try:
                while chunk := await body.read(chunk_size):
                    yield chunk
            finally:
                body.close()

    async def open_stream(self, key: str, *, chunk_size: int = CHUNK_SIZE) -> ObjectStream:
        """Start reading `key`: `ObjectNotFound` now if it is missing, else info and chunks.

        One GetObject request serves both, so the info describes exactly the bytes that
        follow. The stream holds a pooled connection until `aclose()`.
        """
        with self._errors("get_object", key):
            response = await self._client.get_object(Bucket=self.bucket, Key=self._full_key(key))
        body = response["Body"]
        info = ObjectInfo(
            key=key,
            size=response["ContentLength"],
            etag=_etag(response["ETag"]),
            last_modified=response["LastModified"],
            content_type=response.get("ContentType"),
            metadata=response.get("Metadata", {}),
        )

        async def chunks() -> AsyncGenerator[bytes]:
            with self._errors("get_object", key):
                while chunk := await body.read(chunk_size):
                    yield chunk

        async def close() -> None:
            body.close()

        return ObjectStream(info=info, chunks=chunks(), close=close)

    async def get_bytes(self, key: str) -> bytes:
        """The whole object in memory: for small objects only; stream large ones."""
        with self._errors("get_object", key):
            response = await self._client.get_object(Bucket=self.bucket, Key=self._full_key(key))
            body = response["Body"]
            try:
                return await body.read()
            finally:
                body.close()

    async def download_file(self, key: str, path: str | os.PathLike[str]) -> int:
        """Stream the object to `path` and return its size.

        `transfer.atomic_write` puts the data in a temporary file next to `path` that is
        renamed into place at the end, so `path` never holds a partial download.
        """
        size = 0
        async with atomic_write(path) as file, aclosing(self.iter_object(key)) as chunks:
            async for chunk in chunks:
                await file.write(chunk)
                size += len(chunk)
        return size

    async def head(self, key: str) -> ObjectInfo:
        """Size, ETag, content type and metadata; `ObjectNotFound` for a missing key."""
        with self._errors("head_object", key):
            response = await self._client.head_object(Bucket=self.bucket, Key=self._full_key(key))
        return ObjectInfo(
            key=key,
            size=response["ContentLength"],
            etag=_etag(response["ETag"]),
            last_modified=response["LastModified"],
            content_type=response.get("ContentType"),
            metadata=response.get("Metadata", {}),
        )

    async def exists(self, key: str) -> bool:
        """Whether `key` exists (a HEAD request); other failures still raise `StorageError`."""
        try:
            await self.head(key)
        except ObjectNotFound:
            return False
        return True

    async def delete(self, key: str) -> None:
        """Delete `key`; deleting a missing key is not an error (as in S3)."""
        with self._errors("delete_object", key):
            await self._client.delete_object(Bucket=self.bucket, Key=self._full_key(key))

    async def delete_many(self, keys: Iterable[str]) -> None:
        """Delete `keys` in batches of 1000; `StorageError` names the keys S3 refused."""
        batch: list[str] = []
        for key in keys:
            batch.append(key)
            if len(batch) == DELETE_BATCH:
                await self._delete_batch(batch)
                batch = []
        if batch:
            await self._delete_batch(batch)

    async def copy(self, source_key: str, target_key: str) -> None:
        """Server-side copy within the bucket, content type and metadata included (≤ 5 GiB)."""
        with self._errors("copy_object", source_key):
            await self._client.copy_object(
                Bucket=self.bucket,
                Key=self._full_key(target_key),
                CopySource={"Bucket": self.bucket, "Key": self._full_key(source_key)},
            )

    async def presigned_get(self, key: str, *, expires_in: int = 3600) -> str:
        """A URL that lets anyone holding it GET the object until it expires."""
        with self._errors("presign get_object", key):
            return await self._client.generate_presigned_url(
                "get_object",
                Params={"Bucket": self.bucket, "Key": self._full_key(key)},
                ExpiresIn=_expiry(expires_in),
            )

    async def presigned_put(
        self, key: str, *, expires_in: int = 3600, content_type: str | None = None
    ) -> str:
        """A URL for one PUT of the object; with `content_type` the uploader must send it."""
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": self._full_key(key)}
        if content_type is not None:
            params["ContentType"] = content_type
        with self._errors("presign put_object", key):
            return await self._client.generate_presigned_url(
                "put_object", Params=params, ExpiresIn=_expiry(expires_in)
            )

    async def list(self, prefix: str = "", *, page_size: int = 1000) -> AsyncGenerator[ObjectInfo]:
        """Every object whose key starts with `prefix`, in key order, page after page."""
        paginator = self._client.get_paginator("list_objects_v2")
        pages = paginator.paginate(
            Bucket=self.bucket,
            Prefix=self.key_prefix + prefix,
            PaginationConfig={"PageSize": page_size},
        )
        strip = len(self.key_prefix)
        with self._errors("list_objects_v2"):
            async for page in pages:
                for item in page.get("Contents", ()):
                    yield ObjectInfo(
                        key=item["Key"][strip:],
                        size=item["Size"],
                        etag=_etag(item["ETag"]),
                        last_modified=item["LastModified"],
                    )

    async def list_after(
        self, prefix: str = "", *, limit: int = 1000, start_after: str | None = None
    ) -> tuple[Sequence[ObjectInfo], bool]:
        """One request: up to `limit` objects after the key `start_after`, and whether more follow.

        The raw S3 shape (a key, not a cursor; a flag, not a next cursor): `S3Storage.list_page`
        builds the `Storage` listing on it.
        """
        arguments: dict[str, Any] = {}
        if start_after is not None:
            arguments["StartAfter"] = self._full_key(start_after)
        with self._errors("list_objects_v2"):
            page = await self._client.list_objects_v2(
                Bucket=self.bucket, Prefix=self.key_prefix + prefix, MaxKeys=limit, **arguments
            )
        strip = len(self.key_prefix)
        items = [
            ObjectInfo(
                key=item["Key"][strip:],
                size=item["Size"],
                etag=_etag(item["ETag"]),
                last_modified=item["LastModified"],
            )
            for item in page.get("Contents", ())
        ]
        return items, page.get("IsTruncated", False)

    @property
    def events(self) -> BaseEventHooks:
        """botocore's event hooks of the open client, for observers (tracing) of its calls."""
        return self._client.meta.events

    @property
    def _client(self) -> BotoS3Client:
        if self._boto is None:
            raise RuntimeError(f"S3Client is {self._state.value}; use `async with S3Client(...)`")
        return self._boto

    def _full_key(self, key: str) -> str:
        if not key:
            raise ValueError("an object key cannot be empty")
        return self.key_prefix + key

    def _errors(self, operation: str, key: str | None = None) -> AbstractContextManager[None]:
        return translate_errors(operation, bucket=self.bucket, key=key)

    async def _delete_batch(self, keys: Sequence[str]) -> None:
        objects: list[ObjectIdentifierTypeDef] = [{"Key": self._full_key(key)} for key in keys]
        with self._errors("delete_objects"):
            response = await self._client.delete_objects(
                Bucket=self.bucket, Delete={"Objects": objects, "Quiet": True}
            )
        strip = len(self.key_prefix)
        refused = sorted(error.get("Key", "")[strip:] for error in response.get("Errors", ()))
        if refused:
            raise StorageError(
                f"delete_objects s3://{self.bucket}: {len(refused)} keys refused: "
                + ", ".join(refused[:10]),
                operation="delete_objects",
                bucket=self.bucket,
            )


def create_boto_session() -> aioboto3.Session:
    """A new aioboto3 session with botocore's S3 models already parsed.

    This blocks for 0.1-0.3 s (botocore parses about 2 MB of bundled JSON the first time a
    session creates a client), so async code runs it in a worker thread:
    `await asyncio.to_thread(create_boto_session)`. Clients sharing a session share the models.
    """
    core = AioSession()
    loader = core.get_component("data_loader")
    # Best effort: the loader caches each file; whatever is not named here loads on first use.
    with contextlib.suppress(DataNotFoundError, UnknownServiceError):
        for type_name in _S3_MODELS:
            loader.load_service_model("s3", type_name)
        for name in _SHARED_DATA:
            loader.load_data(name)
    return aioboto3.Session(botocore_session=core)


def _skip_unused_endpoint_parameters(client: BotoS3Client) -> None:
    """Leave UNUSED_ENDPOINT_PARAMETERS out of this client's endpoint resolution.

    The parameters are only declared, never read, so the resolved endpoint is the same; what
    changes is that botocore's cache of resolved endpoints now hits for every key of a bucket.
    The resolver is private to botocore, hence the guards: without it nothing changes.
    """
    resolver = getattr(client, "_ruleset_resolver", None)
    definitions = getattr(resolver, "_param_definitions", None)
    if isinstance(definitions, dict):
        for name in UNUSED_ENDPOINT_PARAMETERS:
            definitions.pop(name, None)


async def _after(first: bytes, rest: AsyncIterator[bytes]) -> AsyncGenerator[bytes]:
    """`first`, then the chunks of `rest`."""
    yield first
    async for chunk in rest:
        yield chunk


def _preallocated(size: int) -> io.BytesIO:
    """An empty BytesIO that has room for `size` bytes already.

    Grown write by write, a buffer is reallocated (and copied) many times, which leaves the
    heap fragmented: the process keeps far more memory than the bytes it holds.
    """
    buffer = io.BytesIO()
    if size > 0:
        buffer.seek(size - 1)
        buffer.write(b"\0")
        buffer.seek(0)
    return buffer


def _reveal(secret: SecretStr | None) -> str | None:
    return None if secret is None else secret.get_secret_value()


def _object_arguments(
    content_type: str | None, metadata: Mapping[str, str] | None
) -> dict[str, Any]:
    arguments: dict[str, Any] = {}
    if content_type is not None:
        arguments["ContentType"] = content_type
    if metadata:
        arguments["Metadata"] = dict(metadata)
    return arguments


def _etag(value: str) -> str:
    return value.strip('"')


def _expiry(seconds: int) -> int:
    if not 1 <= seconds <= MAX_PRESIGN_SECONDS:
        raise ValueError(f"expires_in must be between 1 and {MAX_PRESIGN_SECONDS} seconds")
    return seconds


__all__ = ["S3Client", "create_boto_session"]
