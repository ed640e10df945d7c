"""Storage errors, the same for every backend.

    StorageError            the operation failed: I/O, transport, timeout, permission, ...
    ├── ObjectNotFound      the key does not exist
    ├── InvalidKeyError     the key is not acceptable (traversal, NUL, too long, ...)
    ├── InvalidCursorError  a listing cursor that no listing produced
    ├── KeyConflictError    the key cannot coexist with another one (local: "a" and "a/b")
    ├── ObjectTooLargeError the content passed the size limit of the upload (also a
    │                       `transfer.SizeLimitError`, like `files.FileTooLargeError`)
    └── StorageBusyError    too many uploads at once: retry after `retry_after` seconds

Every error names the operation and, where there is one, the key as the caller wrote it; a
library error that caused it stays available as `__cause__`.
"""

from __future__ import annotations

from ..transfer import SizeLimitError


class StorageError(Exception):
    """A storage operation failed."""

    # Seconds after which a retry may succeed, when the failure is known to pass (a busy
    # upload budget, a locked or restarting database); None when nothing says it will.
    retry_after: int | None = None

    def __init__(
        self,
        message: str,
        *,
        operation: str,
        key: str | None = None,
        bucket: str | None = None,
        code: str | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.operation = operation
        self.key = key
        self.bucket = bucket
        self.code = code
        self.status = status


class ObjectNotFound(StorageError):
    """The key does not exist."""


class InvalidKeyError(StorageError, ValueError):
    """The key breaks the rules of `check_key`; nothing was read or written."""


class InvalidCursorError(StorageError, ValueError):
    """The listing cursor was not produced by a listing."""


class KeyConflictError(StorageError):
    """The key clashes with another one: a file cannot also be a directory."""


class ObjectTooLargeError(StorageError, SizeLimitError):
    """The content passed `limit` bytes; nothing was stored."""

    def __init__(self, limit: int, *, operation: str = "put", key: str | None = None) -> None:
        super().__init__(f"content exceeds {limit} bytes", operation=operation, key=key)
        self.limit = limit


class StorageBusyError(StorageError):
    """The upload could not start in time (its memory budget was spent); nothing was read."""

    def __init__(
        self, message: str, *, operation: str, key: str | None = None, retry_after: int = 1
    ) -> None:
        super().__init__(message, operation=operation, key=key)
        self.retry_after: int = retry_after


__all__ = [
    "InvalidCursorError",
    "InvalidKeyError",
    "KeyConflictError",
    "ObjectNotFound",
    "ObjectTooLargeError",
    "StorageBusyError",
    "StorageError",
]
