"""S3Client against moto's S3 server: round trips, streaming, listing, presigning, errors."""

import asyncio
import json
import logging
import os
from pathlib import Path

import aioboto3
import aiofiles.os
import aiohttp
import pytest
from botocore.loaders import create_loader
from types_aiobotocore_s3 import S3Client as BotoS3Client

from {{ cookiecutter.package_name }}.features.s3 import S3Settings
from {{ cookiecutter.package_name }}.storage import ObjectNotFound, StorageError
from {{ cookiecutter.package_name }}.storage import s3_client as s3_module
from {{ cookiecutter.package_name }}.storage.s3_client import S3Client
from {{ cookiecutter.package_name }}.storage.s3_storage import S3Storage

from ..ports import unused_port
from .conftest import MIB, PART, chunked, sha256


async def read_all(s3: S3Client, key: str, chunk_size: int = MIB) -> bytes:
    return b"".join([chunk async for chunk in s3.iter_object(key, chunk_size=chunk_size)])


async def test_small_object_round_trip_keeps_bytes_type_and_metadata(s3: S3Client) -> None:
    data = os.urandom(100_000)
    await s3.put_bytes(
        "docs/a.bin", data, content_type="application/x-test", metadata={"owner": "ada"}
    )
    assert sha256(await s3.get_bytes("docs/a.bin")) == sha256(data)
    info = await s3.head("docs/a.bin")
    assert info.size == len(data)
    assert info.content_type == "application/x-test"
    assert info.metadata == {"owner": "ada"}


async def test_empty_object_round_trips(s3: S3Client) -> None:
    await s3.put_stream("empty", chunked(b"", 1))
    assert await s3.get_bytes("empty") == b""
    assert (await s3.head("empty")).size == 0


async def test_stream_below_the_threshold_is_a_single_put(s3: S3Client) -> None:
    data = os.urandom(PART)  # threshold is PART: not above it
    info = await s3.put_stream("one-part", chunked(data, 300_000))
    assert "-" not in info.etag, "a multipart ETag ends in -<parts>"
    assert sha256(await read_all(s3, "one-part")) == sha256(data)


@pytest.mark.parametrize(
    ("size", "parts"),
    [(PART + 1, 2), (2 * PART, 2), (2 * PART + 123_457, 3)],
    ids=["just-above-threshold", "exact-parts", "ragged-last-part"],
)
async def test_multipart_round_trip_is_byte_exact(s3: S3Client, size: int, parts: int) -> None:
    data = os.urandom(size)
    info = await s3.put_stream(
        "big.bin", chunked(data, 700_001), content_type="video/mp4", metadata={"k": "v"}
    )
    assert info.size == size
    assert info.etag.endswith(f"-{parts}"), info.etag
    head = await s3.head("big.bin")
    assert (head.size, head.content_type, head.metadata) == (size, "video/mp4", {"k": "v"})
    assert sha256(await read_all(s3, "big.bin")) == sha256(data)


async def test_iter_object_yields_bounded_chunks(s3: S3Client) -> None:
    data = os.urandom(3 * MIB)
    await s3.put_bytes("stream.bin", data)
    sizes = [len(chunk) async for chunk in s3.iter_object("stream.bin", chunk_size=64 * 1024)]
    assert len(sizes) > 1
    assert max(sizes) <= 64 * 1024
    assert sum(sizes) == len(data)


async def test_stopping_a_stream_early_releases_it(s3: S3Client) -> None:
    await s3.put_bytes("partial.bin", os.urandom(2 * MIB))
    stream = s3.iter_object("partial.bin", chunk_size=1024)
    assert len(await anext(stream)) <= 1024
    await stream.aclose()
    assert await s3.get_bytes("partial.bin"), "the client still works after an early stop"


@pytest.fixture
def source_file(tmp_path: Path) -> tuple[Path, bytes]:
    data = os.urandom(2 * PART + 4321)
    path = tmp_path / "source.bin"
    path.write_bytes(data)
    return path, data


async def test_upload_file_and_download_file_round_trip(
    s3: S3Client, source_file: tuple[Path, bytes], tmp_path: Path
) -> None:
    path, data = source_file
    info = await s3.upload_file(path, "files/source.bin", content_type="application/octet-stream")
    assert info.etag.endswith("-3")
    target = tmp_path / "downloaded.bin"
    assert await s3.download_file("files/source.bin", target) == len(data)
    assert sha256(await asyncio.to_thread(target.read_bytes)) == sha256(data)
    assert sorted(await aiofiles.os.listdir(tmp_path)) == ["downloaded.bin", "source.bin"]


