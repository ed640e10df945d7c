"""Retry policy: bounded attempts, exponential backoff with full jitter, Retry-After honoured.

Retries are delegated to tenacity (async-native, well maintained); this module only decides
*what* is retryable and *how long* to wait.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from .errors import ClientConnectionError, ClientTimeoutError, HTTPStatusError

if TYPE_CHECKING:
    from tenacity import RetryCallState

logger = logging.getLogger(__name__)

# RFC 9110 idempotent methods: repeating them cannot apply a change twice.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
RETRY_STATUSES = frozenset({429, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry. `attempts=1` turns retries off."""

    attempts: int = 3
    backoff_base: float = 0.2
    backoff_max: float = 5.0
    # A Retry-After longer than this is not waited for: the error is raised at once.
    max_retry_after: float = 30.0

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

    def retrying(self, *, enabled: bool) -> AsyncRetrying:
        """A tenacity controller for one logical request."""
        jitter = wait_random_exponential(multiplier=self.backoff_base, max=self.backoff_max)

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            if isinstance(exc, HTTPStatusError) and exc.retry_after is not None:
                return exc.retry_after
            return float(jitter(state))

        def log_retry(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            delay = state.next_action.sleep if state.next_action else 0.0
            logger.warning(
                "retrying after %s in %.2fs (attempt %d of %d)",
                exc,
                delay,
                state.attempt_number + 1,
                self.attempts,
            )

        return AsyncRetrying(
            stop=stop_after_attempt(self.attempts if enabled else 1),
            wait=wait,
            retry=retry_if_exception(self.is_retryable),
            before_sleep=log_retry,
            reraise=True,
        )


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
