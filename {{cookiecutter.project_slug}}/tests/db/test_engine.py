"""The engine opens with the service, serves sessions, and is disposed when it stops."""

from sqlalchemy import text
from sqlalchemy.pool import QueuePool

from {{ cookiecutter.package_name }}.features.database import ENGINE, SESSIONS, DatabaseSettings
from {{ cookiecutter.package_name }}.resources import open_resources
from {{ cookiecutter.package_name }}.service import Settings


async def test_engine_opens_and_closes_with_the_service(database: DatabaseSettings) -> None:
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
