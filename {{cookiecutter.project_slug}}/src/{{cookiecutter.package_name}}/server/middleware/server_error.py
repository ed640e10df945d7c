"""Turn any unhandled exception into the 500 envelope, logged once with its request id."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ..errors import error_response

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)


class ServerErrorMiddleware:
    """Answer 500 in the envelope when the app raises before it started a response.

    It sits inside the request-id layer, so the 500 carries X-Request-ID and the log line
    carries the id. The exception is logged here and not re-raised: re-raising would make the
    server log the same traceback a second time. Only `Exception` is caught, so cancellation
    (client gone, shutdown) still propagates.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        response_started = False

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            logger.exception("unhandled error in %s %s", scope["method"], scope["path"])
            if response_started:
                # Too late for a clean error; let the server drop the connection.
                raise
            await error_response(500, "Internal Server Error")(scope, receive, send)
