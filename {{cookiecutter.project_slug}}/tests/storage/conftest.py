"""Storage fixtures: byte streams{{ ", LocalStorage in a tmp dir" if cookiecutter.with_files }}{{ ", S3Client on a fresh moto bucket" if cookiecutter.with_s3 }}."""

import hashlib
from collections.abc import AsyncIterator
{%- if cookiecutter.with_files %}
from pathlib import Path
{%- endif %}
{%- if cookiecutter.with_s3 %}

import aioboto3
import pytest

from {{ cookiecutter.package_name }}.features.s3 import S3Settings
{% if cookiecutter.with_files -%}
from {{ cookiecutter.package_name }}.storage.local import LocalStorage
{% endif -%}
from {{ cookiecutter.package_name }}.storage.s3_client import S3Client
{%- else %}

import pytest

from {{ cookiecutter.package_name }}.storage.local import LocalStorage
{%- endif %}

MIB = 1024 * 1024
{%- if cookiecutter.with_s3 %}
# The smallest part S3 accepts, so multipart tests stay small.
PART = 5 * MIB
{%- endif %}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def chunked(data: bytes, size: int) -> AsyncIterator[bytes]:
    """`data` as an async stream of `size`-byte chunks (sizes that do not divide a part)."""
    for start in range(0, len(data), size):
        yield data[start : start + size]
{%- if cookiecutter.with_files %}


@pytest.fixture
async def local(tmp_path: Path) -> AsyncIterator[LocalStorage]:
    async with LocalStorage(tmp_path / "store") as storage:
        yield storage
{%- endif %}
{%- if cookiecutter.with_s3 %}


@pytest.fixture
def small_parts(s3_settings: S3Settings) -> S3Settings:
    """Multipart above 5 MiB, in 5 MiB parts."""
    return s3_settings.model_copy(update={"multipart_threshold": PART, "multipart_part_size": PART})


@pytest.fixture
async def s3(small_parts: S3Settings, boto_session: aioboto3.Session) -> AsyncIterator[S3Client]:
    async with S3Client(small_parts, session=boto_session) as client:
        yield client
{%- endif %}
