"""Bearer-token authentication, compared in constant time, with public paths left open."""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING

from ..errors import error_response

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from starlette.types import ASGIApp, Receive, Scope, Send


class BearerAuthMiddleware:
    """Reject requests without `Authorization: Bearer <token>` (401 in the envelope).

    WebSocket handshakes need the token too (a route added later must not be open by
    accident); one without it is closed before it is accepted, which servers turn into 403.
    Paths are matched exactly (after the root path), so `/health` is open but `/healthz` or
    `/health/../admin` are not. CORS preflights never carry credentials; the CORS layer sits
    outside this one and answers them first.

    `path_tokens` adds a token that is good for one path only (a Prometheus scrape token
    for `/metrics`): it opens that path and nothing else, while the main token opens all.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        token: str,
        public_paths: Iterable[str] = (),
        path_tokens: Mapping[str, str] | None = None,
    ) -> None:
        tokens = [token, *(path_tokens or {}).values()]
        if not all(tokens):
            raise ValueError("BearerAuthMiddleware needs non-empty tokens")
        self.app = app
        self._expected = token.encode()
        self._public_paths = frozenset(public_paths)
        self._path_tokens = {path: value.encode() for path, value in (path_tokens or {}).items()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path = self._app_path(scope)
        if path in self._public_paths or self._authorized(scope, path):
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

    @staticmethod
    def _app_path(scope: Scope) -> str:
        """The path below the root path, the form `public_paths` and `path_tokens` use."""
        path: str = scope["path"]
        root_path: str = scope.get("root_path", "")
        if root_path and path.startswith(root_path):
            path = path[len(root_path) :] or "/"
        return path

    def _authorized(self, scope: Scope, path: str) -> bool:
        for name, value in scope["headers"]:
            if name == b"authorization":
                scheme, _, credentials = value.partition(b" ")
                if scheme.lower() != b"bearer":
                    return False
                credentials = credentials.strip()
                path_token = self._path_tokens.get(path)
                # compare_digest takes the same time whatever prefix of the token matches.
                return hmac.compare_digest(credentials, self._expected) or (
                    path_token is not None and hmac.compare_digest(credentials, path_token)
                )
        return False
