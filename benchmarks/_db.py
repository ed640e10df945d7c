"""Shared pieces of the database benchmarks: a throw-away PostgreSQL database and a typed model.

Not a benchmark itself. The PostgreSQL server is the one every session and CI machine of this
template runs (127.0.0.1:5432, user postgres, trust); BENCH_POSTGRES_URL points elsewhere.
Each run creates its own database, fills one table and drops the database at the end. When the
server cannot be reached, or the rendered project has no database layer, the benchmark exits
with SKIP_EXIT and says why; benchmarks/run.py reports it as skipped, not failed.

No `from __future__ import annotations` here: the model's `Mapped[...]` columns and the stand-in
route's parameters are evaluated where they are defined (inside functions, from locals).
"""

import contextlib
import functools
import importlib
import importlib.util
import os
import re
import secrets
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

# The exit status of a benchmark that could not run here (the same value as in run.py).
SKIP_EXIT = 77
SERVER_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
TABLE = "bench_item"
ROWS = 10_000
# What the service's route handlers and the raw asyncpg baseline run concurrently.
CONCURRENCY = 16
ROUTE = "/_bench/db/{item_id}"


def without_password(url: str) -> str:
    """`url` for messages: a password in it replaced by ***."""
    return re.sub(r"(?<=://)([^:/@]*):[^@]*@", r"\1:***@", url)


def skip(name: str, reason: str) -> None:
    print(f"# {name}: SKIPPED: {reason}", file=sys.stderr, flush=True)
    raise SystemExit(SKIP_EXIT)


def asyncpg_url(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def sqlalchemy_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+asyncpg://", 1)


async def check_available(name: str, package: str) -> None:
    """Skip (exit SKIP_EXIT) unless the project has its database layer and PostgreSQL answers."""
    if importlib.util.find_spec(f"{package}.db") is None:
        skip(name, "the rendered project has no database layer (with_database=false)")
    try:
        import asyncpg
    except ImportError:
        skip(name, "asyncpg is not installed in the rendered project's venv")
    try:
        connection = await asyncpg.connect(asyncpg_url(SERVER_URL), timeout=5)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        skip(
            name,
            f"PostgreSQL is not reachable at {without_password(SERVER_URL)} "
            f"({type(exc).__name__}: {exc}); start it there or set BENCH_POSTGRES_URL",
        )
    await connection.close()


@functools.cache
def bench_model(package: str) -> Any:
    """A typed model on the service's declarative Base, as a service's own table would be.

    Defined once per process (a second class would clash with the first in the metadata).
    """
    from sqlalchemy import DateTime, String
    from sqlalchemy.orm import Mapped, mapped_column

    base = importlib.import_module(f"{package}.db.base").Base

    class BenchItem(base):  # type: ignore[misc,valid-type]
        __tablename__ = TABLE

        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(64))
        size: Mapped[int]
        created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    return BenchItem


@contextlib.asynccontextmanager
async def scratch_database(package: str) -> AsyncIterator[str]:
    """A new database with TABLE filled with ROWS rows; yield its asyncpg URL; drop it after."""
    import asyncpg
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.schema import CreateTable

    name = f"bench_{os.getpid()}_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(asyncpg_url(SERVER_URL))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        base, _, _ = asyncpg_url(SERVER_URL).rpartition("/")
        url = f"{base}/{name}"
        connection = await asyncpg.connect(url)
        try:
            table = bench_model(package).__table__
            await connection.execute(str(CreateTable(table).compile(dialect=postgresql.dialect())))
            now = datetime.now(UTC)
            rows = [(i, f"item-{i:05d}", i * 7, now) for i in range(1, ROWS + 1)]
            await connection.copy_records_to_table(TABLE, records=rows)
            await connection.execute(f"ANALYZE {TABLE}")
        finally:
            await connection.close()
        yield url
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def mount_read_route(app: Any, package: str) -> None:
    """GET ROUTE: one row by primary key through the service's session dependency.

    What a handler of the service does: `SessionDep` (one session per request, committed when
    the handler returns) and `session.get` on a typed model.
    """
    from fastapi import HTTPException

    session_dep = importlib.import_module(f"{package}.db.dependencies").SessionDep
    model = bench_model(package)

    async def read_item(item_id: int, session: session_dep) -> dict[str, Any]:  # type: ignore[valid-type]
        item = await session.get(model, item_id)  # type: ignore[attr-defined]
        if item is None:
            raise HTTPException(status_code=404)
        return {"id": item.id, "name": item.name, "size": item.size}

    app.add_api_route(ROUTE, read_item, methods=["GET"], include_in_schema=False)
