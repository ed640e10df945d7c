"""Outgoing HTTP: BaseClient on aiohttp, its errors, retry policy and session factory."""

from .base import BaseClient, Response
from .errors import (
    ClientConnectionError,
    ClientError,
    ClientTimeoutError,
    HTTPStatusError,
    RedirectError,
    ResponseDecodeError,
)
from .retry import RetryPolicy
from .session import create_session, retry_policy_from, timeout_from
from .urls import UnsafeURLError

__all__ = [
    "BaseClient",
    "ClientConnectionError",
    "ClientError",
    "ClientTimeoutError",
    "HTTPStatusError",
    "RedirectError",
    "Response",
    "ResponseDecodeError",
    "RetryPolicy",
    "UnsafeURLError",
    "create_session",
    "retry_policy_from",
    "timeout_from",
]
