"""Job callbacks: POST a finished job's record to its `callback_url`, signed and retried.

Each delivery is signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`,
`webhook-signature`; receivers check it with `jobs.verify.verify_webhook`). The webhook-id is
`job_<id>` for every attempt of one job, so a receiver that sees it twice (a retry after a
timeout whose request did arrive, a job run again after a worker died) can drop the repeat.
Every attempt is timed and recorded on the job; any answer but a 2xx is retried with
exponential backoff (full jitter, Retry-After honoured) until `attempts` are spent.

The URL was chosen by whoever submitted the job, so the request goes through the SSRF guard
of `clients/address_policy.py`, the same one downloads use: the URL is checked at submit time
(`check_callback_url`) and again before sending, names are resolved through the guarded
resolver, and every redirect hop must stay at the receiver's origin and pass the guard.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import aiohttp
from pydantic import SecretStr
from standardwebhooks import Webhook
from yarl import URL

from ..clients.address_policy import AddressPolicy, IPNetwork, guarded_connector
from ..clients.base import BaseClient
from ..clients.errors import ClientError, ClientTimeoutError, HTTPStatusError
from ..clients.retry import RetryPolicy
from ..clients.transport import Request
from ..clients.urls import redact_url
from .models import CallbackAttempt, JobRecord

if TYPE_CHECKING:
    from ..features.jobs import JobsSettings

logger = logging.getLogger(__name__)

MAX_CALLBACK_URL_LENGTH = 2048
CALLBACK_SCHEMES = ("http", "https")
# Refusals name the settings that would allow the address (the `jobs` section).
ALLOW_HINT = (
    "set jobs.callback_allowed_networks or jobs.callback_allow_private_networks to allow it"
)
# The longest wait between two attempts, whatever the backoff or a Retry-After asks for.
BACKOFF_MAX_SECONDS = 300.0
USER_AGENT = "{{ cookiecutter.project_slug }}"

# Stores the attempt on the job (the job store's `add_callback_attempt`).
RecordAttempt = Callable[[str, CallbackAttempt], Awaitable[None]]


class CallbackURLError(ValueError):
    """A callback_url that may not be used; the message says why (the API answers 400)."""


def callback_policy(
    *, allow_private: bool = False, networks: tuple[IPNetwork, ...] = ()
) -> AddressPolicy:
    """The address policy for callbacks, from the `jobs` section's two settings."""
    return AddressPolicy(allow_private=allow_private, exceptions=networks, hint=ALLOW_HINT)


def check_callback_url(url: str, policy: AddressPolicy) -> URL:
    """The parsed URL if a callback may be sent there; CallbackURLError saying why not.

    A host name passes here: what it resolves to is checked when the callback is sent.
    """
    if len(url) > MAX_CALLBACK_URL_LENGTH:
        raise CallbackURLError(f"callback_url is longer than {MAX_CALLBACK_URL_LENGTH} characters")
    if any(char.isspace() or not char.isprintable() for char in url):
        raise CallbackURLError("callback_url contains whitespace or control characters")
    try:
        parsed = URL(url)
    except ValueError:
        raise CallbackURLError("callback_url is not a URL") from None
    if parsed.scheme not in CALLBACK_SCHEMES or not parsed.raw_host:
        raise CallbackURLError("callback_url must be an absolute http:// or https:// URL")
    if parsed.raw_user is not None or parsed.raw_password is not None:
        raise CallbackURLError("callback_url must not carry credentials (user:password@)")
    try:
        policy.check_host(parsed.raw_host)
    except policy.error as exc:
        raise CallbackURLError(f"callback_url refused: {exc}") from None
    return parsed


def create_callback_session(
    policy: AddressPolicy,
    *,
    pool_size: int = 20,
    trace_configs: Sequence[aiohttp.TraceConfig] = (),
) -> aiohttp.ClientSession:
    """The session callbacks go out through: every connection passes the address guard.

    `trace_configs` observe every request (tracing adds its own).
    """
    return aiohttp.ClientSession(
        connector=guarded_connector(policy, limit=pool_size),
        headers={"User-Agent": USER_AGENT},
        trace_configs=list(trace_configs) or None,
    )


class CallbackClient(BaseClient):
    """BaseClient for one receiver: POSTs to the exact URL, redirects only within its origin."""

    def __init__(
        self, url: URL, *, session: aiohttp.ClientSession, policy: AddressPolicy, timeout: float
    ) -> None:
        # Attempts are counted, timed and recorded by `deliver`: one request per call here.
        super().__init__(
            url.origin(),
            session=session,
            timeout=aiohttp.ClientTimeout(total=timeout),
            retry=RetryPolicy(attempts=1),
            allow_absolute_urls=True,
        )
        self.url = url
        self.policy = policy

    async def post(self, body: bytes, headers: dict[str, str]) -> int:
        """The receiver's status (below 400; HTTPStatusError otherwise). Its body is not read."""
        request = self._request("POST", str(self.url), None, headers, data=body, retry=False)
        response = await self.transport.send(self._lifecycle.session(), request)
        response.release()
        return response.status

    def _check_redirect(self, request: Request, target: URL) -> None:
        # The guard first, so a hop to an internal address is refused as such.
        self.policy.check_host(target.raw_host or "")
        super()._check_redirect(request, target)


def signed_headers(webhook: Webhook, message_id: str, body: bytes, at: datetime) -> dict[str, str]:
    """The Standard Webhooks headers for one attempt (signed anew: a fresh timestamp)."""
    return {
        "Content-Type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": webhook.sign(message_id, at, body),
    }


