"""Job spans: `queue <kind>` where a job is submitted, `run <kind>` where it runs.

The run span continues the queueing span's trace (its context travels in the message's
labels, W3C `traceparent`) and links to it, so a job run by a worker process an hour later
still belongs to the request that asked for it. Written here rather than with taskiq's
OpenTelemetry middleware: that one hooks taskiq's own receiver, which the stream worker
does not use, and names every span after the one task (`run_job`), not the job's kind.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

from opentelemetry import propagate, trace
from opentelemetry.trace import Link, SpanKind

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from opentelemetry.trace import Tracer

    from ..jobs.models import JobRecord


class JobSpans:
    def __init__(self, tracer: Tracer) -> None:
        self._tracer = tracer

    @contextmanager
    def queueing(self, kind: str) -> Iterator[Mapping[str, str]]:
        with self._tracer.start_as_current_span(
            f"queue {kind}", kind=SpanKind.PRODUCER, attributes={"job.kind": kind}
        ):
            labels: dict[str, str] = {}
            propagate.inject(labels)
            yield labels

    @contextmanager
    def running(self, record: JobRecord, labels: Mapping[str, str]) -> Iterator[None]:
        parent = propagate.extract(labels)
        queued = trace.get_current_span(parent).get_span_context()
        with self._tracer.start_as_current_span(
            f"run {record.kind}",
            context=parent,
            kind=SpanKind.CONSUMER,
            links=[Link(queued)] if queued.is_valid else [],
            attributes={"job.kind": record.kind, "job.id": record.id},
        ):
            yield


__all__ = ["JobSpans"]
