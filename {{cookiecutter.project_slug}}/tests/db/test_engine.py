"""The engine opens with the service, serves sessions, and is disposed when it stops."""

import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import QueuePool

from {{ cookiecutter.package_name }}.db import migrate
from {{ cookiecutter.package_name }}.features.database import ENGINE, SESSIONS, DatabaseSettings
from {{ cookiecutter.package_name }}.resources import open_resources
from {{ cookiecutter.package_name }}.service import Settings

from ..ports import unused_port

# A statement that runs for minutes: SQLite counts in a recursive query.
COUNT_TO_A_BILLION = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000) "
    "SELECT count(*) FROM n"
)


async def test_engine_opens_and_closes_with_the_service(database: DatabaseSettings) -> None:
    await migrate.upgrade(database)  # the readiness check wants the schema at head
    async with open_resources(Settings(database=database)) as resources:
        engine = resources.get(ENGINE)
        await resources.readiness_checks["database"]()
        async with resources.get(SESSIONS)() as session:
            assert (await session.execute(text("SELECT 41 + 1"))).scalar_one() == 42
        assert isinstance(engine.pool, QueuePool)
        assert engine.pool.checkedin() == 1, "the connection went back to the pool"
    # Disposed: the pool's connections are closed and a fresh, empty pool replaces it.
    assert isinstance(engine.pool, QueuePool)
    assert engine.pool.checkedin() == 0


async def test_sessions_keep_objects_readable_after_commit(database: DatabaseSettings) -> None:
    async with open_resources(Settings(database=database)) as resources:
        assert resources.get(SESSIONS).kw["expire_on_commit"] is False


async def test_statement_timeout_is_set_on_postgresql(postgres_url: str) -> None:
    settings = DatabaseSettings(url=postgres_url, statement_timeout=0.5)
    async with (
        open_resources(Settings(database=settings)) as resources,
        resources.get(ENGINE).connect() as connection,
    ):
        shown = (await connection.execute(text("SHOW statement_timeout"))).scalar_one()
    assert shown == "500ms"


async def test_statement_timeout_interrupts_a_long_statement_on_sqlite(tmp_path: Path) -> None:
    """SQLite has no statement timeout of its own: the progress handler interrupts it."""
    url = f"sqlite+aiosqlite:///{tmp_path / 't.db'}"
    settings = DatabaseSettings(url=url, statement_timeout=0.2)
    async with open_resources(Settings(database=settings)) as resources:
        engine = resources.get(ENGINE)
        started = time.monotonic()
        with pytest.raises(OperationalError, match="interrupted"):
            async with engine.connect() as connection:
                await connection.execute(text(COUNT_TO_A_BILLION))
        assert time.monotonic() - started < 5
        async with engine.begin() as connection:
            # The next statement on the same pool gets a fresh deadline and a commit none.
            assert (await connection.execute(text("SELECT 1"))).scalar_one() == 1


async def test_a_refused_postgresql_connection_is_an_operational_error() -> None:
    """asyncpg's OSError on connect reaches callers as SQLAlchemy's OperationalError."""
    closed = f"postgresql+asyncpg://app@127.0.0.1:{unused_port()}/app"
    async with open_resources(Settings(database=DatabaseSettings(url=closed))) as resources:
        with pytest.raises(OperationalError) as raised:
            async with resources.get(ENGINE).connect():
                pass
    error: BaseException | None = raised.value.orig
    assert error is not None
    assert isinstance(error.__cause__, ConnectionRefusedError)
    assert getattr(error, "sqlstate", None) == "08001"
