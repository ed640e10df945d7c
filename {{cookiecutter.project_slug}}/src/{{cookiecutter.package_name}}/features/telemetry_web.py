"""Server spans: every request is the root (or a remote child) of its trace."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .server import WebFeature

if TYPE_CHECKING:
    from collections.abc import Sequence

    from fastapi import FastAPI
    from starlette.middleware import Middleware


class TelemetryWebFeature(WebFeature):
    def middleware(self, app: FastAPI) -> Sequence[Middleware]:
        from starlette.middleware import Middleware

        from ..telemetry.asgi import TracingMiddleware

        return (Middleware(TracingMiddleware),)


__all__ = ["TelemetryWebFeature"]
