"""Database failures in the error envelope: 503 (down, busy) or 504 (too slow), never a 500.

    database down        connect refused or timed out, connection lost mid-request,
                         server shutting down or refusing connections (SQLSTATE 08, 57P)
                         → 503 database_unavailable, Retry-After: 5
    database busy        no connection free within `pool_timeout`, too many connections
                         (53), SQLite's lock wait over → 503 database_busy, Retry-After: 1
    statement too slow   over `statement_timeout` (PostgreSQL 57014, SQLite interrupted)
                         → 504 database_timeout

A statement timeout is a 504, not a 503: the database is up and answering, this one request
asked too much of it (a missing index, a huge page). It is the gateway case: the service's
upstream did not answer in time. Retrying at once would most likely time out again, so no
Retry-After, and /ready stays ok. Any other database error (a constraint, a bug in a query)
is the service's fault: it goes on to the 500 envelope, logged with its traceback.

No pool is restarted by hand: a connection found dead is discarded (pre-ping, or
invalidated by the error), so once the database is back the next request just works.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from ..server.errors import error_response
from .engine import describe_failure
from .failures import BUSY, TIMED_OUT, UNAVAILABLE, Failure, classify

if TYPE_CHECKING:
    from fastapi import FastAPI
    from starlette.requests import Request
    from starlette.responses import Response

logger = logging.getLogger(__name__)


async def database_error_handler(request: Request, exc: Exception) -> Response:
    failure = classify(exc)
    if failure is None:
        # A bug or a constraint: the 500 envelope, logged with its traceback.
        raise exc
    # The reason (never the password) for the operator; the client gets the code only.
    settings = getattr(request.app.state, "database_settings", None)
    reason = describe_failure(settings, exc) if settings is not None else type(exc).__name__
    logger.warning("%s in %s %s: %s", failure.code, request.method, request.url.path, reason)
    headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after else None
    return error_response(failure.status, failure.message, code=failure.code, headers=headers)


def install_database_error_handlers(app: FastAPI) -> None:
    # DBAPIError covers OperationalError, InterfaceError and the driver's other errors.
    app.add_exception_handler(DBAPIError, database_error_handler)
    app.add_exception_handler(PoolTimeoutError, database_error_handler)


__all__ = [
    "BUSY",
    "TIMED_OUT",
    "UNAVAILABLE",
    "Failure",
    "classify",
    "database_error_handler",
    "install_database_error_handlers",
]
