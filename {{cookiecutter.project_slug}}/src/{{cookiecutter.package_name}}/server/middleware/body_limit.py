"""Refuse request bodies above a size limit with 413, without reading them into memory."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.exceptions import HTTPException

from ..errors import error_response

if TYPE_CHECKING:
    from collections.abc import Sequence

    from starlette.types import ASGIApp, Message, Receive, Scope, Send


@dataclass(frozen=True)
class BodyLimit:
    """A limit of its own for `methods` on paths below `prefix` (after the root path).

    For routes that stream their body somewhere with a limit of their own, such as uploads
    into storage: they still get a 413 from here, at their limit instead of the global one.
    """

    prefix: str
    max_bytes: int
    methods: tuple[str, ...] = ("PUT",)

    def applies(self, method: str, path: str) -> bool:
        return method in self.methods and path.startswith(self.prefix)


class RequestBodyTooLarge(HTTPException):
    """Raised from `receive` once the streamed body passes the limit.

    It is an HTTPException so that a route reading the body gets the 413 envelope from the
    normal exception handlers; this middleware answers it itself if it escapes the app.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"Request body exceeds {limit} bytes")


# HTTP/1.x frames a request body by Content-Length or chunked Transfer-Encoding; with neither,
# the body is empty (RFC 9112, section 6.3). The server reads exactly that many bytes.
_FRAMED_BY_LENGTH = frozenset({"1.0", "1.1"})


class BodySizeLimitMiddleware:
    """413 at `max_body_bytes`, or at the limit of the first of `overrides` that applies.

    A declared Content-Length over the limit is refused before the body is sent. Only bodies
    whose size is not known up front (chunked, or HTTP/2 and later) are counted as they arrive;
    the others pass straight through, so most requests pay for one header scan.
    """

    def __init__(
        self, app: ASGIApp, *, max_body_bytes: int, overrides: Sequence[BodyLimit] = ()
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.overrides = tuple(overrides)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        limit = self._limit_for(scope)
        # The declared Content-Length, and whether the length is unknown up front: chunked
        # (any Transfer-Encoding) or a Content-Length that is not a number.
        declared = 0
        unframed = False
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    unframed = True
            elif name == b"transfer-encoding":
                unframed = True
        if declared > limit:
            # Refuse before the client sends the body.
            await error_response(413, RequestBodyTooLarge(limit).detail)(scope, receive, send)
            return
        if not unframed and scope.get("http_version") in _FRAMED_BY_LENGTH:
            # At most the declared length (checked above) or nothing can arrive.
            await self.app(scope, receive, send)
            return

        received = 0
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise RequestBodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except RequestBodyTooLarge as exc:
            if response_started:
                raise
            await error_response(413, exc.detail)(scope, receive, send)

    def _limit_for(self, scope: Scope) -> int:
        if not self.overrides:
            return self.max_body_bytes
        path: str = scope["path"]
        root_path: str = scope.get("root_path", "")
        if root_path and path.startswith(root_path):
            path = path[len(root_path) :] or "/"
        for override in self.overrides:
            if override.applies(scope["method"], path):
                return override.max_bytes
        return self.max_body_bytes
