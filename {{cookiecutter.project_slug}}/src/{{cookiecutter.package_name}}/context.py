"""Per-request context shared by logging, the server and outgoing clients."""

from contextvars import ContextVar

# Set by the request-id middleware for the duration of one request; read by the log filter
# (every line carries it) and by outgoing clients (propagated upstream as X-Request-ID).
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

__all__ = ["request_id_var"]
