"""Storage errors, and where botocore's and aiohttp's errors are translated into them.

    StorageError            the operation failed: transport, timeout, permission, throttling, ...
    └── ObjectNotFound      the key does not exist in the bucket

Every error names the operation, the bucket and the key as the caller wrote it (without the
key prefix); the library error stays available as `__cause__`.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

import aiohttp
from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from collections.abc import Iterator

# Error codes S3 uses for a missing key: GetObject says NoSuchKey, HEAD has no body, so "404".
_NOT_FOUND_CODES = frozenset({"NoSuchKey", "NotFound", "404"})


class StorageError(Exception):
    """A storage operation failed."""

    def __init__(
        self,
        message: str,
        *,
        operation: str,
        bucket: str,
        key: str | None = None,
        code: str | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.operation = operation
        self.bucket = bucket
        self.key = key
        self.code = code
        self.status = status


class ObjectNotFound(StorageError):
    """The key does not exist (S3 answered 404 / NoSuchKey)."""


@contextmanager
def translate_errors(operation: str, *, bucket: str, key: str | None = None) -> Iterator[None]:
    """Turn botocore and aiohttp errors raised inside the block into `StorageError`s."""
    where = f"s3://{bucket}/{key}" if key is not None else f"s3://{bucket}"
    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "")) or None
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        kind = ObjectNotFound if key is not None and code in _NOT_FOUND_CODES else StorageError
        detail = error.get("Message") or code or "error"
        raise kind(
            f"{operation} {where}: {detail}",
            operation=operation,
            bucket=bucket,
            key=key,
            code=code,
            status=status,
        ) from exc
    except (BotoCoreError, aiohttp.ClientError) as exc:
        raise StorageError(
            f"{operation} {where}: {type(exc).__name__}: {exc}",
            operation=operation,
            bucket=bucket,
            key=key,
        ) from exc


__all__ = ["ObjectNotFound", "StorageError", "translate_errors"]
