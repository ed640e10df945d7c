"""PUT, GET, HEAD, DELETE and listing of /api/v1/objects, the same on every backend."""

import asyncio
import hashlib
import os
from collections.abc import AsyncIterator
from email.utils import parsedate_to_datetime

import httpx
import pytest
{%- if cookiecutter.with_files and cookiecutter.with_s3 %}

from {{ cookiecutter.package_name }}.config import ENV_PREFIX, ConfigError
from {{ cookiecutter.package_name }}.service import Settings
{%- elif not cookiecutter.with_files %}

from {{ cookiecutter.package_name }}.service import Settings
{%- endif %}

from .conftest import MIB, Backend, assert_envelope, serve

OBJECTS = "/api/v1/objects"


async def chunks_of(data: bytes, size: int) -> AsyncIterator[bytes]:
    """A streamed request body (no Content-Length, so sent chunked)."""
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def test_put_then_get_round_trips_bytes_and_type(api: httpx.AsyncClient) -> None:
    data = os.urandom(300_000)
    put = await api.put(
        f"{OBJECTS}/docs/report.pdf", content=data, headers={"Content-Type": "application/pdf"}
    )
    assert put.status_code == 200, put.text
    stored = put.json()
    assert (stored["key"], stored["size"], stored["content_type"]) == (
        "docs/report.pdf",
        len(data),
        "application/pdf",
    )
    get = await api.get(f"{OBJECTS}/docs/report.pdf")
    assert get.status_code == 200
    assert get.content == data
    assert get.headers["content-type"] == "application/pdf"
    assert get.headers["content-length"] == str(len(data))
    assert get.headers["etag"] == f'"{stored["etag"]}"'


async def test_streamed_multipart_sized_upload_is_byte_exact(api: httpx.AsyncClient) -> None:
    """Above S3's 5 MiB part size and sent chunked: stored and read back exactly."""
    data = os.urandom(11 * MIB + 123)
    put = await api.put(f"{OBJECTS}/big.bin", content=chunks_of(data, 700_000))
    assert put.status_code == 200, put.text
    assert put.json()["size"] == len(data)
    get = await api.get(f"{OBJECTS}/big.bin")
    assert hashlib.sha256(get.content).digest() == hashlib.sha256(data).digest()


async def test_content_type_defaults_to_octet_stream(api: httpx.AsyncClient) -> None:
    await api.put(f"{OBJECTS}/raw", content=b"raw")
    response = await api.get(f"{OBJECTS}/raw")
    assert response.headers["content-type"] == "application/octet-stream"


async def test_malformed_content_type_is_refused(api: httpx.AsyncClient, backend: Backend) -> None:
    for content_type in ("not a type", "text/html\x7f", "a/" + "b" * 300):
        headers = {"Content-Type": content_type}
        response = await api.put(f"{OBJECTS}/x", content=b"x", headers=headers)
        assert_envelope(response, 422, "validation_error")
    assert await backend.leftovers() == []


async def test_head_sends_the_headers_of_get_without_a_body(api: httpx.AsyncClient) -> None:
    await api.put(f"{OBJECTS}/h.txt", content=b"hello", headers={"Content-Type": "text/plain"})
    head = await api.head(f"{OBJECTS}/h.txt")
    get = await api.get(f"{OBJECTS}/h.txt")
    assert head.status_code == 200
    assert head.content == b""
    for name in ("content-length", "content-type", "etag", "last-modified"):
        assert head.headers[name] == get.headers[name], name
    assert head.headers["content-length"] == "5"
    assert parsedate_to_datetime(head.headers["last-modified"]).tzinfo is not None


async def test_downloads_cannot_run_as_pages_of_this_origin(api: httpx.AsyncClient) -> None:
    """User content served as text/html must not be sniffed or run with this origin's rights."""
    page = b"<script>alert(document.cookie)</script>"
    await api.put(f"{OBJECTS}/x.html", content=page, headers={"Content-Type": "text/html"})
    response = await api.get(f"{OBJECTS}/x.html")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"] == "sandbox"


async def test_missing_object_is_404(api: httpx.AsyncClient) -> None:
    assert_envelope(await api.get(f"{OBJECTS}/no/such/key"), 404, "not_found")
    head = await api.head(f"{OBJECTS}/no/such/key")
    assert (head.status_code, head.content) == (404, b"")


