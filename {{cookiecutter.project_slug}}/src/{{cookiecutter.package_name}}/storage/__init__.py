"""Object storage: an S3 client on aioboto3 that streams with a fixed memory budget.

    async with S3Client(settings.s3) as s3:
        await s3.put_bytes("reports/1.json", b"{}", content_type="application/json")
        async for chunk in s3.get_stream("reports/1.json"):
            ...

See `S3Client` for the whole API and `ObjectNotFound` / `StorageError` for failures.
"""

from .errors import ObjectNotFound, StorageError
from .models import ObjectInfo
from .s3 import S3Client, create_session
from .streams import AsyncReader, ByteSource

__all__ = [
    "AsyncReader",
    "ByteSource",
    "ObjectInfo",
    "ObjectNotFound",
    "S3Client",
    "StorageError",
    "create_session",
]
