"""Pure-ASGI middlewares: each handles HTTP scopes and passes every other scope through."""

from .auth import BearerAuthMiddleware
from .body_limit import (
    BodyLimit,
    BodySizeLimitMiddleware,
    RequestBodyTooLarge,
)
from .process_time import ProcessTimeMiddleware
from .request_id import RequestIdMiddleware
from .server_error import ServerErrorMiddleware

__all__ = [
    "BearerAuthMiddleware",
    "BodyLimit",
    "BodySizeLimitMiddleware",
    "ProcessTimeMiddleware",
    "RequestBodyTooLarge",
    "RequestIdMiddleware",
    "ServerErrorMiddleware",
]
