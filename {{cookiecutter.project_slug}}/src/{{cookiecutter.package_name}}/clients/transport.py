"""The one HTTP transport under BaseClient and DownloadClient, in three layers:

    Transport.send                 bounded retries (idempotent methods only), one deadline
    ├── _send_single_request       one aiohttp request; its errors and 4xx/5xx become ours
    └── _send_handling_redirects   3xx followed by hand; each hop passes the redirect check,
                                   then goes through _send_single_request again

Each layer takes one `Request` value and returns an open `aiohttp.ClientResponse` below 400
(the caller reads and releases it) or raises from the clients' error tree (`errors.py`).
The redirect layer is entered only when a 3xx arrives: every coroutine in the chain is
resumed at each wait for the network, and one level less on the common path is worth about
2% in the client_overhead benchmark.
Redirects are never left to aiohttp: it strips only `Authorization` when the origin changes,
so the per-hop check (BaseClient: stay under the base URL; DownloadClient: the SSRF guard) is
what keeps default headers and internal addresses safe.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import aiohttp
from yarl import URL

from .errors import (
    BODY_EXCERPT_BYTES,
    ClientConnectionError,
    ClientError,
    ClientTimeoutError,
    HTTPStatusError,
    RedirectError,
)
from .redaction import redact_headers
from .retry import IDEMPOTENT_METHODS, RetryPolicy, parse_retry_after
from .urls import redact_url

logger = logging.getLogger(__name__)

# RFC 9110 section 15.4; 304 Not Modified is not a redirect.
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# What aiohttp raises for network trouble (ServerTimeoutError is both).
TRANSPORT_ERRORS = (aiohttp.ClientError, TimeoutError)
OTHER_LOOP = (
    "belongs to another event loop (or one that has ended); create the client and its "
    "session inside the loop that uses them (one client per asyncio.run)"
)


class Request(NamedTuple):
    """One outgoing request; a redirect sends a changed copy.

    A NamedTuple rather than a frozen dataclass: built once per call, and a frozen
    dataclass's `__init__` costs several times as much (client_overhead benchmark).
    """

    method: str
    url: URL
    headers: Mapping[str, str] | None = None
    json: Any = None
    data: bytes | None = None
    # None: retried when the method is idempotent; True opts a POST in, False opts out.
    retry: bool | None = None

    def redirected(self, status: int, target: URL) -> Request:
        """The next hop. Like browsers and aiohttp: a 303, or a POST's 301/302, is a bare GET."""
        if self.method != "HEAD" and (status == 303 or (status < 303 and self.method == "POST")):
            return self._replace(method="GET", url=target, json=None, data=None)
        return self._replace(url=target)


# Called before a redirect is followed, with the request that got it and the target.
# It raises to refuse the hop (RedirectError, or the caller's own policy error).
RedirectCheck = Callable[[Request, URL], None]


