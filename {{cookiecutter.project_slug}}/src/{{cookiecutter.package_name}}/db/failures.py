"""What a database failure means for a caller: down, busy or too slow (see db/errors.py).

Kept apart from the web handler so code outside a request (the object index, commands) can
tell a transient failure, worth a retry after `retry_after` seconds, from a bug.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError


class Failure(NamedTuple):
    status: int
    code: str
    message: str
    retry_after: int | None


UNAVAILABLE = Failure(503, "database_unavailable", "The database is unavailable", 5)
BUSY = Failure(503, "database_busy", "The database is busy; try again shortly", 1)
TIMED_OUT = Failure(504, "database_timeout", "The database did not answer in time", None)

# PostgreSQL SQLSTATE classes and codes (also 08001, set on a failed connect by engine.py).
_DOWN_PREFIXES = ("08", "57P")  # connection exception; admin/crash shutdown, cannot connect now
_BUSY_PREFIXES = ("53",)  # insufficient resources: too many connections, out of memory, disk full
_QUERY_CANCELED = "57014"  # statement_timeout
# SQLite's result codes for the same cases.
_SQLITE = {"SQLITE_INTERRUPT": TIMED_OUT, "SQLITE_BUSY": BUSY, "SQLITE_LOCKED": BUSY}
_SQLITE_DOWN = ("SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_FULL")


def classify(exc: BaseException) -> Failure | None:
    """The answer for a database failure the client is not to blame for; None for the rest."""
    if isinstance(exc, PoolTimeoutError):
        return BUSY
    if not isinstance(exc, DBAPIError):
        return None
    sqlstate = str(getattr(exc.orig, "sqlstate", None) or "")
    sqlite = str(getattr(exc.orig, "sqlite_errorname", None) or "")
    if sqlstate == _QUERY_CANCELED:
        return TIMED_OUT
    if exc.connection_invalidated or sqlstate.startswith(_DOWN_PREFIXES):
        return UNAVAILABLE
    if sqlstate.startswith(_BUSY_PREFIXES):
        return BUSY
    if sqlite.startswith(_SQLITE_DOWN):
        return UNAVAILABLE
    return _SQLITE.get(sqlite)


__all__ = ["BUSY", "TIMED_OUT", "UNAVAILABLE", "Failure", "classify"]