async def test_failed_download_leaves_no_file(s3: S3Client, tmp_path: Path) -> None:
    with pytest.raises(ObjectNotFound):
        await s3.download_file("missing", tmp_path / "out.bin")
    assert await aiofiles.os.listdir(tmp_path) == [], "no partial or temporary file is left"


async def test_listing_follows_every_page(
    s3: S3Client, raw_s3: BotoS3Client, s3_settings: S3Settings
) -> None:
    keys = [f"logs/{i:02d}.txt" for i in range(7)]
    for key in keys:
        await s3.put_bytes(key, key.encode())
    await s3.put_bytes("other/x.txt", b"x")
    first_page = await raw_s3.list_objects_v2(Bucket=s3_settings.bucket, MaxKeys=2)
    assert first_page["IsTruncated"], "the page size really splits the listing"
    listed = [info async for info in s3.list("logs/", page_size=2)]
    assert [info.key for info in listed] == keys
    assert [info.size for info in listed] == [len(key) for key in keys]
    assert len([info async for info in s3.list(page_size=3)]) == len(keys) + 1


async def test_presigned_get_is_fetchable_with_plain_http(s3: S3Client) -> None:
    await s3.put_bytes("shared.txt", b"hello from s3", content_type="text/plain")
    url = await s3.presigned_get("shared.txt", expires_in=60)
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        assert response.status == 200
        assert await response.read() == b"hello from s3"
        assert response.headers["Content-Type"] == "text/plain"


async def test_presigned_put_stores_the_upload(s3: S3Client) -> None:
    url = await s3.presigned_put("inbox/report.csv", content_type="text/csv")
    async with (
        aiohttp.ClientSession() as http,
        http.put(url, data=b"a,b\n1,2\n", headers={"Content-Type": "text/csv"}) as response,
    ):
        assert response.status == 200
    assert await s3.get_bytes("inbox/report.csv") == b"a,b\n1,2\n"
    assert (await s3.head("inbox/report.csv")).content_type == "text/csv"


@pytest.mark.parametrize("seconds", [0, 8 * 24 * 3600])
async def test_presigned_expiry_outside_sigv4_limits_is_refused(s3: S3Client, seconds: int) -> None:
    with pytest.raises(ValueError, match="expires_in"):
        await s3.presigned_get("x", expires_in=seconds)


async def test_missing_key_raises_object_not_found_everywhere(s3: S3Client) -> None:
    with pytest.raises(ObjectNotFound) as caught:
        await s3.head("nope")
    assert caught.value.key == "nope"
    assert caught.value.status == 404
    with pytest.raises(ObjectNotFound):
        await s3.get_bytes("nope")
    with pytest.raises(ObjectNotFound):
        await read_all(s3, "nope")
    with pytest.raises(ObjectNotFound):
        await s3.copy("nope", "copy")
    assert not await s3.exists("nope")
    await s3.delete("nope")  # deleting a missing key is not an error, as in S3