@dataclass(frozen=True, slots=True)
class Transport:
    """What every request of one client shares: timeout, retry policy, redirect policy, TLS."""

    timeout: aiohttp.ClientTimeout
    retry: RetryPolicy
    check_redirect: RedirectCheck
    max_redirects: int = 5
    proxy: str | None = None
    verify_tls: bool = True

    def __post_init__(self) -> None:
        if self.max_redirects < 0:
            raise ValueError("max_redirects must not be negative")

    async def send(
        self, session: aiohttp.ClientSession, request: Request
    ) -> aiohttp.ClientResponse:
        """The first response below 400, after as many attempts as the retry policy allows.

        `timeout.total` is the budget of the whole call: attempts, redirects and the sleeps
        between them. Each attempt gets what is left, and a retry that would have to sleep
        past the deadline is not made (the last error is raised instead).
        """
        policy = self.retry
        enabled = request.method in IDEMPOTENT_METHODS if request.retry is None else request.retry
        attempts = policy.attempts if enabled else 1
        total = self.timeout.total
        deadline = None if total is None else time.monotonic() + total
        # The first attempt has the whole budget: no new ClientTimeout on the common path.
        budget = self.timeout
        attempt = 1
        while True:
            try:
                response = await self._send_single_request(session, request, budget)
                if response.status not in REDIRECT_STATUSES:
                    return response
                # Only for a redirect: one coroutine less on the common path (docstring).
                return await self._send_handling_redirects(session, request, response, deadline)
            except ClientError as exc:
                if attempt >= attempts or not policy.is_retryable(exc):
                    raise
                delay = policy.delay(attempt, exc)
                if deadline is not None and time.monotonic() + delay >= deadline:
                    raise
                logger.warning(
                    "retrying after %s in %.2fs (attempt %d of %d)",
                    exc,
                    delay,
                    attempt + 1,
                    attempts,
                )
            await asyncio.sleep(delay)
            attempt += 1
            budget = self._timeout_until(deadline, request)

    async def _send_handling_redirects(
        self,
        session: aiohttp.ClientSession,
        request: Request,
        response: aiohttp.ClientResponse,
        deadline: float | None,
    ) -> aiohttp.ClientResponse:
        """Follow the redirect `response` answered to `request`, and any after it."""
        hops = 0
        while response.status in REDIRECT_STATUSES:
            response.release()
            target = self._redirect_target(response, request, hops)
            hops += 1
            request = request.redirected(response.status, target)
            budget = self._timeout_until(deadline, request)
            response = await self._send_single_request(session, request, budget)
        return response

    async def _send_single_request(
        self,
        session: aiohttp.ClientSession,
        request: Request,
        budget: aiohttp.ClientTimeout,
    ) -> aiohttp.ClientResponse:
        """One HTTP exchange: a response below 400 or our error."""
        if logger.isEnabledFor(logging.DEBUG):
            shown = redact_headers((request.headers or {}).items())
            logger.debug("%s %s headers=%s", request.method, redact_url(request.url), shown)
        try:
            response = await session.request(
                request.method,
                request.url,
                json=request.json,
                data=request.data,
                headers=request.headers,
                timeout=budget,
                proxy=self.proxy,
                ssl=self.verify_tls,
                # Followed by _send_handling_redirects, where the target is checked first.
                allow_redirects=False,
            )
        except TRANSPORT_ERRORS as exc:
            raise translate(exc, request.method, request.url) from exc
        except RuntimeError as exc:
            # aiohttp's words ("Timeout context manager should be used inside a task",
            # "Event loop is closed") for a session used outside its loop.
            problem = "is closed" if session.closed else OTHER_LOOP
            raise RuntimeError(f"the client's session {problem}") from exc
        if response.status < 400:
            return response
        raise await _status_error(response, request)

    def _redirect_target(
        self, response: aiohttp.ClientResponse, request: Request, hops: int
    ) -> URL:
        """Where a redirect leads, if it may be followed; an error otherwise."""
        location = response.headers.get("Location")
        if location is None:
            raise redirect_error(f"upstream answered {response.status} without a Location", request)
        target = request.url.join(URL(location))
        self.check_redirect(request, target)
        if hops >= self.max_redirects:
            raise redirect_error(f"more than {self.max_redirects} redirects", request, target)
        return target

    def _timeout_until(self, deadline: float | None, request: Request) -> aiohttp.ClientTimeout:
        """The transport's timeout with `total` cut to what is left before the deadline."""
        if deadline is None:
            return self.timeout
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            where = redact_url(request.url)
            raise ClientTimeoutError("total timeout spent", method=request.method, url=where)
        t = self.timeout
        # ClientTimeout is an attrs class: dataclasses.replace does not apply.
        return aiohttp.ClientTimeout(
            total=remaining,
            connect=t.connect,
            sock_read=t.sock_read,
            sock_connect=t.sock_connect,
            ceil_threshold=t.ceil_threshold,
        )


def redirect_error(message: str, request: Request, target: URL | None = None) -> RedirectError:
    """A refused hop from `request` to `target`, with credentials removed from both."""
    shown = None if target is None else redact_url(target)
    where = redact_url(request.url)
    return RedirectError(message, method=request.method, url=where, location=shown)


async def _status_error(response: aiohttp.ClientResponse, request: Request) -> HTTPStatusError:
    """A 4xx/5xx as HTTPStatusError with a body excerpt; the response is released."""
    try:
        body = await response.content.read(BODY_EXCERPT_BYTES)
    except TRANSPORT_ERRORS:
        body = b""
    finally:
        response.release()
    return HTTPStatusError(
        method=request.method,
        url=redact_url(request.url),
        status=response.status,
        body=body,
        retry_after=parse_retry_after(response.headers.get("Retry-After")),
    )


def translate(exc: BaseException, method: str, url: URL) -> ClientError:
    """Map an aiohttp/asyncio exception to our tree (the caller chains it with `from`)."""
    where = redact_url(url)
    # ServerTimeoutError is both an aiohttp.ClientError and a TimeoutError: timeout first.
    if isinstance(exc, TimeoutError):
        return ClientTimeoutError("request timed out", method=method, url=where)
    if isinstance(exc, aiohttp.ClientConnectionError):
        return ClientConnectionError(f"connection failed: {exc}", method=method, url=where)
    return ClientError(f"request failed: {exc}", method=method, url=where)


async def iter_chunks(response: aiohttp.ClientResponse, chunk_size: int) -> AsyncIterator[bytes]:
    """The body in chunks of at most `chunk_size` bytes; read errors come out as ours."""
    try:
        async for chunk in response.content.iter_chunked(chunk_size):
            yield chunk
    except TRANSPORT_ERRORS as exc:
        raise translate(exc, response.method, response.url) from exc


__all__ = [
    "OTHER_LOOP",
    "REDIRECT_STATUSES",
    "TRANSPORT_ERRORS",
    "RedirectCheck",
    "Request",
    "Transport",
    "iter_chunks",
    "redirect_error",
    "translate",
]
