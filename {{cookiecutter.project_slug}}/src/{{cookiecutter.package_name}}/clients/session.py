"""Building the shared aiohttp session and the value objects clients are configured with."""

from __future__ import annotations

from typing import TYPE_CHECKING

import aiohttp

from .retry import RetryPolicy

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..features.http_client import HttpClientSettings


def timeout_from(settings: HttpClientSettings) -> aiohttp.ClientTimeout:
    """Explicit limits for every phase; aiohttp's own default is a 5-minute total."""
    return aiohttp.ClientTimeout(
        total=settings.total_timeout,
        connect=settings.connect_timeout,
        sock_read=settings.read_timeout,
    )


def retry_policy_from(settings: HttpClientSettings) -> RetryPolicy:
    return RetryPolicy(
        attempts=settings.max_attempts,
        backoff_base=settings.backoff_base,
        backoff_max=settings.backoff_max,
        max_retry_after=settings.max_retry_after,
    )


def create_session(
    settings: HttpClientSettings, trace_configs: Sequence[aiohttp.TraceConfig] = ()
) -> aiohttp.ClientSession:
    """One pooled session for the whole process; call inside the running event loop.

    `trace_configs` observe every request (tracing adds its own).
    """
    connector = aiohttp.TCPConnector(
        limit=settings.pool_size,
        limit_per_host=settings.pool_size_per_host,
        ssl=settings.verify_tls,
    )
    return aiohttp.ClientSession(
        connector=connector,
        timeout=timeout_from(settings),
        proxy=settings.proxy.get_secret_value() if settings.proxy else None,
        headers={"User-Agent": settings.user_agent},
        raise_for_status=False,
        trace_configs=list(trace_configs) or None,
    )


__all__ = ["create_session", "retry_policy_from", "timeout_from"]
