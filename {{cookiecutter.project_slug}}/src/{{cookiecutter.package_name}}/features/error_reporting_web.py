"""Error reports of the server: each names the route of the request that failed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .error_reporting import ErrorReportingFeature
from .server import WebFeature

if TYPE_CHECKING:
    from collections.abc import Sequence

    from fastapi import FastAPI
    from starlette.middleware import Middleware


class ErrorReportingWebFeature(WebFeature):
    def middleware(self, app: FastAPI) -> Sequence[Middleware]:
        if ErrorReportingFeature.of(self).sentry.dsn is None:
            return ()
        from starlette.middleware import Middleware

        from ..error_reporting.asgi import ErrorContextMiddleware

        return (Middleware(ErrorContextMiddleware),)


__all__ = ["ErrorReportingWebFeature"]
