"""Object storage: the `Storage` protocol, its errors, key rules and data types.

The backends live in modules of their own and are imported from there, so a service that
runs one backend never pays for importing the other:
{%- if cookiecutter.with_files %}

- `storage.local.LocalStorage` keeps objects as files below a directory (the default):

      async with LocalStorage("data") as storage:
          await storage.put_stream("reports/1.json", chunks, content_type="application/json")
          async with await storage.get_stream("reports/1.json") as stream:
              async for chunk in stream.chunks:
                  ...
{%- endif %}
{%- if cookiecutter.with_s3 %}

- `storage.s3_client.S3Client` streams to and from one bucket with a fixed memory budget,
  and `storage.s3_storage.S3Storage` adapts it to the protocol:

      async with S3Client(settings.s3) as s3:
          await s3.put_bytes("reports/1.json", b"{}", content_type="application/json")
          async for chunk in s3.iter_object("reports/1.json"):
              ...
{%- endif %}

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
    "StorageError",
    "check_key",
]
