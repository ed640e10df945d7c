"""Bearer-token authentication, compared in constant time, with public paths left open."""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING

from ..errors import error_response

if TYPE_CHECKING:
    from collections.abc import Iterable

    from starlette.types import ASGIApp, Receive, Scope, Send


class BearerAuthMiddleware:
    """Reject requests without `Authorization: Bearer <token>` (401 in the envelope).

    WebSocket handshakes need the token too (a route added later must not be open by
    accident); one without it is closed before it is accepted, which servers turn into 403.
    Paths are matched exactly (after the root path), so `/health` is open but `/healthz` or
    `/health/../admin` are not. CORS preflights never carry credentials; the CORS layer sits
    outside this one and answers them first.
    """

    def __init__(self, app: ASGIApp, *, token: str, public_paths: Iterable[str] = ()) -> None:
        if not token:
            raise ValueError("BearerAuthMiddleware needs a non-empty token")
        self.app = app
        self._expected = token.encode()
        self._public_paths = frozenset(public_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        guarded = scope["type"] in ("http", "websocket")
        if not guarded or self._is_public(scope) or self._authorized(scope):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})  # policy violation
            return
        response = error_response(
            401,
            "Missing or invalid bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )
        await response(scope, receive, send)

    def _is_public(self, scope: Scope) -> bool:
        path: str = scope["path"]
        root_path: str = scope.get("root_path", "")
        if root_path and path.startswith(root_path):
            path = path[len(root_path) :] or "/"
        return path in self._public_paths

    def _authorized(self, scope: Scope) -> bool:
        for name, value in scope["headers"]:
            if name == b"authorization":
                scheme, _, credentials = value.partition(b" ")
                # compare_digest takes the same time whatever prefix of the token matches.
                return scheme.lower() == b"bearer" and hmac.compare_digest(
                    credentials.strip(), self._expected
                )
        return False
