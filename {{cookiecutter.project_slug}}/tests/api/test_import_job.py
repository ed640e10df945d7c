"""POST /api/v1/objects/import with `Prefer: respond-async`: the import as a job.

The app runs through ASGITransport with its lifespan, so the memory broker runs the jobs in
this process; the source is a real aiohttp server.
"""

import asyncio
import hashlib
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from {{ cookiecutter.package_name }}.config import ENV_PREFIX
from {{ cookiecutter.package_name }}.server import create_app
from {{ cookiecutter.package_name }}.service import Settings

# The Redis fixtures of the jobs tests (a server from the environment or a throw-away one).
from ..jobs.conftest import key_prefix, redis, redis_server, start_worker, worker_environment
from .conftest import Backend, api_config, assert_envelope, local_backend, serve
from .source_server import Source, pattern, source_server

__all__ = ["key_prefix", "redis", "redis_server"]  # fixtures used here, by name

IMPORT = "/api/v1/objects/import"
ASYNC = {"Prefer": "respond-async"}


@pytest.fixture
async def source() -> AsyncIterator[Source]:
    async with source_server() as state:
        yield state


def data_url(source: Source, size: int) -> str:
    return f"{source.url}files/data.bin?size={size}"


async def submit(api: httpx.AsyncClient, **body: Any) -> httpx.Response:
    response = await api.post(IMPORT, json=body, headers=ASYNC)
    assert response.status_code == 202, response.text
    return response


