"""Where botocore's and aiohttp's errors enter the storage package as `StorageError`s."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

import aiohttp
from botocore.exceptions import BotoCoreError, ClientError

from .errors import ObjectNotFound, StorageError

if TYPE_CHECKING:
    from collections.abc import Iterator

# Error codes S3 uses for a missing key: GetObject says NoSuchKey, HEAD has no body, so "404".
_NOT_FOUND_CODES = frozenset({"NoSuchKey", "NotFound", "404"})


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


__all__ = ["translate_errors"]
