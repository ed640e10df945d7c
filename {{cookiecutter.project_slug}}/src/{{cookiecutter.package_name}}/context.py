"""Per-request context shared by logging, the server, outgoing clients and error reports."""

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

# Set by the request-id middleware for the duration of one request; read by the log filter
# (every line carries it) and by outgoing clients (propagated upstream as X-Request-ID).
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

# Functions that name where the current code runs besides the request id, e.g. tracing's
# {"trace_id": …, "span_id": …} inside a span and {} outside. A feature adds one while it is
# open; log lines, error envelopes and error reports carry what they return.
CorrelationSource = Callable[[], Mapping[str, str]]
_correlation_sources: list[CorrelationSource] = []


@contextmanager
def correlation_source(source: CorrelationSource) -> Iterator[None]:
    """Make `source` part of `correlation_ids()` until the block exits."""
    _correlation_sources.append(source)
    try:
        yield
    finally:
        _correlation_sources.remove(source)


def correlation_ids() -> dict[str, str]:
    """Every id the open correlation sources name right now ({} when none is open)."""
    ids: dict[str, str] = {}
    for source in _correlation_sources:
        ids.update(source())
    return ids


__all__ = ["CorrelationSource", "correlation_ids", "correlation_source", "request_id_var"]
