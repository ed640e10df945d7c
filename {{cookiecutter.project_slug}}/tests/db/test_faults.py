"""A database that is down, busy or too slow: 503 or 504 in the envelope, never a 500 or a hang.

Against the real PostgreSQL, through a TCP relay the tests cut (the database going down with
a request in flight) and start again (it comes back: the same app serves again, no restart).
The routes are test-only and use the session dependency like any product route would.
"""

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from sqlalchemy import make_url, text

from {{ cookiecutter.package_name }}.db.dependencies import SessionDep
from {{ cookiecutter.package_name }}.features.database import DatabaseSettings
from {{ cookiecutter.package_name }}.server import create_app
from {{ cookiecutter.package_name }}.service import Settings

from ..relay import Relay
from ..server.conftest import serve

# Statements that run for a while, on each database.
SLOW = {
    "postgresql": "SELECT pg_sleep(5)",
    "sqlite": "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
    "WHERE i < 1000000000) SELECT count(*) FROM n",
}


def database_app(settings: DatabaseSettings) -> FastAPI:
    router = APIRouter()

    @router.get("/sleep/{seconds}")
    async def sleep(seconds: float, session: SessionDep) -> dict[str, float]:
        await session.connection()  # a connection checked out from the pool
        app.state.sleeping.set()
        await session.execute(text("SELECT pg_sleep(:seconds)"), {"seconds": seconds})
        return {"slept": seconds}

    @router.get("/slow")
    async def slow(session: SessionDep) -> dict[str, int]:
        dialect = session.get_bind().dialect.name
        return {"count": (await session.execute(text(SLOW[dialect]))).scalar_one()}

    @router.get("/one")
    async def one(session: SessionDep) -> dict[str, int]:
        return {"one": (await session.execute(text("SELECT 1"))).scalar_one()}

    app = create_app(Settings(database=settings))
    app.state.sleeping = asyncio.Event()
    app.include_router(router)
    return app


def assert_envelope(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["request_id"]


@pytest.fixture
async def relay(postgres_url: str) -> AsyncIterator[Relay]:
    """PostgreSQL behind a relay: `stop()` is the database going down, `start()` coming back."""
    relay = Relay(postgres_url)
    await relay.start()
    yield relay
    if not relay.running:
        await relay.start()
    await relay.stop()


def through(relay: Relay, postgres_url: str) -> str:
    url = make_url(postgres_url).set(host="127.0.0.1", port=relay.port)
    return url.render_as_string(hide_password=False)


async def test_postgresql_down_mid_request_is_503_and_the_service_recovers(
    relay: Relay, postgres_url: str
) -> None:
    settings = DatabaseSettings(url=through(relay, postgres_url), pool_timeout=2.0)
    app = database_app(settings)
    async with serve(app) as client:
        assert (await client.get("/one")).status_code == 200
        in_flight = asyncio.create_task(client.get("/sleep/5"))
        await app.state.sleeping.wait()
        await asyncio.sleep(0.2)  # the statement is on its way to the server
        await relay.stop()
        started = time.monotonic()
        response = await asyncio.wait_for(in_flight, timeout=5)
        assert time.monotonic() - started < 2, "the cut is noticed at once"
        assert_envelope(response, 503, "database_unavailable")
        assert response.headers["Retry-After"] == "5"

        # While it is down: refused connections, 503 too, and /ready says so.
        assert_envelope(await client.get("/one"), 503, "database_unavailable")
        ready = await client.get("/ready")
        assert ready.json()["error"]["details"]["checks"]["database"] == "unavailable"

        await relay.start()  # back: the same app serves again
        assert (await client.get("/one")).json() == {"one": 1}


async def test_an_exhausted_postgresql_pool_is_503_within_the_pool_timeout(
    postgres_url: str,
) -> None:
    settings = DatabaseSettings(url=postgres_url, pool_size=1, max_overflow=0, pool_timeout=0.5)
    app = database_app(settings)
    async with serve(app) as client:
        holder = asyncio.create_task(client.get("/sleep/2"))
        await app.state.sleeping.wait()  # the pool's one connection is taken
        started = time.monotonic()
        response = await client.get("/one")
        waited = time.monotonic() - started
        assert_envelope(response, 503, "database_busy")
        assert response.headers["Retry-After"] == "1"
        assert 0.4 < waited < 1.5, f"waited {waited:.2f} s for a connection"
        assert (await holder).status_code == 200
        assert (await client.get("/one")).status_code == 200, "the connection came back"


async def test_a_postgresql_host_that_never_answers_is_503_within_the_pool_timeout() -> None:
    """Connecting is bounded too: a host that accepts and stays silent is no hang."""
    silent: list[asyncio.StreamWriter] = []

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        silent.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    url = f"postgresql+asyncpg://app@127.0.0.1:{port}/app"
    settings = DatabaseSettings(url=url, pool_timeout=0.5)
    try:
        async with serve(database_app(settings)) as client:
            started = time.monotonic()
            response = await client.get("/one")
            assert time.monotonic() - started < 2
        assert_envelope(response, 503, "database_unavailable")
    finally:
        for writer in silent:
            writer.transport.abort()
        server.close()
        await server.wait_closed()


async def test_a_statement_over_the_timeout_is_504(database_url: str) -> None:
    settings = DatabaseSettings(url=database_url, statement_timeout=0.3)
    async with serve(database_app(settings)) as client:
        started = time.monotonic()
        response = await client.get("/slow")
        assert time.monotonic() - started < 3
        assert_envelope(response, 504, "database_timeout")
        assert "Retry-After" not in response.headers
        assert (await client.get("/one")).json() == {"one": 1}


async def test_other_database_errors_stay_500(database_url: str) -> None:
    """A bug in a query is the service's fault, not the database's: the 500 envelope."""
    app = database_app(DatabaseSettings(url=database_url))

    @app.get("/bug")
    async def bug(session: SessionDep) -> None:
        await session.execute(text("SELECT * FROM no_such_table"))

    async with serve(app) as client:
        assert_envelope(await client.get("/bug"), 500, "internal_error")
