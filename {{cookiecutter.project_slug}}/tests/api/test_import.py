"""POST /api/v1/objects/import: a real aiohttp server as the source, the SSRF guard in front."""

import hashlib
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from ..ports import unused_port
from .conftest import MIB, Backend, assert_envelope, serve
from .source_server import Source, pattern, source_server

IMPORT = "/api/v1/objects/import"


@pytest.fixture
async def source() -> AsyncIterator[Source]:
    async with source_server() as state:
        yield state


async def import_(api: httpx.AsyncClient, **body: Any) -> httpx.Response:
    return await api.post(IMPORT, json=body)


async def test_import_stores_the_source_under_the_key(
    api: httpx.AsyncClient, source: Source
) -> None:
    data = pattern(300_000)
    response = await import_(
        api,
        url=f"{source.url}files/data.bin?size=300000",
        key="imports/data.bin",
        sha256=hashlib.sha256(data).hexdigest(),
    )
    assert response.status_code == 201, response.text
    assert response.json()["key"] == "imports/data.bin"
    assert response.headers["location"] == "http://testserver/api/v1/objects/imports/data.bin"
    stored = await api.get("/api/v1/objects/imports/data.bin")
    assert stored.content == data
    assert stored.headers["content-type"] == "application/x-data"


async def test_key_defaults_to_the_sanitised_file_name(
    api: httpx.AsyncClient, source: Source
) -> None:
    response = await import_(api, url=f"{source.url}files/attachment")
    assert response.status_code == 201, response.text
    assert response.json()["key"] == "evil.txt", "Content-Disposition, path parts removed"


async def test_checksum_mismatch_is_422_and_stores_nothing(
    api: httpx.AsyncClient, backend: Backend, source: Source
) -> None:
    """6 MiB: on S3 the mismatch is found after a part went up; the upload is aborted."""
    response = await import_(
        api, url=f"{source.url}files/data.bin?size={6 * MIB}", key="bad.bin", sha256="0" * 64
    )
    assert_envelope(response, 422, "checksum_mismatch")
    actual = response.json()["error"]["details"]["actual"]
    assert actual == hashlib.sha256(pattern(6 * MIB)).hexdigest()
    assert await backend.leftovers() == []


@pytest.mark.parametrize("limit", ["download", "storage"])
async def test_source_over_a_size_limit_is_413_and_stores_nothing(
    backend: Backend, source: Source, limit: str
) -> None:
    sections: dict[str, Any] = {}
    if limit == "download":
        sections["download"] = {**backend.config["download"], "max_bytes": MIB}
    else:
        sections["storage"] = {**backend.config["storage"], "max_object_bytes": MIB}
    async with serve(backend.settings(**sections)) as api:
        response = await import_(api, url=f"{source.url}files/data.bin?size={MIB + 1}", key="k")
    assert_envelope(response, 413, "payload_too_large")
    assert await backend.leftovers() == []


def ssrf_targets(port: int) -> list[str]:
    return [
        f"http://127.0.0.2:{port}/files/data.bin",  # loopback, but not the allowed 127.0.0.1/32
        f"http://[::1]:{port}/files/data.bin",
        f"http://[::ffff:127.0.0.2]:{port}/files/data.bin",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://192.168.1.1/",
        "ftp://example.com/file",
        "file:///etc/passwd",
        "gopher://127.0.0.1:70/",
    ]


async def test_private_targets_and_other_schemes_are_refused(
    api: httpx.AsyncClient, backend: Backend, source: Source
) -> None:
    for url in ssrf_targets(source.port):
        response = await import_(api, url=url, key="stolen")
        assert response.status_code == 403, url
        assert_envelope(response, 403, "source_not_allowed")
    assert source.calls == Counter(), "refused before any request was sent"
    assert await backend.leftovers() == []


