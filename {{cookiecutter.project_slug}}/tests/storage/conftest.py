"""Storage fixtures: an open S3Client on a fresh moto bucket, and byte streams to upload."""

import hashlib
from collections.abc import AsyncIterator

import aioboto3
import pytest

from {{ cookiecutter.package_name }}.config import S3Settings
from {{ cookiecutter.package_name }}.storage import S3Client

MIB = 1024 * 1024
# The smallest part S3 accepts, so multipart tests stay small.
PART = 5 * MIB


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def chunked(data: bytes, size: int) -> AsyncIterator[bytes]:
    """`data` as an async stream of `size`-byte chunks (sizes that do not divide a part)."""
    for start in range(0, len(data), size):
        yield data[start : start + size]


@pytest.fixture
def small_parts(s3_settings: S3Settings) -> S3Settings:
    """Multipart above 5 MiB, in 5 MiB parts."""
    return s3_settings.model_copy(update={"multipart_threshold": PART, "multipart_part_size": PART})


@pytest.fixture
async def s3(small_parts: S3Settings, boto_session: aioboto3.Session) -> AsyncIterator[S3Client]:
    async with S3Client(small_parts, session=boto_session) as client:
        yield client
