"""Object storage: the `Storage` protocol and its backends.
{%- if cookiecutter.with_files %}

`LocalStorage` keeps objects as files below a directory (the embedded default):

    async with LocalStorage("data") as storage:
        await storage.put_stream("reports/1.json", chunks, content_type="application/json")
        async with await storage.get_stream("reports/1.json") as stream:
            async for chunk in stream.chunks:
                ...
{%- endif %}
{%- if cookiecutter.with_s3 %}

`S3Client` (s3_client.py) streams to and from one bucket with a fixed memory budget, and
`S3Storage` (s3_storage.py) adapts it to the protocol:

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
{%- if cookiecutter.with_files %}
from .local import LocalStorage
{%- endif %}
from .models import ObjectInfo, ObjectPage, ObjectStream
{%- if cookiecutter.with_s3 %}
from .s3_client import S3Client, create_boto_session
from .s3_storage import S3Storage
{%- endif %}

__all__ = [
    "DEFAULT_CONTENT_TYPE",
    "MAX_PAGE_SIZE",
    "AsyncReader",
    "ByteSource",
    "InvalidCursorError",
    "InvalidKeyError",
    "KeyConflictError",
{%- if cookiecutter.with_files %}
    "LocalStorage",
{%- endif %}
    "ObjectInfo",
    "ObjectNotFound",
    "ObjectPage",
    "ObjectStream",
    "ObjectTooLargeError",
{%- if cookiecutter.with_s3 %}
    "S3Client",
    "S3Storage",
{%- endif %}
    "Storage",
    "StorageError",
    "check_key",
{%- if cookiecutter.with_s3 %}
    "create_boto_session",
{%- endif %}
]
