"""S3 client spans, one per API call (its retries included).

No OpenTelemetry instrumentation traces aiobotocore: botocore's patches the synchronous
client's call path, which aiobotocore replaces. botocore's own call events (which aiobotocore
emits too) mark where a call starts and ends, so the spans are written here.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from opentelemetry.trace import SpanKind, Status, StatusCode

if TYPE_CHECKING:
    from collections.abc import Iterator

    from botocore.hooks import BaseEventHooks
    from botocore.model import OperationModel
    from opentelemetry.trace import Span, Tracer

# Where a call's span waits between its events: the request context botocore passes to both.
_SPAN = "telemetry.span"


class S3CallSpans:
    def __init__(self, tracer: Tracer) -> None:
        self._tracer = tracer

    def before_call(self, model: OperationModel, context: dict[str, Any], **_: Any) -> None:
        context[_SPAN] = self._tracer.start_span(
            f"S3.{model.name}",
            kind=SpanKind.CLIENT,
            attributes={"rpc.system": "aws-api", "rpc.service": "S3", "rpc.method": model.name},
        )

    def after_call(self, http_response: Any, context: dict[str, Any], **_: Any) -> None:
        span: Span | None = context.pop(_SPAN, None)
        if span is None:
            return
        status = int(http_response.status_code)
        span.set_attribute("http.response.status_code", status)
        if status >= 400:
            span.set_status(Status(StatusCode.ERROR))
        span.end()

    def after_error(self, exception: Exception, context: dict[str, Any], **_: Any) -> None:
        span: Span | None = context.pop(_SPAN, None)
        if span is None:
            return
        span.record_exception(exception)
        span.set_status(Status(StatusCode.ERROR, type(exception).__name__))
        span.end()


@contextmanager
def trace_s3_calls(events: BaseEventHooks, tracer: Tracer) -> Iterator[None]:
    """Record a span for every call of the client `events` belongs to, until the block exits."""
    spans = S3CallSpans(tracer)
    handlers = (
        ("before-call.s3", spans.before_call),
        ("after-call.s3", spans.after_call),
        ("after-call-error.s3", spans.after_error),
    )
    for event, handler in handlers:
        events.register(event, handler)
    try:
        yield
    finally:
        for event, handler in handlers:
            events.unregister(event, handler)


__all__ = ["S3CallSpans", "trace_s3_calls"]
