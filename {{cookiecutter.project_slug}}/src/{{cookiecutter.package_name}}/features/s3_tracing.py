"""Client spans for the S3 calls of the shared S3 client (written here: see telemetry/s3.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import Feature
from .s3 import S3_CLIENT
from .telemetry import TRACER_PROVIDER

if TYPE_CHECKING:
    from contextlib import AsyncExitStack

    from ..resources import Resources


class S3TracingFeature(Feature):
    async def open(self, resources: Resources, stack: AsyncExitStack) -> None:
        provider = resources.find(TRACER_PROVIDER)
        client = resources.find(S3_CLIENT)
        if provider is None or client is None:
            return
        from ..telemetry.s3 import trace_s3_calls

        stack.enter_context(trace_s3_calls(client.events, provider.get_tracer(__name__)))


__all__ = ["S3TracingFeature"]
