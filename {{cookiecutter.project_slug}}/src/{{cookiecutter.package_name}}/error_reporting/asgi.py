"""Lets an error report name the request it happened in: route template, method, URL, headers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .events import serving

if TYPE_CHECKING:
    from collections.abc import Mapping

    from starlette.types import ASGIApp, Receive, Scope, Send


class ErrorContextMiddleware:
    """Describe the request to reports made while it is served (the scrubber filters them)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with serving(lambda: describe(scope)):
            await self.app(scope, receive, send)


def describe(scope: Scope) -> tuple[str | None, Mapping[str, Any]]:
    """The route template (`/items/{item_id}`, not `/items/42`) and the request, from
    `scope` as it is when the report is made: the router has added the matched route."""
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), "")
    request = {
        "method": scope["method"],
        "url": f"{scope.get('scheme', 'http')}://{host}{scope['path']}",
        "query_string": scope.get("query_string", b"").decode("latin-1"),
        "headers": {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]},
    }
    return (template if isinstance(template, str) else None), request


__all__ = ["ErrorContextMiddleware", "describe"]