async def test_delete_and_delete_many_in_batches(
    s3: S3Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(s3_module, "DELETE_BATCH", 2)
    keys = [f"tmp/{i}" for i in range(5)]
    for key in [*keys, "keep", "single"]:
        await s3.put_bytes(key, b".")
    await s3.delete("single")
    await s3.delete_many(iter(keys))
    assert [info.key async for info in s3.list()] == ["keep"]


async def test_copy_keeps_content_type_and_metadata(s3: S3Client) -> None:
    await s3.put_bytes("a.json", b"{}", content_type="application/json", metadata={"v": "1"})
    await s3.copy("a.json", "b.json")
    copied = await s3.head("b.json")
    assert (copied.content_type, copied.metadata) == ("application/json", {"v": "1"})
    assert await s3.get_bytes("b.json") == b"{}"


async def test_key_prefix_isolates_clients_sharing_a_bucket(
    s3_settings: S3Settings, raw_s3: BotoS3Client, boto_session: aioboto3.Session
) -> None:
    tenant = s3_settings.model_copy(update={"key_prefix": "tenant/"})
    neighbour = s3_settings.model_copy(update={"key_prefix": "tenant-2/"})
    async with (
        S3Client(tenant, session=boto_session) as first,
        S3Client(neighbour, session=boto_session) as second,
    ):
        await first.put_bytes("data.txt", b"first")
        await second.put_bytes("data.txt", b"second")
        assert await first.get_bytes("data.txt") == b"first"
        assert await second.get_bytes("data.txt") == b"second"
        assert [info.key async for info in first.list()] == ["data.txt"]
        await first.delete_many(["data.txt"])
        assert await second.exists("data.txt")
    listing = await raw_s3.list_objects_v2(Bucket=s3_settings.bucket)
    assert [item["Key"] for item in listing.get("Contents", [])] == ["tenant-2/data.txt"]


async def test_unreachable_endpoint_raises_storage_error(
    s3_settings: S3Settings, boto_session: aioboto3.Session
) -> None:
    down = s3_settings.model_copy(update={"endpoint_url": f"http://127.0.0.1:{unused_port()}"})
    async with S3Client(down, session=boto_session) as s3:
        with pytest.raises(StorageError) as caught:
            await s3.check_bucket()
        assert not isinstance(caught.value, ObjectNotFound)
        assert caught.value.__cause__ is not None


async def test_missing_bucket_fails_the_check_as_storage_error(
    s3_settings: S3Settings, boto_session: aioboto3.Session
) -> None:
    gone = s3_settings.model_copy(update={"bucket": "no-such-bucket-here"})
    async with S3Client(gone, session=boto_session) as s3:
        with pytest.raises(StorageError) as caught:
            await s3.check_bucket()
    assert caught.value.status == 404
    assert not isinstance(caught.value, ObjectNotFound), "a missing bucket is not a missing key"


async def test_client_cannot_be_used_unopened_closed_or_reopened(
    s3_settings: S3Settings, boto_session: aioboto3.Session
) -> None:
    s3 = S3Client(s3_settings, session=boto_session)
    with pytest.raises(RuntimeError, match="unopened"):
        await s3.exists("x")
    async with s3:
        assert not await s3.exists("x")
    await s3.aclose()  # a second close is harmless
    with pytest.raises(RuntimeError, match="closed"):
        await s3.exists("x")
    with pytest.raises(RuntimeError, match="closed"):
        await s3.__aenter__()
    assert "state=closed" in repr(s3)


def test_client_needs_a_bucket() -> None:
    with pytest.raises(ValueError, match="bucket"):
        S3Client(S3Settings())


async def test_empty_key_is_refused(s3: S3Client) -> None:
    with pytest.raises(ValueError, match="empty"):
        await s3.put_bytes("", b"x")


async def test_open_stream_describes_the_bytes_it_streams(s3: S3Client) -> None:
    data = os.urandom(2 * MIB + 3)
    await s3.put_bytes("o.bin", data, content_type="application/x-o")
    stream = await s3.open_stream("o.bin", chunk_size=MIB)
    async with stream:
        chunks = [chunk async for chunk in stream.chunks]
    assert b"".join(chunks) == data
    assert max(len(chunk) for chunk in chunks) <= MIB
    assert (stream.info.size, stream.info.content_type) == (len(data), "application/x-o")
    with pytest.raises(ObjectNotFound):
        await s3.open_stream("missing")


async def test_list_after_is_one_request_after_a_key(s3: S3Client) -> None:
    for key in ("a", "b", "c", "d"):
        await s3.put_bytes(key, b"x")
    items, more = await s3.list_after(limit=2, start_after="a")
    assert ([item.key for item in items], more) == (["b", "c"], True)
    items, more = await s3.list_after(limit=2, start_after="c")
    assert ([item.key for item in items], more) == (["d"], False)


async def test_adapter_checks_keys_before_s3_sees_them(s3: S3Client) -> None:
    storage = S3Storage(s3)
    with pytest.raises(ValueError, match="invalid key"):
        await storage.put_stream("../escape", chunked(b"x", 1))
    assert (await storage.list_page()).items == ()


def test_endpoint_parameters_left_out_are_read_by_no_rule() -> None:
    """If a botocore upgrade starts to use one of them, S3Client must stop leaving it out."""
    rules = json.dumps(create_loader().load_service_model("s3", "endpoint-rule-set-1"))
    for name in s3_module.UNUSED_ENDPOINT_PARAMETERS:
        assert f'"ref": "{name}"' not in rules, name
        assert "{" + name + "}" not in rules, name


async def test_object_keys_stay_out_of_endpoint_resolution(
    s3: S3Client, caplog: pytest.LogCaptureFixture
) -> None:
    """botocore caches resolved endpoints by their parameters; a key among them defeats it."""
    with caplog.at_level(logging.DEBUG, logger="aiobotocore.regions"):
        await s3.put_bytes("cache/1", b"x")
        await s3.get_bytes("cache/1")
    calls = [
        record.getMessage()
        for record in caplog.records
        if record.getMessage().startswith("Calling endpoint provider with parameters")
    ]
    assert len(calls) == 2
    assert all("'Bucket'" in call and "'Key'" not in call for call in calls)
