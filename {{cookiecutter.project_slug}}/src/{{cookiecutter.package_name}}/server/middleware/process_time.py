"""Report how long the app took to start its response, as X-Process-Time (milliseconds)."""

from __future__ import annotations

from time import perf_counter
from typing import TYPE_CHECKING

from ._headers import set_header

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "x-process-time"
_HEADER = HEADER.encode()


class ProcessTimeMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        started = perf_counter()

        async def send_with_time(message: Message) -> None:
            if message["type"] == "http.response.start":
                elapsed_ms = (perf_counter() - started) * 1000
                set_header(message, _HEADER, b"%.3f" % elapsed_ms)
            await send(message)

        await self.app(scope, receive, send_with_time)
