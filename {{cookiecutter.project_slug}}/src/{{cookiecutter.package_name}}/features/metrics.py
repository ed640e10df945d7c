"""Prometheus metrics: GET /metrics, the middleware that counts every response, a scrape token."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import model_validator

from ..config import Section
from .server import BearerToken, ServerFeature, WebFeature

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from fastapi import FastAPI
    from pydantic import SecretStr
    from starlette.middleware import Middleware

METRICS_PATH = "/metrics"


class MetricsSettings(Section):
    # With server.auth.token set, /metrics needs a token like every other path. This one
    # opens /metrics and nothing else: give it to Prometheus instead of the API token.
    token: BearerToken | None = None


class MetricsFeature(WebFeature):
    """One registry per app, so two apps in one process (tests) never share counts."""

    metrics: MetricsSettings = MetricsSettings()

    @model_validator(mode="after")
    def _scrape_token_needs_auth(self) -> MetricsFeature:
        # Without server.auth.token nothing is checked: a scrape token would protect nothing
        # while looking as if it did.
        if self.metrics.token is not None and ServerFeature.of(self).server.auth.token is None:
            raise ValueError(
                "metrics.token is set but server.auth.token is not: with authentication off "
                "/metrics is open to everyone; set server.auth.token or remove metrics.token"
            )
        return self

    def install(self, app: FastAPI) -> None:
        from ..server.metrics import Metrics, router

        app.state.metrics = Metrics()
        app.include_router(router)

    def middleware(self, app: FastAPI) -> Sequence[Middleware]:
        from starlette.middleware import Middleware

        from ..server.metrics import MetricsMiddleware

        return (Middleware(MetricsMiddleware, metrics=app.state.metrics),)

    def path_tokens(self) -> Mapping[str, SecretStr]:
        return {METRICS_PATH: self.metrics.token} if self.metrics.token is not None else {}


__all__ = ["METRICS_PATH", "MetricsFeature", "MetricsSettings"]
