"""The application factory."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware
{%- set example_api = cookiecutter.with_example_api and (cookiecutter.with_files or cookiecutter.with_s3) %}
{%- if example_api %}

# The api module itself, not names from it: api imports server modules, so when an import
# starts there, its names do not exist yet while this module loads.
from .. import DISTRIBUTION, __version__, api
{%- else %}

from .. import DISTRIBUTION, __version__
{%- endif %}
from . import health
from .docs import install_docs
from .errors import install_error_handlers
from .lifespan import lifespan
{%- if cookiecutter.with_metrics %}
from .metrics import Metrics, MetricsMiddleware
from .metrics import router as metrics_router
{%- endif %}
from .middleware import (
    BearerAuthMiddleware,
    BodySizeLimitMiddleware,
    ProcessTimeMiddleware,
    RequestIdMiddleware,
    ServerErrorMiddleware,
)

if TYPE_CHECKING:
    from ..config import Settings


def create_app(settings: Settings) -> FastAPI:
    """Build the app from `settings`; nothing is read from the environment here."""
    server = settings.server
{%- if cookiecutter.with_metrics %}
    metrics = Metrics()
{%- endif %}
    app = FastAPI(
        title=DISTRIBUTION,
        version=__version__,
        # The docs pages come from install_docs: FastAPI's own load their assets from a CDN.
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json" if server.docs else None,
        lifespan=lifespan,
        middleware=build_middleware(settings{{ ", metrics" if cookiecutter.with_metrics }}),
    )
    app.state.settings = settings
{%- if cookiecutter.with_metrics %}
    app.state.metrics = metrics
{%- endif %}
    install_error_handlers(app)
    app.include_router(health.router)
    if server.docs:
        install_docs(app)
{%- if example_api %}
    api.install_api(app)
{%- endif %}
{%- if cookiecutter.with_metrics %}
    app.include_router(metrics_router)
{%- endif %}
    return app


def build_middleware(settings: Settings{{ ", metrics: Metrics" if cookiecutter.with_metrics }}) -> list[Middleware]:
    """The middleware stack, outermost first; each position is there for a reason."""
    server = settings.server
    stack = [
        # Fix client address and scheme before anything logs or checks them.
        Middleware(ProxyHeadersMiddleware, trusted_hosts=list(server.forwarded_allow_ips)),
        # Outside everything that can answer, so every response (a 500 too) has X-Request-ID.
        Middleware(RequestIdMiddleware),
        Middleware(ProcessTimeMiddleware),
{%- if cookiecutter.with_metrics %}
        # Counts every response, including 401, 413 and 500.
        Middleware(MetricsMiddleware, metrics=metrics),
{%- endif %}
    ]
    if server.cors.allow_origins:
        # Outside the error and auth layers: preflights are answered without a token and
        # error responses still carry the CORS headers a browser needs to read them.
        stack.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(server.cors.allow_origins),
                allow_methods=list(server.cors.allow_methods),
                allow_headers=list(server.cors.allow_headers),
                allow_credentials=server.cors.allow_credentials,
                expose_headers=["X-Request-ID", "X-Process-Time"],
                max_age=server.cors.max_age,
            )
        )
    # The 500 envelope for anything unhandled below.
    stack.append(Middleware(ServerErrorMiddleware))
    if server.auth.token is not None:
        # Before the body is read: unauthenticated clients cannot make us consume uploads.
        stack.append(
            Middleware(
                BearerAuthMiddleware,
                token=server.auth.token.get_secret_value(),
                public_paths=server.auth.public_paths,
            )
        )
    stack.append(
        Middleware(
            BodySizeLimitMiddleware,
            max_body_bytes=server.max_body_bytes,
{%- if example_api %}
            # Object uploads stream into storage: their limit is storage.max_object_bytes.
            overrides=[api.upload_limit(settings)],
{%- endif %}
        )
    )
    return stack


__all__ = ["build_middleware", "create_app"]