async def test_loopback_is_refused_by_default(backend: Backend, source: Source) -> None:
    """Without the tests' exception for 127.0.0.1/32, loopback is refused like the rest."""
    async with serve(backend.settings(download={})) as api:
        for host in ("127.0.0.1", "localhost", "[::1]"):
            url = f"http://{host}:{source.port}/files/data.bin"
            response = await import_(api, url=url, key="k")
            assert_envelope(response, 403, "source_not_allowed")
            assert "download.allowed_networks" in response.json()["error"]["message"], host
    assert source.calls == Counter()


# 127.0.0.1 in the forms inet_aton reads (one to four parts, decimal, octal or hex).
NUMERIC_LOOPBACK = ["2130706433", "0x7f.1", "017700000001", "127.1", "0x7f000001", "0177.0.0.1"]


async def test_hosts_written_as_numbers_are_judged_as_their_address(
    backend: Backend, source: Source
) -> None:
    """Refused as 127.0.0.1 (403), never handed to the HTTP library (which answered 502)."""
    async with serve(backend.settings(download={})) as api:
        for host in NUMERIC_LOOPBACK:
            url = f"http://{host}:{source.port}/files/data.bin"
            response = await import_(api, url=url, key="k")
            assert_envelope(response, 403, "source_not_allowed")
            assert "127.0.0.1" in response.json()["error"]["message"], host
    # Where 127.0.0.1 is allowed, these spellings of it are still refused: not every library
    # reads them the same way.
    async with serve(backend.settings()) as api:
        for host in NUMERIC_LOOPBACK:
            url = f"http://{host}:{source.port}/files/data.bin"
            assert_envelope(await import_(api, url=url, key="k"), 403, "source_not_allowed")
    assert source.calls == Counter()
    assert await backend.leftovers() == []


async def test_redirect_to_a_private_address_is_refused(
    api: httpx.AsyncClient, backend: Backend, source: Source
) -> None:
    hidden = f"http://127.0.0.2:{source.port}/files/data.bin"
    response = await import_(api, url=f"{source.url}redirect?to={hidden}", key="k")
    assert_envelope(response, 403, "source_not_allowed")
    assert source.calls == Counter({"/redirect": 1}), "the private hop was never fetched"
    assert await backend.leftovers() == []


async def test_source_errors_are_502(api: httpx.AsyncClient, source: Source) -> None:
    missing = await import_(api, url=f"{source.url}status/404", key="k")
    assert_envelope(missing, 502, "bad_gateway")
    assert missing.json()["error"]["details"] == {"status": 404}
    refused = await import_(api, url=f"http://127.0.0.1:{unused_port()}/x", key="k")
    assert_envelope(refused, 502, "bad_gateway")


async def test_slow_source_is_504(backend: Backend, source: Source) -> None:
    download = {**backend.config["download"], "read_timeout": 0.2}
    async with serve(backend.settings(download=download)) as api:
        response = await import_(api, url=f"{source.url}slow", key="k")
    assert_envelope(response, 504, "gateway_timeout")


INVALID_IMPORTS: list[tuple[dict[str, Any], int, str]] = [
    ({"url": "http://[::1/x"}, 422, "validation_error"),
    ({"url": "not a url"}, 403, "source_not_allowed"),
    ({"url": "https://example.com/x", "sha256": "abc"}, 422, "validation_error"),
    ({"url": "https://example.com/x", "extra": 1}, 422, "validation_error"),
    ({"url": "https://example.com/x", "key": "../x"}, 422, "validation_error"),
    ({"url": "https://example.com/x", "key": "é" * 200}, 400, "invalid_key"),
]


async def test_invalid_requests_fail_before_anything_is_fetched(api: httpx.AsyncClient) -> None:
    for body, status, code in INVALID_IMPORTS:
        response = await api.post(IMPORT, json=body)
        assert response.status_code == status, body
        assert_envelope(response, status, code)


async def test_import_body_keeps_the_global_body_limit(backend: Backend) -> None:
    """Only uploads get the storage limit; a JSON body is still held to server.max_body_bytes."""
    async with serve(backend.settings(server={"max_body_bytes": 1024})) as api:
        response = await api.post(IMPORT, json={"url": "https://example.com/" + "x" * 2000})
    assert_envelope(response, 413, "payload_too_large")