async def test_delete_removes_the_object_and_may_repeat(
    api: httpx.AsyncClient, backend: Backend
) -> None:
    await api.put(f"{OBJECTS}/d/e.txt", content=b"bye")
    first = await api.delete(f"{OBJECTS}/d/e.txt")
    second = await api.delete(f"{OBJECTS}/d/e.txt")
    assert (first.status_code, second.status_code) == (204, 204)
    assert (await api.get(f"{OBJECTS}/d/e.txt")).status_code == 404
    assert await backend.leftovers() == []


async def test_overwrite_replaces_the_object(api: httpx.AsyncClient) -> None:
    await api.put(f"{OBJECTS}/k", content=b"first", headers={"Content-Type": "text/plain"})
    await api.put(f"{OBJECTS}/k", content=b"second!", headers={"Content-Type": "text/csv"})
    response = await api.get(f"{OBJECTS}/k")
    assert (response.content, response.headers["content-type"]) == (b"second!", "text/csv")


async def test_listing_pages_through_every_key_in_order(api: httpx.AsyncClient) -> None:
    keys = ["a/1", "a/2", "a/3/x", "a-b", "b", "c/d/e", "z"]
    for key in reversed(keys):
        await api.put(f"{OBJECTS}/{key}", content=key.encode())
    seen: list[str] = []
    params: dict[str, str | int] = {"limit": 3}
    while True:
        response = await api.get(OBJECTS, params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= 3
        seen += [item["key"] for item in page["items"]]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == sorted(keys)
    sizes = {item["key"]: item["size"] for item in (await api.get(OBJECTS)).json()["items"]}
    assert sizes == {key: len(key) for key in keys}


async def test_listing_never_fails_while_objects_are_written_and_deleted(
    api: httpx.AsyncClient,
) -> None:
    """An object that comes or goes during a listing is listed or not, never an error."""
    keys = [f"churn/{index % 4}/{index}.txt" for index in range(24)]
    done = asyncio.Event()

    async def churn() -> None:
        # Deleting the last key of a directory removes the directory too (local backend).
        for _ in range(2):
            await asyncio.gather(*(api.put(f"{OBJECTS}/{key}", content=b"x") for key in keys))
            await asyncio.gather(*(api.delete(f"{OBJECTS}/{key}") for key in keys))
        done.set()

    async def list_until_done() -> list[str]:
        failures = []
        while not done.is_set():
            response = await api.get(OBJECTS, params={"prefix": "churn/", "limit": 1000})
            if response.status_code != 200:
                failures.append(response.text)
                continue
            listed = [item["key"] for item in response.json()["items"]]
            if listed != sorted(listed) or not set(listed) <= set(keys):
                failures.append(f"listing out of order or unknown keys: {listed}")
        return failures

    listers = [asyncio.ensure_future(list_until_done()) for _ in range(4)]
    await churn()
    assert [failure for lister in listers for failure in await lister] == []


async def test_listing_filters_by_prefix(api: httpx.AsyncClient) -> None:
    for key in ("logs/1", "logs/2", "logsX", "other"):
        await api.put(f"{OBJECTS}/{key}", content=b".")
    response = await api.get(OBJECTS, params={"prefix": "logs/"})
    assert [item["key"] for item in response.json()["items"]] == ["logs/1", "logs/2"]
    empty = await api.get(OBJECTS, params={"prefix": "nothing/"})
    assert empty.json() == {"items": [], "next_cursor": None}


async def test_bad_listing_parameters_get_422_envelopes(api: httpx.AsyncClient) -> None:
    for params in ({"cursor": "not-a-cursor!"}, {"cursor": "A"}, {"limit": 0}, {"limit": 1001}):
        assert_envelope(await api.get(OBJECTS, params=params), 422, "validation_error")


TRAVERSAL_PATHS = [
    "..%2Fsecret",
    "%2e%2e/%2e%2e/etc/passwd",
    "a/%2E%2E/%2E%2E/b",
    "a%2F..%2F..%2Fb",
    "/etc/passwd",
    "%2Fetc%2Fpasswd",
    "nul%00byte",
    "back%5Cslash",
    "a//b",
    "trailing/",
    "~root/x",
    "x" * 1100,
    "/".join(["y" * 256]),
]


async def test_keys_that_could_escape_get_400(api: httpx.AsyncClient, backend: Backend) -> None:
    """Every method, every spelling of a way out of the store: 400, and nothing stored."""
    wrong = []
    for path in TRAVERSAL_PATHS:
        for method in ("PUT", "GET", "HEAD", "DELETE"):
            content = b"payload" if method == "PUT" else None
            response = await api.request(method, f"{OBJECTS}/{path}", content=content)
            code = None if method == "HEAD" else response.json()["error"]["code"]
            if response.status_code != 400 or code not in (None, "invalid_key"):
                wrong.append(f"{method} {path[:40]}: {response.status_code} {code}")
    assert wrong == []
    assert await backend.leftovers() == []


# Starlette's `path` convertor stops at a newline: these matched no route (404) or, with the
# newline last, lost it and were stored under "newline-last".
NEWLINE_PATHS = ["new%0Aline", "newline-last%0A", "%0A", "dir/%0A/x", "cr%0D%0Alf"]


async def test_keys_with_a_newline_get_the_documented_400(
    api: httpx.AsyncClient, backend: Backend
) -> None:
    """The 400 `invalid_key` envelope, a status each operation lists in the OpenAPI document."""
    paths = (await api.get("/openapi.json")).json()["paths"]
    wrong = []
    for path in NEWLINE_PATHS:
        for method in ("PUT", "GET", "HEAD", "DELETE"):
            content = b"payload" if method == "PUT" else None
            response = await api.request(method, f"{OBJECTS}/{path}", content=content)
            documented = paths[OBJECTS + "/{key}"][method.lower()]["responses"]
            failed = response.status_code >= 400 and method != "HEAD"
            code = response.json()["error"]["code"] if failed else None
            if response.status_code != 400 or code not in (None, "invalid_key"):
                wrong.append(f"{method} {path}: {response.status_code} {code}")
            if str(response.status_code) not in documented:
                wrong.append(f"{method} {path}: {response.status_code} is not documented")
    assert wrong == []
    assert await backend.leftovers() == []


async def test_empty_key_is_refused(api: httpx.AsyncClient) -> None:
    assert_envelope(await api.put(f"{OBJECTS}/", content=b"x"), 400, "invalid_key")


@pytest.mark.parametrize("streamed", [False, True], ids=["content-length", "chunked"])
async def test_object_over_the_storage_limit_is_413_and_leaves_nothing(
    backend: Backend, streamed: bool
) -> None:
    data = os.urandom(MIB + 1)
    body = chunks_of(data, 64 * 1024) if streamed else data
    storage = {**backend.config["storage"], "max_object_bytes": MIB}
    async with serve(backend.settings(storage=storage)) as api:
        response = await api.put(f"{OBJECTS}/too-big.bin", content=body)
        assert_envelope(response, 413, "payload_too_large")
        assert await backend.leftovers() == []
        assert (await api.put(f"{OBJECTS}/fits.bin", content=data[:MIB])).status_code == 200


async def test_uploads_may_pass_the_global_body_limit_up_to_the_storage_limit(
    backend: Backend,
) -> None:
    """server.max_body_bytes guards other routes; uploads stream into storage instead."""
    settings = backend.settings(server={"max_body_bytes": 1024})
    data = os.urandom(2 * MIB)
    async with serve(settings) as api:
        put = await api.put(f"{OBJECTS}/large.bin", content=data)
        assert put.status_code == 200, put.text
        assert (await api.get(f"{OBJECTS}/large.bin")).content == data
        other = await api.post("/version", content=b"x" * 2048)
        assert_envelope(other, 413, "payload_too_large")
{%- if cookiecutter.with_files and cookiecutter.with_s3 %}


def test_backend_s3_needs_s3_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """A clear error when the settings load, not a failure on the first request."""
    monkeypatch.setenv(f"{ENV_PREFIX}STORAGE__BACKEND", "s3")
    with pytest.raises(ConfigError, match=r"storage\.backend is s3 but S3 is off"):
        Settings.load()
{%- elif not cookiecutter.with_files %}


async def test_objects_answer_503_while_s3_is_off() -> None:
    """The defaults keep S3 off: the service starts, the objects API says why it cannot work."""
    async with serve(Settings()) as api:
        response = await api.get(f"{OBJECTS}/any")
    assert_envelope(response, 503, "service_unavailable")
    assert "s3.enabled" in response.json()["error"]["message"]
{%- endif %}
