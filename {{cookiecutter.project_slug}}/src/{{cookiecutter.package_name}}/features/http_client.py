"""Outgoing HTTP: the `http_client` section and the one shared aiohttp session."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field, SecretStr

from ..config import Section
from ..resources import ResourceKey
from . import Feature

if TYPE_CHECKING:
    from collections.abc import Sequence
    from contextlib import AsyncExitStack

    import aiohttp

    from ..resources import Resources

# The one connection pool for every outgoing HTTP client (BaseClient(session=...)).
HTTP_SESSION: ResourceKey[aiohttp.ClientSession] = ResourceKey("http_session")
# Provided, before the session opens, by features that observe its requests (tracing).
HTTP_TRACE_CONFIGS: ResourceKey[Sequence[aiohttp.TraceConfig]] = ResourceKey("http_trace_configs")


class HttpClientSettings(Section):
    """Defaults for every outgoing HTTP client (BaseClient.from_settings, the shared session)."""

    connect_timeout: float = Field(default=5.0, gt=0)
    read_timeout: float = Field(default=15.0, gt=0)
    total_timeout: float = Field(default=30.0, gt=0)
    # Attempts per request (1 = no retries); only idempotent methods are retried.
    max_attempts: int = Field(default=3, ge=1, le=10)
    backoff_base: float = Field(default=0.2, ge=0)
    backoff_max: float = Field(default=5.0, ge=0)
    max_retry_after: float = Field(default=30.0, ge=0)
    pool_size: int = Field(default=100, ge=1)
    pool_size_per_host: int = Field(default=20, ge=0)
    verify_tls: bool = True
    # May carry credentials (http://user:pass@proxy:3128), hence secret.
    proxy: SecretStr | None = None
    user_agent: str = "{{ cookiecutter.project_slug }}"


class HttpClientFeature(Feature):
    """Opens the shared session for the service's upstream clients."""

    http_client: HttpClientSettings = HttpClientSettings()

    async def open(self, resources: Resources, stack: AsyncExitStack) -> None:
        from ..clients.session import create_session

        trace_configs = resources.find(HTTP_TRACE_CONFIGS) or ()
        session = await stack.enter_async_context(
            create_session(self.http_client, trace_configs=trace_configs)
        )
        resources.provide(HTTP_SESSION, session)


__all__ = ["HTTP_SESSION", "HTTP_TRACE_CONFIGS", "HttpClientFeature", "HttpClientSettings"]
