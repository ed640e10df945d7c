"""The tracer provider: spans batched and exported over OTLP/HTTP by the SDK's own thread."""

from __future__ import annotations

import asyncio
import os
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import SERVICE_NAME, SERVICE_VERSION, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

from .. import __version__

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from ..features.telemetry import TelemetrySettings

DEFAULT_SERVICE_NAME = "{{ cookiecutter.project_slug }}"


def build_tracer_provider(settings: TelemetrySettings) -> TracerProvider:
    """A provider for `settings`; what they leave unset the SDK reads from OTEL_* variables."""
    name = settings.service_name or os.environ.get("OTEL_SERVICE_NAME") or DEFAULT_SERVICE_NAME
    resource = Resource.create({SERVICE_NAME: name, SERVICE_VERSION: __version__})
    sampler = None
    if settings.sample_ratio is not None:
        sampler = ParentBased(TraceIdRatioBased(settings.sample_ratio))
    # Shut down by the lifespan, not at interpreter exit: each app (and test) owns its own.
    provider = TracerProvider(resource=resource, sampler=sampler, shutdown_on_exit=False)
    endpoint = f"{settings.endpoint.rstrip('/')}/v1/traces" if settings.endpoint else None
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    return provider


@asynccontextmanager
async def open_tracer_provider(settings: TelemetrySettings) -> AsyncIterator[TracerProvider]:
    provider = build_tracer_provider(settings)
    try:
        yield provider
    finally:
        # Shutting down sends what is still queued over blocking HTTP: not on the event loop.
        await asyncio.to_thread(provider.shutdown)


def trace_ids() -> dict[str, str]:
    """The recorded trace and span the caller runs in ({} outside one, or when not sampled)."""
    context = trace.get_current_span().get_span_context()
    if not (context.is_valid and context.trace_flags.sampled):
        return {}
    return {
        "trace_id": trace.format_trace_id(context.trace_id),
        "span_id": trace.format_span_id(context.span_id),
    }


__all__ = ["DEFAULT_SERVICE_NAME", "build_tracer_provider", "open_tracer_provider", "trace_ids"]
