"""The object index on SQLite and PostgreSQL: key order, timestamps, failures, reconcile."""

import asyncio
from collections.abc import AsyncIterator
{%- if cookiecutter.with_files %}
from pathlib import Path

import pytest
{%- else %}

import aioboto3
import pytest
{%- endif %}
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from {{ cookiecutter.package_name }}.db import migrate
from {{ cookiecutter.package_name }}.db.engine import open_engine, session_factory
from {{ cookiecutter.package_name }}.db.models.objects import ObjectRecord
from {{ cookiecutter.package_name }}.db.object_index import (
    IndexedStorage,
    IndexUnavailableError,
    ReconcileReport,
)
from {{ cookiecutter.package_name }}.features.database import DatabaseSettings
{%- if not cookiecutter.with_files %}
from {{ cookiecutter.package_name }}.features.s3 import S3Settings
{%- endif %}
from {{ cookiecutter.package_name }}.storage import ObjectNotFound, Storage
from {{ cookiecutter.package_name }}.storage.keys import encode_cursor
{%- if cookiecutter.with_files %}
from {{ cookiecutter.package_name }}.storage.local import LocalStorage
{%- else %}
from {{ cookiecutter.package_name }}.storage.s3_client import S3Client
from {{ cookiecutter.package_name }}.storage.s3_storage import S3Storage
{%- endif %}


async def one(data: bytes) -> AsyncIterator[bytes]:
    yield data


@pytest.fixture
{%- if cookiecutter.with_files %}
async def backend(tmp_path: Path) -> AsyncIterator[Storage]:
    async with LocalStorage(tmp_path / "store") as storage:
        yield storage
{%- else %}
async def backend(
    s3_settings: S3Settings, boto_session: aioboto3.Session
) -> AsyncIterator[Storage]:
    async with S3Client(s3_settings, session=boto_session) as client:
        yield S3Storage(client)
{%- endif %}


@pytest.fixture
async def engine(database: DatabaseSettings) -> AsyncIterator[AsyncEngine]:
    """At the newest revision, with an empty index (the PostgreSQL database is shared)."""
    await migrate.upgrade(database)
    async with open_engine(database) as engine:
        async with engine.begin() as connection:
            await connection.execute(text("DELETE FROM object_index"))
        yield engine


@pytest.fixture
def indexed(backend: Storage, engine: AsyncEngine) -> IndexedStorage:
    return IndexedStorage(backend, session_factory(engine), dialect=engine.dialect.name)


async def test_keys_list_in_code_point_order_a_page_at_a_time(indexed: IndexedStorage) -> None:
    """The order both backends list in, whatever the database's own collation."""
    keys = ["b", "a/2", "Z", "a/1", "ä", "a-b", "€/x", "a/10", "B/c", "a_b"]
    for key in keys:
        await indexed.put_stream(key, one(key.encode()))
    seen: list[str] = []
    cursor: str | None = None
    while True:
        page = await indexed.list_page(limit=3, cursor=cursor)
        seen += [info.key for info in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == sorted(keys)
    assert [info.key for info in (await indexed.list_page("a/")).items] == ["a/1", "a/10", "a/2"]
    assert [info.key for info in (await indexed.list_page("a_")).items] == ["a_b"]


async def test_postgresql_compares_keys_bytewise_whatever_its_default(postgres_url: str) -> None:
    """The key column uses the "C" collation: with an en_US default "B" would sort after "a"."""
    database = DatabaseSettings.model_validate({"url": postgres_url})
    await migrate.upgrade(database)
    query = (
        "SELECT collation_name FROM information_schema.columns"
        " WHERE table_name = 'object_index' AND column_name = 'key'"
    )
    async with open_engine(database) as engine, engine.connect() as connection:
        assert (await connection.execute(text(query))).scalar_one() == "C"


async def test_a_nul_in_a_prefix_or_cursor_is_a_position_not_an_error(
    indexed: IndexedStorage,
) -> None:
    """PostgreSQL refuses NUL in text; keys never hold one, so it can only be a position."""
    for key in ("a", "ab", "abc", "b"):
        await indexed.put_stream(key, one(b"x"))
    assert (await indexed.list_page("a\0")).items == ()
    page = await indexed.list_page(cursor=encode_cursor("ab\0z"))
    assert [info.key for info in page.items] == ["abc", "b"]


async def test_a_replaced_object_keeps_its_creation_time(
    indexed: IndexedStorage, engine: AsyncEngine
) -> None:
    first = await indexed.put_stream("k", one(b"one"), content_type="text/plain")
    await asyncio.sleep(0.01)
    second = await indexed.put_stream("k", one(b"two!"))
    assert second.last_modified is not None
    assert first.last_modified is not None
    assert second.last_modified > first.last_modified
    assert (second.size, second.content_type) == (4, "application/octet-stream")
    async with session_factory(engine)() as session:
        record = await session.get(ObjectRecord, "k")
    assert record is not None
    assert record.created_at == first.last_modified
    assert record.updated_at == second.last_modified
    assert record.created_at.utcoffset() is not None, "aware datetimes on every database"


async def test_a_refused_row_undoes_the_upload_on_every_database(
    indexed: IndexedStorage, backend: Storage, engine: AsyncEngine
) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("ALTER TABLE object_index RENAME TO object_index_away"))
    try:
        with pytest.raises(IndexUnavailableError):
            await indexed.put_stream("k", one(b"bytes"))
        with pytest.raises(ObjectNotFound):
            await backend.head("k")
    finally:
        async with engine.begin() as connection:
            await connection.execute(text("ALTER TABLE object_index_away RENAME TO object_index"))


async def test_reconcile_makes_the_index_match_storage(
    indexed: IndexedStorage, backend: Storage
) -> None:
    for key in ("kept", "changed", "forgotten"):
        await indexed.put_stream(key, one(key.encode()))
    await backend.put_stream("changed", one(b"changed behind the index's back"))
    await backend.put_stream("new", one(b"new"), content_type="text/csv")
    await backend.delete("forgotten")

    report = await indexed.reconcile()
    assert report == ReconcileReport(added=1, updated=1, removed=1, unchanged=1)
    assert await indexed.reconcile() == ReconcileReport(unchanged=3)
    assert (await indexed.head("changed")).size == len(b"changed behind the index's back")
    assert (await indexed.head("new")).content_type == "text/csv"
    with pytest.raises(ObjectNotFound):
        await indexed.head("forgotten")
