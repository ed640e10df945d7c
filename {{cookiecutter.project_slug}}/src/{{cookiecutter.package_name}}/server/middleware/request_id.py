"""Give every HTTP request an id, expose it as X-Request-ID and in the logging context."""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING

from starlette.datastructures import MutableHeaders

from ...context import request_id_var

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "x-request-id"
# An incoming id is reused only when it is short and plain, so it is safe in logs and headers.
_SAFE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp, *, trust_incoming: bool = True) -> None:
        self.app = app
        self.trust_incoming = trust_incoming

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        request_id = self._incoming(scope) or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[HEADER] = request_id
            await send(message)

        token = request_id_var.set(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)

    def _incoming(self, scope: Scope) -> str | None:
        if not self.trust_incoming:
            return None
        for name, value in scope["headers"]:
            if name == HEADER.encode():
                candidate = value.decode("latin-1")
                return candidate if _SAFE_ID.fullmatch(candidate) else None
        return None
