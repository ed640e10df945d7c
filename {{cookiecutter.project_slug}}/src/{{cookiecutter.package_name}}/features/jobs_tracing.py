"""Job spans, queued to run, in one trace (written here: see telemetry/jobs.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import Feature
from .jobs import JOB_OBSERVER
from .telemetry import TRACER_PROVIDER

if TYPE_CHECKING:
    from contextlib import AsyncExitStack

    from ..resources import Resources


class JobsTracingFeature(Feature):
    async def open(self, resources: Resources, stack: AsyncExitStack) -> None:
        provider = resources.find(TRACER_PROVIDER)
        if provider is None:
            return
        from ..telemetry.jobs import JobSpans

        resources.provide(JOB_OBSERVER, JobSpans(provider.get_tracer(__name__)))


__all__ = ["JobsTracingFeature"]
