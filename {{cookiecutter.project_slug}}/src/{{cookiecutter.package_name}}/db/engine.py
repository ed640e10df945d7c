"""The service's AsyncEngine: opened once, failures bounded and typed, disposed at shutdown."""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.util import await_

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from sqlalchemy.engine import URL

    from ..features.database import DatabaseSettings

logger = logging.getLogger(__name__)


def database_url(settings: DatabaseSettings) -> URL:
    return make_url(settings.url.get_secret_value())


def safe_url(settings: DatabaseSettings) -> str:
    """The URL for messages and logs: the password replaced by ***."""
    return database_url(settings).render_as_string(hide_password=True)


def sqlite_file(url: URL) -> Path | None:
    """The file of an SQLite URL; None for other databases and in-memory SQLite."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def create_engine(settings: DatabaseSettings) -> AsyncEngine:
    """An engine for `settings.url`; nothing connects until the first use."""
    url = database_url(settings)
    options: dict[str, Any] = {
        "echo": settings.echo,
        # A connection the server closed (restart, idle timeout) is replaced, not handed out.
        "pool_pre_ping": True,
    }
    if url.get_backend_name() == "sqlite":
        # SQLite's own wait for a lock held by another connection, in seconds.
        options["connect_args"] = {"timeout": settings.pool_timeout}
    else:
        server_settings = {}
        if settings.statement_timeout:
            milliseconds = round(settings.statement_timeout * 1000)
            server_settings["statement_timeout"] = str(milliseconds)
        # asyncpg's `timeout` bounds opening a connection: a host that does not answer
        # fails within the pool timeout instead of hanging the request.
        options["connect_args"] = {
            "server_settings": server_settings,
            "timeout": settings.pool_timeout,
        }
    if sqlite_file(url) is not None or url.get_backend_name() != "sqlite":
        options.update(
            pool_size=settings.pool_size,
            max_overflow=settings.max_overflow,
            pool_timeout=settings.pool_timeout,
        )
    engine = create_async_engine(url, **options)
    event.listen(engine.sync_engine, "do_connect", _connect_or_operational_error)
    if url.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        if settings.statement_timeout:
            _sqlite_statement_timeout(engine, settings.statement_timeout)
    return engine


# SQLSTATE 08001, "unable to establish SQL connection": the mark of a failed connect.
CONNECT_FAILED = "08001"


def _connect_or_operational_error(
    dialect: Any, record: Any, cargs: tuple[Any, ...], cparams: dict[str, Any]
) -> Any:
    """Open a driver connection; a refused or timed-out connect is a DBAPI OperationalError.

    asyncpg raises plain OSError (refused, reset, DNS) and TimeoutError (`timeout` passed);
    SQLAlchemy only wraps DBAPI errors. As an OperationalError marked 08001 the failure
    reaches callers like any other database error: `sqlalchemy.exc.OperationalError`, which
    the server answers with 503 (db/errors.py).
    """
    try:
        return dialect.connect(*cargs, **cparams)
    except OSError as exc:  # TimeoutError and ConnectionError are OSErrors
        error = dialect.loaded_dbapi.OperationalError(f"{type(exc).__name__}: {exc}")
        error.sqlstate = CONNECT_FAILED
        raise error from exc


def _sqlite_pragmas(connection: Any, record: Any) -> None:
    # SQLite ignores foreign keys unless asked, per connection; PostgreSQL always checks them.
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


# SQLite calls the progress handler every this many virtual-machine steps (a few µs).
_PROGRESS_STEPS = 10_000


def _sqlite_statement_timeout(engine: AsyncEngine, seconds: float) -> None:
    """SQLite has no statement timeout: interrupt a statement that runs past `seconds`.

    Each statement sets a deadline on its connection; SQLite's progress handler (called in
    the driver's thread while a statement runs) aborts it once the deadline has passed, and
    the statement fails with "interrupted" (SQLITE_INTERRUPT). Commits run without a
    deadline. A wait for a lock is bounded by the connect `timeout` (the pool timeout).
    """

    def install(connection: Any, record: Any) -> None:
        info = record.info

        def past_deadline() -> int:
            deadline = info.get("deadline")
            return int(deadline is not None and time.monotonic() > deadline)

        await_(connection.driver_connection.set_progress_handler(past_deadline, _PROGRESS_STEPS))

    def start(connection: Any, *args: Any) -> None:
        connection.info["deadline"] = time.monotonic() + seconds

    def stop(connection: Any, *args: Any) -> None:
        connection.info.pop("deadline", None)

    def failed(context: Any) -> None:
        if context.connection is not None:
            stop(context.connection)

    event.listen(engine.sync_engine, "connect", install)
    event.listen(engine.sync_engine, "before_cursor_execute", start)
    event.listen(engine.sync_engine, "after_cursor_execute", stop)
    event.listen(engine.sync_engine, "handle_error", failed)


@asynccontextmanager
async def open_engine(settings: DatabaseSettings) -> AsyncIterator[AsyncEngine]:
    """The engine for the service's lifetime; its connections are closed on the way out."""
    path = sqlite_file(database_url(settings))
    if path is not None:
        # The default lives under ./data/, which a fresh checkout does not have yet.
        await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
    engine = create_engine(settings)
    logger.info("database: %s", safe_url(settings))
    try:
        yield engine
    finally:
        await engine.dispose()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # Objects stay readable after commit: a response can be built from them without a
    # second round trip (and without lazy loads, which async sessions cannot do).
    return async_sessionmaker(engine, expire_on_commit=False)


def describe_failure(settings: DatabaseSettings, exc: BaseException) -> str:
    """One line for a failed database operation; it names the URL without its password."""
    reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
    password = database_url(settings).password
    if password:
        reason = reason.replace(str(password), "***")
    return f"database {safe_url(settings)}: {reason}"


__all__ = [
    "CONNECT_FAILED",
    "create_engine",
    "database_url",
    "describe_failure",
    "open_engine",
    "safe_url",
    "session_factory",
    "sqlite_file",
]