async def finished(api: httpx.AsyncClient, location: str, within: float = 20.0) -> dict[str, Any]:
    """The job's record at `location` once it succeeded or failed."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        record: dict[str, Any] = (await api.get(location)).json()
        if record["status"] in ("succeeded", "failed"):
            return record
        await asyncio.sleep(0.02)
    raise AssertionError(f"{location} not finished after {within} s")


async def run(api: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    """Submit the import as a job and wait for its end."""
    response = await submit(api, **body)
    return await finished(api, response.headers["location"])


async def test_respond_async_answers_202_and_the_job_stores_the_source(
    api: httpx.AsyncClient, source: Source
) -> None:
    data = pattern(300_000)
    body = {
        "url": data_url(source, 300_000),
        "key": "imports/data.bin",
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    response = await submit(api, **body)
    job = response.json()
    assert response.headers["location"] == f"http://testserver/api/v1/jobs/{job['id']}"
    assert response.headers["preference-applied"] == "respond-async"
    assert job["kind"] == "import_object"
    assert job["status"] in ("queued", "running")
    assert job["input"] == body

    record = await finished(api, response.headers["location"])
    assert record["status"] == "succeeded", record
    result = record["result"]
    assert (result["key"], result["size"], result["reused"]) == ("imports/data.bin", 300_000, False)
    assert record["progress"] == 1.0
    stored = await api.get("/api/v1/objects/imports/data.bin")
    assert stored.content == data
    assert stored.headers["content-type"] == "application/x-data"


@pytest.mark.parametrize(
    "prefer",
    [
        [("Prefer", "wait=5, Respond-Async")],
        [("Prefer", "return=minimal"), ("Prefer", "respond-async;x=1")],
    ],
)
async def test_respond_async_counts_in_any_case_list_or_header_line(
    api: httpx.AsyncClient, source: Source, prefer: list[tuple[str, str]]
) -> None:
    response = await api.post(IMPORT, json={"url": data_url(source, 10)}, headers=prefer)
    assert response.status_code == 202, response.text
    assert (await finished(api, response.headers["location"]))["status"] == "succeeded"


async def test_without_respond_async_the_import_answers_when_it_is_done(
    api: httpx.AsyncClient, source: Source
) -> None:
    """Other preferences are ignored: the route answers as it always did."""
    response = await api.post(
        IMPORT,
        json={"url": data_url(source, 1000), "key": "sync.bin"},
        headers={"Prefer": "return=minimal"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["key"] == "sync.bin"
    assert "preference-applied" not in response.headers
    assert (await api.get("/api/v1/objects/sync.bin")).content == pattern(1000)


async def test_a_failing_source_fails_the_job_with_the_download_error(
    api: httpx.AsyncClient, backend: Backend, source: Source
) -> None:
    record = await run(api, url=f"{source.url}status/404", key="missing.bin")
    assert record["status"] == "failed", record
    assert record["error"] == {
        "code": "bad_gateway",
        "message": "The source could not be fetched; status: 404",
    }
    assert record["result"] is None
    assert await backend.leftovers() == []


async def test_a_checksum_mismatch_fails_the_job_and_stores_nothing(
    api: httpx.AsyncClient, backend: Backend, source: Source
) -> None:
    record = await run(api, url=data_url(source, 300_000), key="bad.bin", sha256="0" * 64)
    assert record["status"] == "failed"
    assert record["error"]["code"] == "checksum_mismatch"
    assert hashlib.sha256(pattern(300_000)).hexdigest() in record["error"]["message"]
    assert await backend.leftovers() == []


async def test_a_private_source_fails_the_job_as_not_allowed(api: httpx.AsyncClient) -> None:
    """The SSRF guard holds in the job as in the route (10.0.0.0/8 is not allowed here)."""
    record = await run(api, url="http://10.0.0.1/secret", key="secret.bin")
    assert record["status"] == "failed"
    assert record["error"]["code"] == "source_not_allowed"


async def test_a_rerun_with_key_and_sha256_reuses_the_stored_object(
    api: httpx.AsyncClient, backend: Backend, source: Source
) -> None:
    """At-least-once delivery may run an import twice: the second run downloads nothing."""
    data = pattern(200_000)
    body = {
        "url": data_url(source, 200_000),
        "key": "again.bin",
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    first = await run(api, **body)
    stored = await backend.leftovers()
    second = await run(api, **body)
    assert (first["status"], second["status"]) == ("succeeded", "succeeded")
    assert (first["result"]["reused"], second["result"]["reused"]) == (False, True)
    assert second["result"]["size"] == first["result"]["size"] == 200_000
    assert source.calls["/files/data.bin"] == 1, "the second run fetched nothing"
    assert await backend.leftovers() == stored, "no second copy, nothing left over"
    assert (await api.get("/api/v1/objects/again.bin")).content == data


async def test_a_rerun_without_sha256_stores_the_same_bytes_under_the_same_key(
    api: httpx.AsyncClient, backend: Backend, source: Source
) -> None:
    body = {"url": data_url(source, 5000), "key": "same.bin"}
    first = await run(api, **body)
    stored = await backend.leftovers()
    second = await run(api, **body)
    assert (first["status"], second["status"]) == ("succeeded", "succeeded")
    assert source.calls["/files/data.bin"] == 2, "without a checksum the source is fetched again"
    assert await backend.leftovers() == stored
    assert (await api.get("/api/v1/objects/same.bin")).content == pattern(5000)


async def test_a_different_object_under_the_key_is_replaced(
    api: httpx.AsyncClient, source: Source
) -> None:
    """Same key, other content: the expected sha256 decides, as the synchronous import does."""
    await api.put("/api/v1/objects/swap.bin", content=b"old content")
    data = pattern(4000)
    record = await run(
        api, url=data_url(source, 4000), key="swap.bin", sha256=hashlib.sha256(data).hexdigest()
    )
    assert record["result"]["reused"] is False
    assert (await api.get("/api/v1/objects/swap.bin")).content == data


async def test_callback_url_without_respond_async_is_400(
    api: httpx.AsyncClient, source: Source
) -> None:
    """Only a job calls back: accepting the field and never calling would lose it silently."""
    response = await api.post(
        IMPORT, json={"url": data_url(source, 10), "callback_url": "https://example.com/hook"}
    )
    assert_envelope(response, 400, "callback_needs_respond_async")
    assert source.calls == {}


async def test_a_refused_callback_url_is_400_before_anything_runs(
    api: httpx.AsyncClient, source: Source
) -> None:
    response = await api.post(
        IMPORT,
        json={"url": data_url(source, 10), "callback_url": "ftp://example.com/hook"},
        headers=ASYNC,
    )
    assert_envelope(response, 400, "invalid_callback_url")
    await asyncio.sleep(0.1)
    assert source.calls == {}, "no job ran"


async def test_an_invalid_key_is_refused_before_a_job_is_queued(
    api: httpx.AsyncClient, source: Source
) -> None:
    """Its byte limit is checked by the route: a job would only fail later."""
    response = await api.post(
        IMPORT, json={"url": data_url(source, 10), "key": "/".join(["é" * 200] * 3)}, headers=ASYNC
    )
    assert_envelope(response, 400, "invalid_key")
    assert source.calls == {}


def test_the_schema_documents_the_202_and_the_prefer_header() -> None:
    operation = create_app(Settings()).openapi()["paths"][IMPORT]["post"]
    accepted = operation["responses"]["202"]
    assert accepted["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/JobRecord"
    }
    assert {"Location", "Preference-Applied"} <= accepted["headers"].keys()
    assert "201" in operation["responses"]
    (prefer,) = [p for p in operation["parameters"] if p["name"] == "prefer"]
    assert prefer["in"] == "header"
    assert "respond-async" in prefer["description"]


async def test_on_the_redis_broker_a_worker_process_runs_the_import(
    request: pytest.FixtureRequest,
    source: Source,
    redis_server: str,
    key_prefix: str,
    redis: Redis,
    tmp_path: Path,
) -> None:
    """The `worker` process knows the import kind too: the API submits, the worker imports."""
    backend = local_backend(api_config(request), tmp_path / "store")
    # The backend's sections (storage, and the database with the job store) go below.
    env = worker_environment(redis_server, key_prefix, {})
    for section, value in backend.config.items():
        env[f"{ENV_PREFIX}{section.upper()}"] = json.dumps(value)
    worker = start_worker(env, tmp_path / "worker.log")
    try:
        jobs = {"broker": "redis", "redis_url": redis_server, "key_prefix": key_prefix}
        async with serve(backend.settings(jobs=jobs)) as api:
            data = pattern(100_000)
            response = await submit(
                api,
                url=data_url(source, 100_000),
                key="by-worker.bin",
                sha256=hashlib.sha256(data).hexdigest(),
            )
            record = await finished(api, response.headers["location"], within=30)
            log = await asyncio.to_thread((tmp_path / "worker.log").read_text)
            assert record["status"] == "succeeded", (record, log)
            assert (await api.get("/api/v1/objects/by-worker.bin")).content == data
    finally:
        worker.terminate()  # SIGTERM: it drains and stops
        await asyncio.to_thread(worker.wait, 30)
