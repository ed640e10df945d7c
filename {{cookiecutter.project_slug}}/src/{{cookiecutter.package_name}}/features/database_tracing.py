"""A span per database statement, from OpenTelemetry's SQLAlchemy instrumentation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import Feature
from .database import ENGINE
from .telemetry import TRACER_PROVIDER

if TYPE_CHECKING:
    from contextlib import AsyncExitStack

    from ..resources import Resources


class DatabaseTracingFeature(Feature):
    async def open(self, resources: Resources, stack: AsyncExitStack) -> None:
        provider = resources.find(TRACER_PROVIDER)
        if provider is None:
            return
        from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
        from opentelemetry.metrics import get_meter

        # The instrumentor's `instrument()` works once per process; an EngineTracer traces
        # this app's engine only. Its listeners go with the engine, closed before the provider.
        name = "opentelemetry.instrumentation.sqlalchemy"
        usage = get_meter(name).create_up_down_counter("db.client.connections.usage")
        engine = resources.get(ENGINE).sync_engine
        EngineTracer(provider.get_tracer(name), engine, usage)  # type: ignore[no-untyped-call]


__all__ = ["DatabaseTracingFeature"]
