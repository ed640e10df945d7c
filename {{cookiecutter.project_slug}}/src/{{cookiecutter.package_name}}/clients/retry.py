"""Retry policy: bounded attempts, exponential backoff with full jitter, Retry-After honoured.

The policy only decides *whether* a failure is retried and *how long* to wait; the transport
(`transport.py`) runs the loop for BaseClient and DownloadClient alike. A plain loop on
purpose: a retry library's controller object costs more per request than the request itself
against a fast upstream, and the first attempt is the common case.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from ..features.http_client import HttpClientSettings
from .errors import ClientConnectionError, ClientTimeoutError, HTTPStatusError

# RFC 9110 idempotent methods: repeating them cannot apply a change twice.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
RETRY_STATUSES = frozenset({429, 502, 503, 504})
# The `http_client` settings' defaults: one place to change them (a plain model, no env).
_DEFAULTS = HttpClientSettings()


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry. `attempts=1` turns retries off."""

    attempts: int = _DEFAULTS.max_attempts
    backoff_base: float = _DEFAULTS.backoff_base
    backoff_max: float = _DEFAULTS.backoff_max
    # A Retry-After longer than this is not waited for: the error is raised at once.
    max_retry_after: float = _DEFAULTS.max_retry_after

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")
        if self.backoff_base < 0 or self.backoff_max < 0 or self.max_retry_after < 0:
            raise ValueError("backoff and Retry-After limits must not be negative")

    def is_retryable(self, exc: BaseException) -> bool:
        if isinstance(exc, ClientConnectionError | ClientTimeoutError):
            return True
        if isinstance(exc, HTTPStatusError) and exc.status in RETRY_STATUSES:
            return exc.retry_after is None or exc.retry_after <= self.max_retry_after
        return False

    def delay(self, attempt: int, exc: BaseException) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based) before the next.

        Retry-After when the upstream sent one; otherwise "full jitter": uniformly random up
        to base * 2^(attempt - 1), capped at `backoff_max`, so clients that failed together
        do not retry together.
        """
        if isinstance(exc, HTTPStatusError) and exc.retry_after is not None:
            return exc.retry_after
        ceiling = min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))
        return random.uniform(0, ceiling)  # noqa: S311 (jitter, not a secret)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), or None."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


__all__ = ["IDEMPOTENT_METHODS", "RETRY_STATUSES", "RetryPolicy", "parse_retry_after"]
