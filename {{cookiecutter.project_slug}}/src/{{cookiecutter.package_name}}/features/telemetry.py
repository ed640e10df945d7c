"""Tracing (OpenTelemetry): the `telemetry` section and the tracer provider traced parts use.

Inert until an OTLP endpoint is named, here or by the standard `OTEL_EXPORTER_OTLP_ENDPOINT`:
then the provider exports spans in batches over OTLP/HTTP from a thread of its own. Without
one nothing of the SDK is imported, no thread runs and no span is recorded.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from pydantic import Field, field_validator

from ..config import Section
from ..resources import ResourceKey
from . import Feature

if TYPE_CHECKING:
    from collections.abc import Mapping
    from contextlib import AsyncExitStack

    from opentelemetry.sdk.trace import TracerProvider

    from ..resources import Resources

# Open only while tracing is configured: traced parts `find` it and do nothing without it.
TRACER_PROVIDER: ResourceKey[TracerProvider] = ResourceKey("tracer_provider")

# The SDK's own variables that name where traces go; one of them (or `endpoint`) turns it on.
ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")


class TelemetrySettings(Section):
    """Each field maps onto an OTEL_* variable; a value set here wins over the variable."""

    # OTLP/HTTP base URL of a collector (http://collector:4318); spans go to <endpoint>/v1/traces.
    endpoint: str | None = None
    # None: OTEL_SERVICE_NAME, else the project's name.
    service_name: str | None = Field(default=None, min_length=1)
    # Share of new traces recorded (a request with a sampled parent is always recorded).
    # None: OTEL_TRACES_SAMPLER[_ARG], else every trace.
    sample_ratio: float | None = Field(default=None, ge=0, le=1)

    @field_validator("endpoint")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("telemetry.endpoint must be an http:// or https:// URL")
        return value

    def enabled(self, environ: Mapping[str, str]) -> bool:
        """Whether traces are exported: an endpoint is named and the SDK is not turned off."""
        if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
            return False
        if environ.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower() == "none":
            return False
        return self.endpoint is not None or any(environ.get(name) for name in ENDPOINT_VARIABLES)


class TelemetryFeature(Feature):
    """Opens the tracer provider first, so every part opened after it can trace."""

    telemetry: TelemetrySettings = TelemetrySettings()

    async def open(self, resources: Resources, stack: AsyncExitStack) -> None:
        if not self.telemetry.enabled(os.environ):
            return
        from ..context import correlation_source
        from ..telemetry.provider import open_tracer_provider, trace_ids

        provider = await stack.enter_async_context(open_tracer_provider(self.telemetry))
        resources.provide(TRACER_PROVIDER, provider)
        # Log lines, error envelopes and error reports name the trace they belong to.
        stack.enter_context(correlation_source(trace_ids))


__all__ = ["TRACER_PROVIDER", "TelemetryFeature", "TelemetrySettings"]