async def deliver(
    record: JobRecord,
    *,
    secret: SecretStr,
    session: aiohttp.ClientSession,
    policy: AddressPolicy,
    record_attempt: RecordAttempt,
    attempts: int = 5,
    backoff: float = 1.0,
    attempt_timeout: float = 10.0,
) -> bool:
    """Send the finished `record` to its callback_url; True once a receiver answered 2xx.

    `session` should come from `create_callback_session` (the guarded resolver). A refused
    URL or address is recorded once and not retried.
    """
    if record.callback_url is None:
        return False
    try:
        url = check_callback_url(record.callback_url, policy)
    except CallbackURLError as exc:
        await record_attempt(record.id, _attempt_record(datetime.now(UTC), 0.0, error=str(exc)))
        return False
    signer = _Signer(Webhook(secret.get_secret_value()), f"job_{record.id}")
    body = record.model_dump_json().encode()
    schedule = RetryPolicy(attempts=attempts, backoff_base=backoff, backoff_max=BACKOFF_MAX_SECONDS)
    client = CallbackClient(url, session=session, policy=policy, timeout=attempt_timeout)
    async with client:
        for attempt in range(1, attempts + 1):
            outcome, failure = await _attempt(client, signer, body)
            await record_attempt(record.id, outcome)
            if outcome.error is None:
                logger.info("job %s: callback delivered (attempt %d)", record.id, attempt)
                return True
            if isinstance(failure, policy.error) or attempt == attempts:
                break
            # The receiver's Retry-After, if it sent one, is honoured (capped).
            delay = schedule.delay(attempt, failure or Exception())
            await asyncio.sleep(min(delay, BACKOFF_MAX_SECONDS))
    logger.warning("job %s: callback to %s not delivered", record.id, redact_url(url))
    return False


@dataclass(frozen=True)
class _Signer:
    webhook: Webhook
    message_id: str

    def headers(self, body: bytes, at: datetime) -> dict[str, str]:
        return signed_headers(self.webhook, self.message_id, body, at)


async def _attempt(
    client: CallbackClient, signer: _Signer, body: bytes
) -> tuple[CallbackAttempt, Exception | None]:
    """One POST, signed now: what to record, and the error that ended it (None: an answer)."""
    at = datetime.now(UTC)
    started = time.monotonic()
    try:
        status = await client.post(body, signer.headers(body, at))
    except HTTPStatusError as exc:
        return _attempt_record(at, _since(started), status=exc.status, error=str(exc)), exc
    except ClientTimeoutError as exc:
        waited = f"timeout: no answer within {client.timeout.total:g}s"
        return _attempt_record(at, _since(started), error=waited), exc
    except ClientError as exc:  # unreachable, a redirect off the receiver's origin
        return _attempt_record(at, _since(started), error=str(exc)), exc
    except client.policy.error as exc:  # the guarded resolver or a redirect hop refused it
        return _attempt_record(at, _since(started), error=f"refused: {exc}"), exc
    error = None if status < 300 else f"receiver answered {status}"
    return _attempt_record(at, _since(started), status=status, error=error), None


def _since(started: float) -> float:
    return (time.monotonic() - started) * 1000


def _attempt_record(
    at: datetime, elapsed_ms: float, *, status: int | None = None, error: str | None = None
) -> CallbackAttempt:
    return CallbackAttempt(at=at, status=status, error=error, duration_ms=round(elapsed_ms, 1))


@dataclass(frozen=True)
class CallbackSender:
    """The queue's `on_finished` hook: delivers a finished job that names a callback_url."""

    session: aiohttp.ClientSession
    secret: SecretStr
    policy: AddressPolicy
    record_attempt: RecordAttempt
    attempts: int = 5
    backoff: float = 1.0
    timeout: float = 10.0

    async def __call__(self, record: JobRecord) -> None:
        # Called again when a finished job's message comes back (at least once): a job
        # whose callback a receiver already took is not sent twice.
        if record.callback_url is None or any(_delivered(a) for a in record.callbacks):
            return
        await deliver(
            record,
            secret=self.secret,
            session=self.session,
            policy=self.policy,
            record_attempt=self.record_attempt,
            attempts=self.attempts,
            backoff=self.backoff,
            attempt_timeout=self.timeout,
        )


def _delivered(attempt: CallbackAttempt) -> bool:
    return attempt.status is not None and 200 <= attempt.status < 300


@dataclass(frozen=True)
class Callbacks:
    """What the job queue needs of callbacks: a submit-time check and a sender per store."""

    settings: JobsSettings
    session: aiohttp.ClientSession
    policy: AddressPolicy

    def check(self, url: str) -> None:
        """Raise CallbackURLError when callbacks may not go to `url`."""
        check_callback_url(url, self.policy)

    def sender(self, record_attempt: RecordAttempt) -> CallbackSender:
        secret = self.settings.webhook_secret
        assert secret is not None, "JobCallbacksFeature opens callbacks only with a secret"
        return CallbackSender(
            self.session,
            secret,
            self.policy,
            record_attempt,
            attempts=self.settings.callback_attempts,
            backoff=self.settings.callback_backoff,
            timeout=self.settings.callback_timeout,
        )


__all__ = [
    "ALLOW_HINT",
    "MAX_CALLBACK_URL_LENGTH",
    "CallbackClient",
    "CallbackSender",
    "CallbackURLError",
    "Callbacks",
    "RecordAttempt",
    "callback_policy",
    "check_callback_url",
    "create_callback_session",
    "deliver",
    "signed_headers",
]
