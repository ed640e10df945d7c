"""Prometheus metrics: GET /metrics and the middleware that counts every response."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .server import WebFeature

if TYPE_CHECKING:
    from collections.abc import Sequence

    from fastapi import FastAPI
    from starlette.middleware import Middleware


class MetricsFeature(WebFeature):
    """One registry per app, so two apps in one process (tests) never share counts."""

    def install(self, app: FastAPI) -> None:
        from ..server.metrics import Metrics, router

        app.state.metrics = Metrics()
        app.include_router(router)

    def middleware(self, app: FastAPI) -> Sequence[Middleware]:
        from starlette.middleware import Middleware

        from ..server.metrics import MetricsMiddleware

        return (Middleware(MetricsMiddleware, metrics=app.state.metrics),)


__all__ = ["MetricsFeature"]
