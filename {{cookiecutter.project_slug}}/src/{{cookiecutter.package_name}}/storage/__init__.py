"""Object storage: the `Storage` protocol, its errors, key rules and data types.

Each backend lives in a module of its own in this package and is imported from there, so a
service that runs one backend never pays for importing another. Usage is the same on each:

    async with backend as storage:
        await storage.put_stream("reports/1.json", chunks, content_type="application/json")
        async with await storage.get_stream("reports/1.json") as stream:
            async for chunk in stream.chunks:
                ...

Failures raise `StorageError` or one of its subclasses (`ObjectNotFound`, `InvalidKeyError`, ...).
Keys follow the rules of `..relative_paths`; the chunk size, the size limit and atomic writes
come from `..transfer`.
"""

from .base import DEFAULT_CONTENT_TYPE, MAX_PAGE_SIZE, Storage
from .byte_sources import AsyncReader, ByteSource
from .errors import (
    InvalidCursorError,
    InvalidKeyError,
    KeyConflictError,
    ObjectNotFound,
    ObjectTooLargeError,
    StorageBusyError,
    StorageError,
)
from .keys import check_key
from .models import ObjectInfo, ObjectPage, ObjectStream

__all__ = [
    "DEFAULT_CONTENT_TYPE",
    "MAX_PAGE_SIZE",
    "AsyncReader",
    "ByteSource",
    "InvalidCursorError",
    "InvalidKeyError",
    "KeyConflictError",
    "ObjectInfo",
    "ObjectNotFound",
    "ObjectPage",
    "ObjectStream",
    "ObjectTooLargeError",
    "Storage",
    "StorageBusyError",
    "StorageError",
    "check_key",
]
