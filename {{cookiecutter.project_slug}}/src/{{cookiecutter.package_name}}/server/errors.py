"""The one JSON error envelope every error response uses.

    {"error": {"code": "not_found", "message": "Not Found", "details": null, "request_id": "…",
               "trace_id": null}}

`trace_id` names the request's trace when tracing records it (null otherwise).

Handlers here cover HTTP errors raised by routes and the router (404, 405, 401, 413, …) and
request validation (422). Unhandled exceptions are turned into a 500 envelope by
`ServerErrorMiddleware`; nothing of the exception (type, message, stack) reaches the client.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse

from ..context import correlation_ids, request_id_var

if TYPE_CHECKING:
    from collections.abc import Mapping

    from fastapi import FastAPI
    from starlette.requests import Request
    from starlette.responses import Response


class ErrorBody(BaseModel):
    code: str
    message: str
    details: Any = None
    request_id: str | None = None
    trace_id: str | None = None


class ErrorEnvelope(BaseModel):
    """The body of every error response (documented in the OpenAPI schema)."""

    error: ErrorBody


# Fixed codes where the reason phrase reads badly or changed between Python versions
# (413 and 422 were renamed in 3.13).
_CODES = {413: "payload_too_large", 422: "validation_error", 500: "internal_error"}


def error_code(status_code: int) -> str:
    """A stable machine-readable code for a status: 404 → "not_found"."""
    if status_code in _CODES:
        return _CODES[status_code]
    try:
        phrase = HTTPStatus(status_code).phrase
    except ValueError:
        return "error"
    return phrase.lower().replace(" ", "_").replace("-", "_").replace("'", "")


def error_response(
    status_code: int,
    message: str | None = None,
    *,
    code: str | None = None,
    details: Any = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """Build the envelope response; the request id comes from the current request context."""
    if message is None:
        message = _phrase(status_code)
    body = {
        "error": {
            "code": code or error_code(status_code),
            "message": message,
            "details": details,
            "request_id": request_id_var.get(),
            "trace_id": correlation_ids().get("trace_id"),
        }
    }
    return JSONResponse(body, status_code=status_code, headers=headers)


async def http_exception_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    # Starlette types `detail` as str; FastAPI's subclass accepts any JSON-able value.
    detail: object = exc.detail
    if isinstance(detail, str):
        return error_response(exc.status_code, detail, headers=exc.headers)
    return error_response(exc.status_code, details=jsonable_encoder(detail), headers=exc.headers)


async def validation_exception_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    # The offending input is left out on purpose: it may hold secrets (tokens, passwords).
    details = [
        {"loc": list(error.get("loc", ())), "msg": error.get("msg"), "type": error.get("type")}
        for error in exc.errors()
    ]
    return error_response(422, "Request validation failed", details=jsonable_encoder(details))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, http_exception_handler)
    app.add_exception_handler(RequestValidationError, validation_exception_handler)


def _phrase(status_code: int) -> str:
    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return "Error"


__all__ = ["ErrorBody", "ErrorEnvelope", "error_code", "error_response", "install_error_handlers"]
