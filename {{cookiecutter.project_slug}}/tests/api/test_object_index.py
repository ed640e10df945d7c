"""The object index on every backend: the same fields, keyset pages, the two writes in step."""

import asyncio
import hashlib
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import yaml
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from typer.testing import CliRunner

from {{ cookiecutter.package_name }}.cli import app
from {{ cookiecutter.package_name }}.db.object_index import IndexedStorage
from {{ cookiecutter.package_name }}.features.objects import STORAGE
from {{ cookiecutter.package_name }}.resources import open_resources
from {{ cookiecutter.package_name }}.storage import Storage

from .conftest import Backend, assert_envelope, serve

OBJECTS = "/api/v1/objects"
runner = CliRunner()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def run_sql(backend: Backend, *statements: str) -> None:
    """Statements on the test's index database, from a connection of their own."""
    engine = create_async_engine(backend.config["database"]["url"])
    try:
        async with engine.begin() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def take_the_table_away(backend: Backend) -> None:
    await run_sql(backend, "ALTER TABLE object_index RENAME TO object_index_away")


async def bring_the_table_back(backend: Backend) -> None:
    await run_sql(backend, "ALTER TABLE object_index_away RENAME TO object_index")


@asynccontextmanager
async def raw_storage(backend: Backend) -> AsyncIterator[Storage]:
    """The backend below the index: writes here bypass the table."""
    async with open_resources(backend.settings()) as resources:
        indexed = resources.get(STORAGE)
        assert isinstance(indexed, IndexedStorage)
        yield indexed.backend


async def reconcile(backend: Backend, tmp_path: Path) -> str:
    """`<slug> reconcile` with the backend's settings (in a thread: it runs its own loop)."""
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(backend.config), encoding="utf-8")
    result = await asyncio.to_thread(runner.invoke, app, ["--config", str(config), "reconcile"])
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


async def test_every_backend_reports_sha256_content_type_and_time(
    api: httpx.AsyncClient,
) -> None:
    data = b"the same fields on every backend\n" * 1000
    put = await api.put(f"{OBJECTS}/r/a.txt", content=data, headers={"Content-Type": "text/plain"})
    assert put.status_code == 200, put.text
    stored = put.json()
    assert stored["etag"] == sha256(data), "the ETag is the content's sha256"
    assert (stored["size"], stored["content_type"]) == (len(data), "text/plain")
    assert stored["last_modified"] is not None

    [listed] = (await api.get(OBJECTS)).json()["items"]
    assert listed == stored, "listings carry every field, content type included"
    head = await api.head(f"{OBJECTS}/r/a.txt")
    get = await api.get(f"{OBJECTS}/r/a.txt")
    assert get.content == data
    for response in (head, get):
        assert response.headers["etag"] == f'"{sha256(data)}"'
        assert response.headers["content-type"] == "text/plain"
        assert response.headers["content-length"] == str(len(data))
    assert head.headers["last-modified"] == get.headers["last-modified"]


async def test_listing_is_keyset_paged_in_code_point_order(api: httpx.AsyncClient) -> None:
    keys = ["b", "a/2", "Z", "a/1", "ä", "a-b", "€/x", "a/10", "B/c"]
    for key in keys:
        assert (await api.put(f"{OBJECTS}/{key}", content=key.encode())).status_code == 200
    seen: list[str] = []
    params: dict[str, str | int] = {"limit": 2}
    while True:
        page = (await api.get(OBJECTS, params=params)).json()
        assert len(page["items"]) <= 2
        seen += [item["key"] for item in page["items"]]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == sorted(keys)
    prefixed = (await api.get(OBJECTS, params={"prefix": "a/"})).json()["items"]
    assert [item["key"] for item in prefixed] == ["a/1", "a/10", "a/2"]


async def test_a_row_that_cannot_be_written_undoes_the_upload(
    api: httpx.AsyncClient, backend: Backend
) -> None:
    """Storage first, row second: when the row fails, the stored object is deleted again."""
    await take_the_table_away(backend)
    try:
        response = await api.put(f"{OBJECTS}/new.bin", content=b"x" * 70_000)
        assert_envelope(response, 503, "storage_unavailable")
        assert "retry-after" not in response.headers, "a missing table will not pass by itself"
        assert await backend.leftovers() == [], "the compensation removed the object"
    finally:
        await bring_the_table_back(backend)
    assert (await api.head(f"{OBJECTS}/new.bin")).status_code == 404
    assert (await api.get(OBJECTS)).json()["items"] == []


