"""Client spans for outgoing HTTP, with W3C `traceparent` sent upstream.

OpenTelemetry's aiohttp instrumentation, added to the shared session as a trace config (not
patched into aiohttp process-wide), so only the service's own session is traced.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import Feature
from .http_client import HTTP_TRACE_CONFIGS
from .telemetry import TRACER_PROVIDER

if TYPE_CHECKING:
    from contextlib import AsyncExitStack

    from yarl import URL

    from ..resources import Resources


def without_secrets(url: URL) -> str:
    """The URL a span records: no credentials and no query (tokens and signatures live there)."""
    return str(url.with_user(None).with_query(None).with_fragment(None))


class HttpClientTracingFeature(Feature):
    async def open(self, resources: Resources, stack: AsyncExitStack) -> None:
        provider = resources.find(TRACER_PROVIDER)
        if provider is None:
            return
        from opentelemetry.instrumentation.aiohttp_client import create_trace_config

        config = create_trace_config(url_filter=without_secrets, tracer_provider=provider)
        resources.provide(HTTP_TRACE_CONFIGS, (config,))


__all__ = ["HttpClientTracingFeature", "without_secrets"]
