"""The HTTP server: the `server` section, the `serve` command, and what web features add."""

from __future__ import annotations

import signal
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import AfterValidator, Field, SecretStr

from ..commands import ConfigFile, settings_from
from ..config import Section
from ..logging import configure_logging, stop_logging
from . import Feature

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from types import FrameType

    from fastapi import FastAPI
    from starlette.middleware import Middleware

    from ..config import LoggingSettings
    from ..server.middleware import BodyLimit


def _not_blank(value: SecretStr) -> SecretStr:
    # A blank token (an unfilled Secret, say) must not pass for "configured": unset is
    # the one way to leave a token out.
    if not value.get_secret_value().strip():
        raise ValueError("must not be blank (leave it unset instead)")
    return value


# A bearer token setting: secret, and never blank.
BearerToken = Annotated[SecretStr, AfterValidator(_not_blank)]


class AuthSettings(Section):
    # No token: authentication is off. With a token, every path except `public_paths`
    # needs `Authorization: Bearer <token>`.
    token: BearerToken | None = None
    public_paths: tuple[str, ...] = (
        "/health",
        "/ready",
        "/docs",
        "/docs/oauth2-redirect",
        "/docs/static/favicon.png",
        "/docs/static/redoc.standalone.js",
        "/docs/static/swagger-ui-bundle.js",
        "/docs/static/swagger-ui.css",
        "/redoc",
        "/openapi.json",
    )


class CorsSettings(Section):
    # No origins: CORS is off and browsers on other origins are refused.
    allow_origins: tuple[str, ...] = ()
    allow_methods: tuple[str, ...] = ("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS")
    # Prefer: RFC 7240 (`Prefer: respond-async` asks for a job instead of waiting).
    allow_headers: tuple[str, ...] = ("Authorization", "Content-Type", "Prefer", "X-Request-ID")
    allow_credentials: bool = False
    max_age: int = Field(default=600, ge=0)


class ServerSettings(Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    root_path: str = ""
    # Proxies whose X-Forwarded-For/-Proto headers are trusted ("*" trusts every peer).
    forwarded_allow_ips: tuple[str, ...] = ("127.0.0.1",)
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=0)
    # Seconds in-flight requests get after SIGTERM before they are cancelled; with the S3
    # client's wait for pending aborts it stays within a usual 30 s termination grace period.
    shutdown_timeout: int = Field(default=15, ge=1)
    docs: bool = True
    auth: AuthSettings = AuthSettings()
    cors: CorsSettings = CorsSettings()


class ServerFeature(Feature):
    """The `server` section and the `serve` command; `server.create_app` builds the app."""

    server: ServerSettings = ServerSettings()

    @classmethod
    def add_commands(cls, cli: typer.Typer) -> None:
        cli.command()(serve)


class WebFeature(Feature):
    """A feature that adds to the HTTP app; `create_app` calls these hooks in list order."""

    def install(self, app: FastAPI) -> None:
        """Add routers, exception handlers and `app.state` entries."""

    def middleware(self, app: FastAPI) -> Sequence[Middleware]:
        """Middlewares that observe every response (placed after the request id)."""
        return ()

    def body_limits(self) -> Sequence[BodyLimit]:
        """Routes whose request bodies may exceed `server.max_body_bytes`."""
        return ()

    def path_tokens(self) -> Mapping[str, SecretStr]:
        """Tokens good for one path only, besides `server.auth.token` (path -> token)."""
        return {}


def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Bind address [default: server.host]")] = None,
    port: Annotated[
        int | None, typer.Option(min=0, max=65535, help="Bind port [default: server.port]")
    ] = None,
    config: ConfigFile = None,
) -> None:
    """Run the HTTP server (uvicorn, with uvloop and httptools when installed)."""
    # Imported here so the other commands start without loading the web stack.
    import uvicorn

    from ..server import create_app

    settings = settings_from(ctx, config)
    server = ServerFeature.of(settings).server
    configure_logging(settings.logging, routed=uvicorn_loggers(settings.logging))
    # uvicorn restores this handler after its graceful shutdown and raises SIGTERM again.
    previous = signal.signal(signal.SIGTERM, _write_logs_then_terminate)
    try:
        uvicorn.run(
            create_app(ServerFeature.of(settings), freeze_startup_objects=True),
            host=host if host is not None else server.host,
            port=port if port is not None else server.port,
            # "auto" picks uvloop and httptools (dependencies on Linux/macOS).
            loop="auto",
            http="auto",
            # Our logging configuration is already installed; uvicorn must not replace it.
            log_config=None,
            access_log=settings.logging.access_log,
            # The app handles X-Forwarded-* itself (ProxyHeadersMiddleware in create_app).
            proxy_headers=False,
            server_header=False,
            # The ASGI server owns the path prefix (FastAPI's own root_path is deprecated).
            root_path=server.root_path,
            lifespan="on",
            # After SIGTERM, requests still running past this are cancelled (their uploads
            # aborted) so the lifespan can close every client before the process is killed.
            timeout_graceful_shutdown=server.shutdown_timeout,
        )
    finally:
        signal.signal(signal.SIGTERM, previous)


def uvicorn_loggers(logging: LoggingSettings) -> dict[str, bool]:
    """uvicorn's loggers, routed through the service's handler (their lines kept or not)."""
    return {"uvicorn": True, "uvicorn.error": True, "uvicorn.access": logging.access_log}


def _write_logs_then_terminate(signum: int, frame: FrameType | None) -> None:
    # Log lines are written by a background thread (see logging.py); dying by the default
    # action would lose the last ones, such as the shutdown messages.
    stop_logging()
    signal.signal(signum, signal.SIG_DFL)
    signal.raise_signal(signum)


__all__ = [
    "AuthSettings",
    "BearerToken",
    "CorsSettings",
    "ServerFeature",
    "ServerSettings",
    "WebFeature",
    "serve",
    "uvicorn_loggers",
]
