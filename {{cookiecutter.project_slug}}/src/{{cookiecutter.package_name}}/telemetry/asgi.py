"""The server span of each request, named by its route template (`GET /items/{item_id}`).

OpenTelemetry's ASGI middleware does the work (W3C `traceparent` in, span attributes, status).
It is built on the first request after the lifespan opened the tracer provider, because the
middleware stack is built before the lifespan runs; without a provider requests pass through.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opentelemetry import trace

from ..features.telemetry import TRACER_PROVIDER

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import Span
    from starlette.types import ASGIApp, Message, Receive, Scope, Send


def method_only(scope: Scope) -> tuple[str, dict[str, Any]]:
    """The name a server span starts with; the route it reaches is known only after routing."""
    return str(scope.get("method", "HTTP")), {}


def name_by_route(span: Span, scope: Scope) -> None:
    """Rename the server span after the route that answers (a template, never the raw path:
    ids in names would make every request a name of its own). A 404 keeps the method."""
    template = getattr(scope.get("route"), "path", None)
    if isinstance(template, str):
        span.update_name(f"{scope.get('method', 'HTTP')} {template}")
        span.set_attribute("http.route", template)


class TracingMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._provider: TracerProvider | None = None
        self._traced: ASGIApp = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self._for(scope)(scope, receive, send)

    async def _routed(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Runs inside the server span, which ends with the response: the router has put the
        # route in `scope` by the time the response starts.
        span = trace.get_current_span()

        async def naming_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                name_by_route(span, scope)
            await send(message)

        await self.app(scope, receive, naming_send)

    def _for(self, scope: Scope) -> ASGIApp:
        resources = getattr(scope["app"].state, "resources", None)
        provider = None if resources is None else resources.find(TRACER_PROVIDER)
        if provider is None:
            return self.app
        if provider is not self._provider:
            from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

            self._traced = OpenTelemetryMiddleware(
                self._routed,
                tracer_provider=provider,
                default_span_details=method_only,
                # One span per request, not one more per body chunk received or sent.
                exclude_spans=["receive", "send"],
            )
            self._provider = provider
        return self._traced


__all__ = ["TracingMiddleware", "method_only", "name_by_route"]