async def test_a_locked_index_is_503_with_retry_after_and_stores_nothing(
    backend: Backend,
) -> None:
    """Another writer holds SQLite's lock past the wait: the database is busy, not broken,
    so the client is told when to come back; the upload is undone as for any failed row."""
    database = {**backend.config["database"], "pool_timeout": 0.3}
    path = database["url"].removeprefix("sqlite+aiosqlite:///")
    async with serve(backend.settings(database=database)) as api:
        holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        try:
            await asyncio.to_thread(holder.execute, "BEGIN EXCLUSIVE")
            response = await api.put(f"{OBJECTS}/locked.bin", content=b"x" * 70_000)
            assert_envelope(response, 503, "storage_unavailable")
            assert response.headers["Retry-After"] == "1"
            assert response.json()["error"]["details"] == {"retry_after": 1}
            assert await backend.leftovers() == [], "the compensation removed the object"
        finally:
            await asyncio.to_thread(holder.execute, "ROLLBACK")
            holder.close()
        assert (await api.put(f"{OBJECTS}/locked.bin", content=b"x")).status_code == 200


async def test_a_row_that_cannot_be_deleted_stays_until_the_delete_is_repeated(
    api: httpx.AsyncClient, backend: Backend
) -> None:
    """Storage first, row second: a failed DELETE never leaves an object nobody lists."""
    await api.put(f"{OBJECTS}/gone", content=b"bytes")
    await take_the_table_away(backend)
    try:
        assert_envelope(await api.delete(f"{OBJECTS}/gone"), 503, "storage_unavailable")
        assert await backend.leftovers() == []
    finally:
        await bring_the_table_back(backend)
    assert (await api.head(f"{OBJECTS}/gone")).status_code == 200, "the row is still there"
    assert_envelope(await api.get(f"{OBJECTS}/gone"), 404, "not_found")
    assert (await api.delete(f"{OBJECTS}/gone")).status_code == 204
    assert (await api.head(f"{OBJECTS}/gone")).status_code == 404
    assert (await api.get(OBJECTS)).json()["items"] == []


async def test_an_upload_storage_refuses_writes_no_row(backend: Backend) -> None:
    storage = {**backend.config["storage"], "max_object_bytes": 1000}
    async with serve(backend.settings(storage=storage)) as api:
        response = await api.put(f"{OBJECTS}/big", content=b"x" * 1001)
        assert_envelope(response, 413, "payload_too_large")
        assert (await api.get(OBJECTS)).json()["items"] == []
    assert await backend.leftovers() == []


async def test_reconcile_repairs_the_index_from_storage_and_is_idempotent(
    backend: Backend, tmp_path: Path
) -> None:
    async with serve(backend.settings()) as api:
        for key in ("a", "b"):
            await api.put(f"{OBJECTS}/{key}", content=f"{key} content".encode())
    async with raw_storage(backend) as storage:
        await storage.put_stream("d", _one(b"d content"), content_type="text/csv")
    await run_sql(
        backend,
        "DELETE FROM object_index WHERE key = 'a'",
        "UPDATE object_index SET size = 1 WHERE key = 'b'",
        "INSERT INTO object_index (key, size, sha256, content_type, storage_etag, created_at,"
        " updated_at) VALUES ('c', 1, 'x', 'text/plain', 'x', '2026-01-01 00:00:00.000000',"
        " '2026-01-01 00:00:00.000000')",
    )

    assert await reconcile(backend, tmp_path) == "added 2, updated 1, removed 1, unchanged 0"
    assert await reconcile(backend, tmp_path) == "added 0, updated 0, removed 0, unchanged 3"

    async with serve(backend.settings()) as api:
        items = (await api.get(OBJECTS)).json()["items"]
    assert [(item["key"], item["etag"]) for item in items] == [
        (key, sha256(f"{key} content".encode())) for key in ("a", "b", "d")
    ]
    assert items[2]["content_type"] == "text/csv", "taken from storage"


async def _one(data: bytes) -> AsyncIterator[bytes]:
    yield data
