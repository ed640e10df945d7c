"""s3:// downloads: the service's own bucket as a DownloadClient source, against moto."""

import hashlib
from pathlib import Path
from typing import Any

import aioboto3
import pytest

from {{ cookiecutter.package_name }}.clients.download import (
    DownloadClient,
    DownloadTooLargeError,
    SourceNotAllowedError,
)
from {{ cookiecutter.package_name }}.clients.s3_source import S3Source
from {{ cookiecutter.package_name }}.features.download import DOWNLOADS, DownloadSettings
from {{ cookiecutter.package_name }}.resources import open_resources
from {{ cookiecutter.package_name }}.service import Settings
from {{ cookiecutter.package_name }}.storage import ObjectNotFound
from {{ cookiecutter.package_name }}.storage.s3_client import S3Client

REPORT = b"a,b\n1,2\n"


def listing(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


async def test_s3_source_reads_only_the_service_bucket(
    s3_settings: Any, boto_session: aioboto3.Session, tmp_path: Path
) -> None:
    async with S3Client(s3_settings, session=boto_session) as s3:
        await s3.put_bytes("exports/report.csv", REPORT, content_type="text/csv")
        sources = {"s3": S3Source(s3)}
        async with DownloadClient(DownloadSettings(), sources=sources) as client:
            url = f"s3://{s3_settings.bucket}/exports/report.csv"
            target, written = await client.to_file(url, tmp_path)
            assert target == tmp_path / "report.csv"
            assert written.sha256 == hashlib.sha256(REPORT).hexdigest()
            with pytest.raises(SourceNotAllowedError):
                await client.to_file("s3://someone-elses-bucket/x.csv", tmp_path / "x")
            with pytest.raises(ObjectNotFound):
                await client.to_file(f"s3://{s3_settings.bucket}/missing.csv", tmp_path / "y")
    assert listing(tmp_path) == ["report.csv"]


async def test_s3_objects_are_capped_like_any_source(
    s3_settings: Any, boto_session: aioboto3.Session, tmp_path: Path
) -> None:
    """The size cap is DownloadClient's, so a plugged-in source cannot bypass it."""
    async with S3Client(s3_settings, session=boto_session) as s3:
        await s3.put_bytes("big.bin", b"x" * 5000)
        sources = {"s3": S3Source(s3)}
        async with DownloadClient(DownloadSettings(max_bytes=4096), sources=sources) as client:
            with pytest.raises(DownloadTooLargeError):
                await client.to_file(f"s3://{s3_settings.bucket}/big.bin", tmp_path / "f")
    assert listing(tmp_path) == []


async def test_the_service_plugs_the_s3_source_in_while_s3_is_on(
    s3_settings: Any, boto_session: aioboto3.Session, tmp_path: Path
) -> None:
    """The download feature gives the shared DownloadClient the S3 feature's client."""
    async with S3Client(s3_settings, session=boto_session) as s3:
        await s3.put_bytes("a.txt", b"A")
    async with open_resources(Settings(s3=s3_settings)) as resources:
        downloads = resources.get(DOWNLOADS)
        target, _ = await downloads.to_file(f"s3://{s3_settings.bucket}/a.txt", tmp_path)
    assert target.read_bytes() == b"A"


async def test_with_s3_off_the_service_has_no_s3_source(tmp_path: Path) -> None:
    async with open_resources(Settings()) as resources:
        with pytest.raises(SourceNotAllowedError, match="no source configured for s3://"):
            await resources.get(DOWNLOADS).to_file("s3://bucket/key", tmp_path / "x")


async def test_s3_source_needs_an_s3_client(tmp_path: Path) -> None:
    async with DownloadClient(DownloadSettings()) as client:
        with pytest.raises(SourceNotAllowedError, match="no source configured for s3://"):
            await client.to_file("s3://bucket/key", tmp_path / "x")
