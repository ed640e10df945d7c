"""db_read: primary-key reads per CPU second, the service's session layer vs raw asyncpg.

Both sides read random rows of one 10,000-row table by primary key, 16 reads in flight, on
the same PostgreSQL database (created for the run, dropped at the end; see _db.py), from one
event loop (uvloop, as the server runs):

  raw          asyncpg pool of 16 connections, `pool.fetchrow(sql, id)`: the baseline
  raw_tx       the same round trips the service makes, by hand: a ping (SELECT 1), BEGIN,
               the SELECT, COMMIT
  core         the service's engine (from its settings, pool of 16, pre-ping):
               `connection.execute(select(table).where(id == :id))`
  orm_select   the session policy (`async_sessionmaker.begin()`: commit on success) with
               `session.execute(select(Model).where(Model.id == id)).scalar_one()`
  session_get  the same with `session.get(Model, id)`: what a route handler does with
               SessionDep; the headline figure `db_read_vs_raw_asyncpg` is this ÷ raw
  no_ping      session_get on an engine like the service's but without pool pre-ping
  autocommit   session_get on the service's engine in AUTOCOMMIT (no BEGIN, no COMMIT)

The last two are not the service's policy: they measure what its round trips cost.

A rate is reads per CPU second of this process (time.process_time: the driver, SQLAlchemy and
the event loop all run here); the PostgreSQL server's CPU is excluded, it is the same work on
both sides. Variants run in interleaved rounds; each figure is the median of the per-round
ratios. The steps between variants, in CPU microseconds per read, and a cProfile of the
session_get path by package, say where the time goes.

Run by benchmarks/run.py with the interpreter of a rendered project:
    .venv/bin/python benchmarks/db_read.py <package>
"""

from __future__ import annotations

import asyncio
import cProfile
import importlib
import pstats
import random
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING

from _db import (
    CONCURRENCY,
    ROWS,
    TABLE,
    bench_model,
    check_available,
    scratch_database,
    sqlalchemy_url,
)
from _harness import emit, interleaved, median_ratio, note

if TYPE_CHECKING:
    import asyncpg

NAME = "db_read"
READS = 2_000  # per variant and round
ROUNDS = 7
SQL = f"SELECT id, name, size, created_at FROM {TABLE} WHERE id = $1"
VARIANTS = ("raw", "raw_tx", "core", "orm_select", "session_get", "no_ping", "autocommit")
# Where a function's own time is charged in the profile, by the path of its file (or, for
# built-in and Cython functions, by the text of their name); first match wins.
PROFILE_GROUPS = (
    ("orm (session, identity map, objects)", ("sqlalchemy/orm/",)),
    ("sql (statements, compile cache)", ("sqlalchemy/sql/",)),
    ("engine (execution, results)", ("sqlalchemy/engine/",)),
    ("pool (checkout, pre-ping)", ("sqlalchemy/pool/",)),
    ("asyncpg adapter (dialect)", ("sqlalchemy/dialects/",)),
    ("async bridge (greenlet)", ("sqlalchemy/ext/asyncio/", "sqlalchemy/util/", "greenlet")),
    ("asyncpg driver", ("asyncpg",)),
    ("event loop", ("asyncio/", "uvloop", "asyncio.")),
)

Read = Callable[[int], Awaitable[object]]


def new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


async def reads(read: Read, ids: list[int]) -> None:
    """`read` every id, CONCURRENCY at a time (workers share one iterator)."""
    pending = iter(ids)

    async def worker() -> None:
        for item_id in pending:
            if await read(item_id) is None:
                raise SystemExit(f"{NAME}: row {item_id} not found")

    async with asyncio.TaskGroup() as group:
        for _ in range(CONCURRENCY):
            group.create_task(worker())


async def open_pool(url: str) -> asyncpg.Pool:
    # Imported here: the template's own tests import this module without the driver.
    import asyncpg

    return await asyncpg.create_pool(url, min_size=CONCURRENCY, max_size=CONCURRENCY)


def rate(runner: asyncio.Runner, read: Read) -> float:
    """Reads per CPU second of this process, over READS random ids."""
    ids = [random.randint(1, ROWS) for _ in range(READS)]
    started = time.process_time()
    runner.run(reads(read, ids))
    return READS / (time.process_time() - started)


def profile_split(runner: asyncio.Runner, read: Read) -> None:
    """One batch under cProfile: each group's share of the functions' own time, and the top."""
    profiler = cProfile.Profile(time.process_time)
    ids = [random.randint(1, ROWS) for _ in range(READS)]
    profiler.enable()
    runner.run(reads(read, ids))
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    own: dict[str, float] = {}
    functions: list[tuple[float, str]] = []
    for (path, line, function), (_, _, tottime, _, _) in stats.items():
        where = f"{path}:{line}({function})"
        group = next(
            (name for name, marks in PROFILE_GROUPS if any(m in where for m in marks)), "other"
        )
        own[group] = own.get(group, 0.0) + tottime
        functions.append((tottime, where.rsplit("site-packages/", 1)[-1]))
    total = sum(own.values())
    note(f"{NAME}: cProfile of session_get, own CPU time by package (Cython code counts")
    note(f"{NAME}: for its Python caller; profiler overhead included):")
    for group, seconds in sorted(own.items(), key=lambda item: -item[1]):
        note(f"  {100 * seconds / total:5.1f}%  {group}")
    note(f"{NAME}: the functions with the most own time:")
    for seconds, where in sorted(functions, reverse=True)[:8]:
        note(f"  {100 * seconds / total:5.1f}%  {where}")


