"""The application factory: the server's own parts, then what each web feature adds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from .. import PROJECT_NAME, __version__
from ..features import features_of
from ..features.server import WebFeature
from . import health
from .docs import install_docs
from .errors import install_error_handlers
from .lifespan import lifespan_for
from .middleware import (
    BearerAuthMiddleware,
    BodyLimit,
    BodySizeLimitMiddleware,
    ProcessTimeMiddleware,
    RequestIdMiddleware,
    ServerErrorMiddleware,
)
from .openapi_auth import document_bearer_auth

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from pydantic import SecretStr

    from ..features.server import ServerFeature

# The OpenAPI document's description: what every response carries besides its body.
API_DESCRIPTION = (
    "Every response carries `X-Request-ID` (the request's id, also in every log line) and "
    "`X-Process-Time`: the milliseconds the service took to start the response (not the "
    "time to send the body). Errors use one envelope: "
    '`{"error": {"code", "message", "details", "request_id", "trace_id"}}` (`trace_id` is '
    "null unless tracing records the request)."
)


def create_app(settings: ServerFeature, *, freeze_startup_objects: bool = False) -> FastAPI:
    """Build the app from `settings`; nothing is read from the environment here.

    `settings` is the service's `Settings`, which is every feature it lists: the web
    features among them add their routes, middlewares and body limits. For
    `freeze_startup_objects` (a process serving this one app) see `lifespan_for`.
    """
    server = settings.server
    app = FastAPI(
        title=PROJECT_NAME,
        description=API_DESCRIPTION,
        version=__version__,
        # The docs pages come from install_docs: FastAPI's own load their assets from a CDN.
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json" if server.docs else None,
        lifespan=lifespan_for(settings, freeze_startup_objects=freeze_startup_objects),
    )
    install_error_handlers(app)
    app.include_router(health.router)
    if server.docs:
        install_docs(app)
    observers: list[Middleware] = []
    body_limits: list[BodyLimit] = []
    path_tokens: dict[str, SecretStr] = {}
    for feature in features_of(type(settings)):
        if issubclass(feature, WebFeature):
            web = feature.of(settings)
            feature.install(web, app)
            observers.extend(feature.middleware(web, app))
            body_limits.extend(feature.body_limits(web))
            path_tokens.update(feature.path_tokens(web))
    if server.auth.token is not None:
        document_bearer_auth(app, public_paths=server.auth.public_paths)
    app.user_middleware = build_middleware(
        settings, observers=observers, body_limits=body_limits, path_tokens=path_tokens
    )
    return app


def build_middleware(
    settings: ServerFeature,
    *,
    observers: Sequence[Middleware] = (),
    body_limits: Sequence[BodyLimit] = (),
    path_tokens: Mapping[str, SecretStr] | None = None,
) -> list[Middleware]:
    """The middleware stack, outermost first; each position is there for a reason."""
    server = settings.server
    stack = [
        # Fix client address and scheme before anything logs or checks them.
        Middleware(ProxyHeadersMiddleware, trusted_hosts=list(server.forwarded_allow_ips)),
        # Outside everything that can answer, so every response (a 500 too) has X-Request-ID.
        Middleware(RequestIdMiddleware),
        Middleware(ProcessTimeMiddleware),
        # Observers (metrics) see every response, including 401, 413 and 500.
        *observers,
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
                # Location (a 201/202's resource) and Retry-After (a 503) are not
                # CORS-safelisted: without this a browser script cannot read them.
                expose_headers=["X-Request-ID", "X-Process-Time", "Location", "Retry-After"],
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
                path_tokens={
                    path: token.get_secret_value() for path, token in (path_tokens or {}).items()
                },
            )
        )
    # Routes that stream large bodies (object uploads) bring their own limits.
    stack.append(
        Middleware(
            BodySizeLimitMiddleware,
            max_body_bytes=server.max_body_bytes,
            overrides=list(body_limits),
        )
    )
    return stack


__all__ = ["API_DESCRIPTION", "build_middleware", "create_app"]
