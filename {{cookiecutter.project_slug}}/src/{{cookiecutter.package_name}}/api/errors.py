"""Storage errors in the error envelope, and how the routes document their error responses."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from starlette.requests import ClientDisconnect

from ..server.errors import ErrorEnvelope, error_response
from ..storage import (
    InvalidCursorError,
    InvalidKeyError,
    KeyConflictError,
    ObjectNotFound,
    ObjectTooLargeError,
    StorageBusyError,
    StorageError,
)

if TYPE_CHECKING:
    from fastapi import FastAPI
    from starlette.requests import Request
    from starlette.responses import Response

logger = logging.getLogger(__name__)

# Errors the caller can fix; any other StorageError means the backend failed (503).
_STORAGE_ERRORS: tuple[tuple[type[StorageError], int, str], ...] = (
    (InvalidKeyError, 400, "invalid_key"),
    (InvalidCursorError, 400, "invalid_cursor"),
    (KeyConflictError, 409, "conflict"),
    (ObjectTooLargeError, 413, "payload_too_large"),
)

_DESCRIPTIONS = {
    400: "The key is not acceptable",
    403: "The source is not allowed (SSRF guard, scheme, file roots)",
    404: "No object has this key",
    409: "The key clashes with an existing key",
    413: "The content is larger than storage.max_object_bytes",
    422: "The request is not valid",
    502: "The source answered with an error",
    503: "Object storage is off, unavailable or busy (retry after Retry-After seconds if sent)",
    504: "The source did not answer in time",
}


_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again (sent when the failure will pass)",
        "schema": {"type": "integer"},
    }
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for these statuses, each with the error envelope as its body.

    Listing 422 here also replaces FastAPI's own validation schema, which this app never
    sends: its validation errors use the envelope too.
    """
    responses: dict[int | str, dict[str, Any]] = {
        status: {"model": ErrorEnvelope, "description": _DESCRIPTIONS[status]}
        for status in statuses
    }
    if 503 in responses:
        responses[503]["headers"] = _RETRY_AFTER
    return responses


def caller_error(exc: StorageError) -> tuple[int, str] | None:
    """(status, code) of a storage error the caller can fix; None when the backend failed."""
    for kind, status, code in _STORAGE_ERRORS:
        if isinstance(exc, kind):
            return status, code
    return None


async def storage_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StorageError)
    if isinstance(exc, ObjectNotFound):
        # The backend's message may name the bucket; the caller knows the key already.
        return error_response(404, "No object has this key", code="not_found")
    if isinstance(exc, StorageBusyError):
        # Overload, not failure: the client may retry; the details say when, for clients
        # that do not read headers.
        seconds = str(exc.retry_after)
        return error_response(
            503,
            "Too many uploads in progress; retry later",
            code="storage_busy",
            details={"retry_after": exc.retry_after},
            headers={"Retry-After": seconds},
        )
    caller = caller_error(exc)
    if caller is not None:
        status, code = caller
        return error_response(status, str(exc), code=code)
    logger.warning("storage failed in %s %s", request.method, request.url.path, exc_info=exc)
    if exc.retry_after is None:
        return error_response(503, "Object storage is unavailable", code="storage_unavailable")
    # A failure known to pass (its database busy or restarting): say when to come back.
    return error_response(
        503,
        "Object storage is unavailable; retry later",
        code="storage_unavailable",
        details={"retry_after": exc.retry_after},
        headers={"Retry-After": str(exc.retry_after)},
    )


async def client_disconnect_handler(request: Request, exc: Exception) -> Response:
    """The client left in the middle of its upload; storage already discarded the part."""
    logger.info("client disconnected during %s %s", request.method, request.url.path)
    return error_response(
        400, "The client disconnected before the body was complete", code="client_disconnected"
    )


def install_storage_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StorageError, storage_error_handler)
    app.add_exception_handler(ClientDisconnect, client_disconnect_handler)


__all__ = [
    "caller_error",
    "error_responses",
    "install_storage_error_handlers",
    "storage_error_handler",
]
