"""RetryPolicy decisions and Retry-After parsing, without the network."""

from datetime import UTC, datetime

import pytest

from {{ cookiecutter.package_name }}.clients import (
    ClientConnectionError,
    ClientError,
    ClientTimeoutError,
    HTTPStatusError,
    RetryPolicy,
)
from {{ cookiecutter.package_name }}.clients.retry import parse_retry_after


def status_error(status: int, retry_after: float | None = None) -> HTTPStatusError:
    return HTTPStatusError(
        method="GET", url="http://x/", status=status, body=b"", retry_after=retry_after
    )


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (ClientConnectionError("refused", method="GET", url="http://x/"), True),
        (ClientTimeoutError("slow", method="GET", url="http://x/"), True),
        (status_error(429), True),
        (status_error(502), True),
        (status_error(503), True),
        (status_error(504), True),
        (status_error(500), False),
        (status_error(404), False),
        (status_error(503, retry_after=60), False),
        (ClientError("other", method="GET", url="http://x/"), False),
        (ValueError("bug"), False),
    ],
)
def test_what_is_retried(error: BaseException, retryable: bool) -> None:
    assert RetryPolicy().is_retryable(error) is retryable


@pytest.mark.parametrize("kwargs", [{"attempts": 0}, {"backoff_base": -1}, {"max_retry_after": -1}])
def test_invalid_policies_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must"):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


def test_backoff_is_full_jitter_below_a_capped_exponential() -> None:
    """Attempt n waits a random time up to base * 2^(n-1), never more than backoff_max."""
    policy = RetryPolicy(attempts=5, backoff_base=0.1, backoff_max=0.3)
    refused = ClientConnectionError("refused", method="GET", url="http://x/")
    for attempt, ceiling in [(1, 0.1), (2, 0.2), (3, 0.3), (4, 0.3)]:
        delays = [policy.delay(attempt, refused) for _ in range(200)]
        assert all(0 <= delay <= ceiling for delay in delays)
        assert max(delays) > ceiling / 2, "spread over the whole range, not a fixed wait"


def test_retry_after_replaces_the_backoff() -> None:
    assert RetryPolicy(backoff_max=0.1).delay(1, status_error(503, retry_after=7)) == 7.0


def test_policy_is_a_frozen_value() -> None:
    assert RetryPolicy(attempts=2) == RetryPolicy(attempts=2)
    with pytest.raises(AttributeError):
        RetryPolicy().attempts = 5  # type: ignore[misc]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("7", 7.0),
        (" 0 ", 0.0),
        ("Wed, 25 Nov 2026 12:00:30 GMT", 30.0),
        ("Wed, 25 Nov 2026 11:00:00 GMT", 0.0),
        ("soon", None),
    ],
)
def test_retry_after_parsing(header: str | None, expected: float | None) -> None:
    now = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after(header, now=now) == expected