def main() -> int:
    package = sys.argv[1]
    with asyncio.Runner(loop_factory=new_loop) as runner:
        # First: without PostgreSQL or the database layer this exits as skipped.
        runner.run(check_available(NAME, package))
        return measure(runner, package)


def measure(runner: asyncio.Runner, package: str) -> int:
    from sqlalchemy import bindparam, select
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    service = importlib.import_module(f"{package}.service")
    features = importlib.import_module(f"{package}.features.database")
    engine_module = importlib.import_module(f"{package}.db.engine")
    model = bench_model(package)
    table = model.__table__
    core_statement = select(table).where(table.c.id == bindparam("item_id"))

    # The measuring runs between loop.run calls (interleaved() is plain code), so the
    # database, engine and pool are entered and left through one exit stack.
    stack = AsyncExitStack()
    try:
        url = runner.run(stack.enter_async_context(scratch_database(package)))
        settings = service.Settings(database={"url": sqlalchemy_url(url), "pool_size": CONCURRENCY})
        section = features.DatabaseFeature.of(settings).database
        engine = runner.run(stack.enter_async_context(engine_module.open_engine(section)))
        sessions = engine_module.session_factory(engine)
        pool = runner.run(open_pool(url))
        stack.push_async_callback(pool.close)
        # Diagnostics only: the same reads without the policy's extra round trips.
        unpinged = create_async_engine(
            sqlalchemy_url(url), pool_size=CONCURRENCY, pool_pre_ping=False
        )
        stack.push_async_callback(unpinged.dispose)
        unpinged_sessions = async_sessionmaker(unpinged, expire_on_commit=False)
        autocommit_sessions = async_sessionmaker(
            engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False
        )

        async def raw(item_id: int) -> object:
            return await pool.fetchrow(SQL, item_id)

        async def raw_tx(item_id: int) -> object:
            async with pool.acquire() as connection:
                await connection.fetchval("SELECT 1")
                async with connection.transaction():
                    return await connection.fetchrow(SQL, item_id)

        async def core(item_id: int) -> object:
            async with engine.connect() as connection:
                result = await connection.execute(core_statement, {"item_id": item_id})
                return result.first()

        async def orm_select(item_id: int) -> object:
            async with sessions.begin() as session:
                result = await session.execute(select(model).where(model.id == item_id))
                return result.scalar_one()

        async def session_get(item_id: int) -> object:
            async with sessions.begin() as session:
                return await session.get(model, item_id)

        async def no_ping(item_id: int) -> object:
            async with unpinged_sessions.begin() as session:
                return await session.get(model, item_id)

        async def autocommit(item_id: int) -> object:
            async with autocommit_sessions.begin() as session:
                return await session.get(model, item_id)

        variants: dict[str, Read] = {
            "raw": raw,
            "raw_tx": raw_tx,
            "core": core,
            "orm_select": orm_select,
            "session_get": session_get,
            "no_ping": no_ping,
            "autocommit": autocommit,
        }
        # Warm-up: connections opened, statements prepared and compiled, imports done.
        for read in variants.values():
            rate(runner, read)
        rounds = interleaved(
            ROUNDS,
            {name: lambda read=read: rate(runner, read) for name, read in variants.items()},
        )
        report(rounds)
        profile_split(runner, session_get)
    finally:
        runner.run(stack.aclose())
    return 0


def report(rounds: dict[str, list[float]]) -> None:
    for name in VARIANTS:
        note(f"{NAME} {name}: {', '.join(f'{v:.0f}' for v in rounds[name])} reads/CPU-s")
    micros = {name: 1e6 / statistics.median(rounds[name]) for name in VARIANTS}
    note(
        f"{NAME}: CPU µs per read (medians): "
        + ", ".join(f"{name} {micros[name]:.0f}" for name in VARIANTS)
    )
    steps = (
        ("ping + BEGIN + COMMIT round trips (driver only)", "raw", "raw_tx"),
        ("SQLAlchemy engine, pool and compile cache over those round trips", "raw_tx", "core"),
        ("ORM session and object construction (select)", "core", "orm_select"),
        ("session.get instead of select", "orm_select", "session_get"),
        ("pool pre-ping (diagnostic: not the service's engine)", "no_ping", "session_get"),
        ("BEGIN + COMMIT (diagnostic: AUTOCOMMIT)", "autocommit", "session_get"),
    )
    for what, before, after in steps:
        note(f"{NAME}: {after} - {before}: {micros[after] - micros[before]:+.0f} µs/read ({what})")
    figures = {
        "db_read_vs_raw_asyncpg": median_ratio(rounds["session_get"], rounds["raw"]),
        "db_read_orm_select_vs_raw_asyncpg": median_ratio(rounds["orm_select"], rounds["raw"]),
        "db_read_core_vs_raw_asyncpg": median_ratio(rounds["core"], rounds["raw"]),
        "db_read_raw_tx_vs_raw_asyncpg": median_ratio(rounds["raw_tx"], rounds["raw"]),
        "db_read_no_ping_vs_raw_asyncpg": median_ratio(rounds["no_ping"], rounds["raw"]),
        "db_read_autocommit_vs_raw_asyncpg": median_ratio(rounds["autocommit"], rounds["raw"]),
    }
    emit(figures)


if __name__ == "__main__":
    sys.exit(main())
