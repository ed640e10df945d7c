"""BaseClient: the one way this service talks to an upstream HTTP API.

Subclass it per upstream and add typed methods:

    class BillingClient(BaseClient):
        async def invoice(self, invoice_id: str) -> Invoice:
            return await self.get_json(f"invoices/{invoice_id}", model=Invoice)

    async with BillingClient("https://billing.internal/api/v1/") as billing:
        invoice = await billing.invoice("42")

Inside the server, pass the shared session from the lifespan (`session=resources.http_session`)
so every client shares one connection pool; elsewhere the client opens its own session on
first use (built by `create_session`, like the lifespan's) and closes it on `close()` /
`async with` exit.

Redirects are followed only while they stay under the base URL (same scheme, host and port,
path below the base path), at most `max_redirects` hops; any other redirect raises
RedirectError. aiohttp's own following strips only `Authorization` when the origin changes,
so default headers such as an API key would reach whichever host a redirect names.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Self, TypeVar, overload

import aiohttp
from multidict import CIMultiDict, CIMultiDictProxy
from pydantic import TypeAdapter
from yarl import URL

from ..context import request_id_var
from ..features.http_client import HttpClientSettings
from .errors import (
    BODY_EXCERPT_BYTES,
    ClientConnectionError,
    ClientError,
    ClientTimeoutError,
    HTTPStatusError,
    RedirectError,
    ResponseDecodeError,
)
from .redaction import redact_headers
from .retry import IDEMPOTENT_METHODS, RetryPolicy, parse_retry_after
from .session import create_session, retry_policy_from, timeout_from
from .urls import join_url, normalise_base_url, redact_url

if TYPE_CHECKING:
    from types import TracebackType

logger = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_TIMEOUT = aiohttp.ClientTimeout(total=30.0, connect=5.0, sock_read=15.0)
DEFAULT_CHUNK_SIZE = 64 * 1024
DEFAULT_MAX_REDIRECTS = 5
REQUEST_ID_HEADER = "X-Request-ID"
# RFC 9110 section 15.4; 304 Not Modified is not a redirect.
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# What aiohttp raises for network trouble (ServerTimeoutError is both).
TRANSPORT_ERRORS = (aiohttp.ClientError, TimeoutError)


@dataclass(frozen=True)
class Response:
    """A fully read response."""

    status: int
    headers: CIMultiDictProxy[str]
    content: bytes
    url: str

    def text(self, encoding: str = "utf-8") -> str:
        return self.content.decode(encoding, errors="replace")


class BaseClient:
    """Async HTTP client for one upstream base URL (see the module docstring)."""

    def __init__(
        self,
        base_url: str | URL,
        *,
        session: aiohttp.ClientSession | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: aiohttp.ClientTimeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        proxy: str | None = None,
        verify_tls: bool = True,
        allow_absolute_urls: bool = False,
        max_redirects: int = DEFAULT_MAX_REDIRECTS,
    ) -> None:
        self.base_url = normalise_base_url(base_url)
        self.headers: CIMultiDict[str] = CIMultiDict(headers or {})
        self.timeout = timeout
        self.retry_policy = retry or RetryPolicy()
        self.proxy = proxy
        self.verify_tls = verify_tls
        self.allow_absolute_urls = allow_absolute_urls
        if max_redirects < 0:
            raise ValueError("max_redirects must not be negative")
        self.max_redirects = max_redirects
        # A session passed in is borrowed (the lifespan closes it); one we create is ours.
        self._session = session
        self._owns_session = session is None
        self._session_loop: asyncio.AbstractEventLoop | None = None
        self._session_keeper: AsyncGenerator[None] | None = None
        # What an owned session is built from; from_settings passes the configured section.
        self._session_settings: HttpClientSettings | None = None

    @classmethod
    def from_settings(
        cls,
        base_url: str | URL,
        settings: HttpClientSettings,
        *,
        session: aiohttp.ClientSession | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Self:
        """A client configured from the `http_client` settings section."""
        client = cls(
            base_url,
            session=session,
            headers=headers,
            timeout=timeout_from(settings),
            retry=retry_policy_from(settings),
            proxy=settings.proxy.get_secret_value() if settings.proxy else None,
            verify_tls=settings.verify_tls,
        )
        client._session_settings = settings
        return client

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def has_open_session(self) -> bool:
        """True while a session this client created is open (borrowed ones do not count)."""
        return self._owns_session and self._session is not None and not self._session.closed

    async def close(self) -> None:
        """Close the session if this client created it; safe to call more than once.

        After closing, the next request opens a new session in whatever loop is running,
        so one client object can serve consecutive `asyncio.run()` calls.
        """
        keeper = self._session_keeper
        if keeper is None:
            return
        if not self._session_loop_ended():
            self._check_loop()
        self._session = self._session_loop = self._session_keeper = None
        # Runs the keeper's `finally`, which closes the session (already done if its loop ended).
        await keeper.aclose()

    def url_for(self, path: str) -> URL:
        return join_url(self.base_url, path, allow_absolute=self.allow_absolute_urls)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        retry: bool | None = None,
    ) -> Response:
        """Send a request and read the whole body; 4xx/5xx raise HTTPStatusError.

        `retry=None` retries idempotent methods only; pass True to opt a POST in (only when
        the upstream deduplicates it, e.g. with an idempotency key).
        """
        response = await self._send_with_retries(method, path, params, json, data, headers, retry)
        try:
            content = await response.read()
        except TRANSPORT_ERRORS as exc:
            raise _translate(exc, method, response.url) from exc
        finally:
            response.release()
        return Response(response.status, response.headers, content, redact_url(response.url))

    @asynccontextmanager
    async def stream(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """An open response whose body is read by the caller (released on exit).

        aiohttp errors raised while the caller reads `response.content` come out as ours.
        """
        response = await self._send_with_retries(method, path, params, None, None, headers, None)
        try:
            yield response
        except TRANSPORT_ERRORS as exc:
            raise _translate(exc, method.upper(), response.url) from exc
        finally:
            response.release()

    async def iter_bytes(
        self,
        path: str,
        *,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> AsyncIterator[bytes]:
        """GET `path` and yield the body in chunks of at most `chunk_size` bytes."""
        async with self.stream("GET", path, params=params, headers=headers) as response:
            async for chunk in response.content.iter_chunked(chunk_size):
                yield chunk

    @overload
    async def get_json(
        self, path: str, *, model: type[T], params: Mapping[str, str] | None = None
    ) -> T: ...
    @overload
    async def get_json(
        self, path: str, *, model: None = None, params: Mapping[str, str] | None = None
    ) -> Any: ...
    async def get_json(
        self, path: str, *, model: type[Any] | None = None, params: Mapping[str, str] | None = None
    ) -> Any:
        response = await self.request("GET", path, params=params)
        return _decode(response, model, "GET")

    @overload
    async def post_json(
        self, path: str, body: Any, *, model: type[T], retry: bool | None = None
    ) -> T: ...
    @overload
    async def post_json(
        self, path: str, body: Any, *, model: None = None, retry: bool | None = None
    ) -> Any: ...
    async def post_json(
        self, path: str, body: Any, *, model: type[Any] | None = None, retry: bool | None = None
    ) -> Any:
        response = await self.request("POST", path, json=body, retry=retry)
        return _decode(response, model, "POST")

    @overload
    async def put_json(self, path: str, body: Any, *, model: type[T]) -> T: ...
    @overload
    async def put_json(self, path: str, body: Any, *, model: None = None) -> Any: ...
    async def put_json(self, path: str, body: Any, *, model: type[Any] | None = None) -> Any:
        response = await self.request("PUT", path, json=body)
        return _decode(response, model, "PUT")

    @overload
    async def patch_json(
        self, path: str, body: Any, *, model: type[T], retry: bool | None = None
    ) -> T: ...
    @overload
    async def patch_json(
        self, path: str, body: Any, *, model: None = None, retry: bool | None = None
    ) -> Any: ...
    async def patch_json(
        self, path: str, body: Any, *, model: type[Any] | None = None, retry: bool | None = None
    ) -> Any:
        response = await self.request("PATCH", path, json=body, retry=retry)
        return _decode(response, model, "PATCH")

    async def delete(self, path: str) -> None:
        await self.request("DELETE", path)

    async def _send_with_retries(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        json: Any,
        data: bytes | None,
        headers: Mapping[str, str] | None,
        retry: bool | None,
    ) -> aiohttp.ClientResponse:
        """The first response below 400, after as many attempts as the policy allows.

        `timeout.total` is the budget of the whole call: attempts, redirects and the sleeps
        between them. Each attempt gets what is left, and a retry that would have to sleep
        past the deadline is not made (the last error is raised instead).
        """
        method = method.upper()
        url = self.url_for(path)
        if params:
            # Merged here so logs and errors show the (redacted) query too.
            url = url.update_query(params)
        merged = self._headers_for(headers)
        policy = self.retry_policy
        enabled = method in IDEMPOTENT_METHODS if retry is None else retry
        attempts = policy.attempts if enabled else 1
        total = self.timeout.total
        deadline = None if total is None else time.monotonic() + total
        # The first attempt has the whole budget: no new ClientTimeout on the common path.
        timeout = self.timeout
        attempt = 1
        while True:
            try:
                return await self._send(method, url, json, data, merged, timeout, deadline)
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
            timeout = self._timeout_until(deadline, method, url)

    async def _send(
        self,
        method: str,
        url: URL,
        json: Any,
        data: bytes | None,
        headers: Mapping[str, str],
        attempt_timeout: aiohttp.ClientTimeout,
        deadline: float | None,
    ) -> aiohttp.ClientResponse:
        """One attempt: a response below 400 (after same-origin redirects) or our error."""
        timeout = attempt_timeout
        session = self._session
        if session is None or (
            self._owns_session and self._session_loop is not asyncio.get_running_loop()
        ):
            session = await self._open_session()
        redirects = 0
        while True:
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug(
                    "%s %s headers=%s", method, redact_url(url), redact_headers(headers.items())
                )
            try:
                response = await session.request(
                    method,
                    url,
                    json=json,
                    data=data,
                    headers=headers,
                    timeout=timeout,
                    proxy=self.proxy,
                    ssl=self.verify_tls,
                    # Followed below, where the target is checked first.
                    allow_redirects=False,
                )
            except TRANSPORT_ERRORS as exc:
                raise _translate(exc, method, url) from exc
            except RuntimeError as exc:
                problem = _session_problem(session)
                if problem is None:
                    raise
                raise RuntimeError(problem) from exc
            status = response.status
            if status < 300:
                return response
            if status in REDIRECT_STATUSES:
                response.release()
                url = self._redirect_target(response, method, url, redirects)
                redirects += 1
                if method != "HEAD" and (status == 303 or (status < 303 and method == "POST")):
                    # What browsers and aiohttp do: the next hop is a GET without the body.
                    method, json, data = "GET", None, None
                timeout = self._timeout_until(deadline, method, url)
                continue
            if status < 400:
                return response
            break
        try:
            body = await response.content.read(BODY_EXCERPT_BYTES)
        except TRANSPORT_ERRORS:
            body = b""
        finally:
            response.release()
        raise HTTPStatusError(
            method=method,
            url=redact_url(url),
            status=status,
            body=body,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )

    def _redirect_target(
        self, response: aiohttp.ClientResponse, method: str, url: URL, redirects: int
    ) -> URL:
        """Where a redirect leads, if it may be followed; RedirectError otherwise."""
        location = response.headers.get("Location")
        target = None if location is None else url.join(URL(location))
        shown = None if target is None else redact_url(target)

        def refuse(message: str) -> RedirectError:
            return RedirectError(message, method=method, url=redact_url(url), location=shown)

        if target is None:
            raise refuse(f"upstream answered {response.status} without a Location")
        # Same scheme, host and port, and below the base path: our headers may go there.
        base = self.base_url
        if target.origin() != base.origin() or not target.raw_path.startswith(base.raw_path):
            raise refuse(f"redirect leaves the base URL {redact_url(base)}")
        if redirects >= self.max_redirects:
            raise refuse(f"more than {self.max_redirects} redirects")
        return target

    def _timeout_until(
        self, deadline: float | None, method: str, url: URL
    ) -> aiohttp.ClientTimeout:
        """The client's timeout with `total` cut to what is left before the deadline."""
        if deadline is None:
            return self.timeout
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ClientTimeoutError("total timeout spent", method=method, url=redact_url(url))
        t = self.timeout
        # ClientTimeout is an attrs class: dataclasses.replace does not apply.
        return aiohttp.ClientTimeout(
            total=remaining,
            connect=t.connect,
            sock_read=t.sock_read,
            sock_connect=t.sock_connect,
            ceil_threshold=t.ceil_threshold,
        )

    def _headers_for(self, extra: Mapping[str, str] | None) -> Mapping[str, str]:
        request_id = request_id_var.get()
        if not extra and not request_id:
            # Nothing to add: aiohttp copies what it is given, so ours can be passed as is.
            return self.headers
        headers = CIMultiDict(self.headers)
        if extra:
            headers.update(extra)
        if request_id and REQUEST_ID_HEADER not in headers:
            # Lets the upstream's logs be joined with ours.
            headers[REQUEST_ID_HEADER] = request_id
        return headers

    async def _open_session(self) -> aiohttp.ClientSession:
        """A new owned session in the running loop, unless another live loop still has ours."""
        if self._session_keeper is not None:
            if not self._session_loop_ended():
                self._check_loop()
            # Left behind by an ended loop; its keeper closed it there if the loop allowed.
            await self._session_keeper.aclose()
        settings = self._session_settings or HttpClientSettings()
        session = create_session(settings)
        keeper = _keep_open(session, asyncio.get_running_loop())
        await anext(keeper)
        self._session, self._session_keeper = session, keeper
        self._session_loop = asyncio.get_running_loop()
        return session

    def _session_loop_ended(self) -> bool:
        return self._session_loop is not None and self._session_loop.is_closed()

    def _check_loop(self) -> None:
        # aiohttp sessions and their sockets are bound to the loop that created them.
        if self._session_loop is not asyncio.get_running_loop():
            raise RuntimeError(
                "this client's session belongs to another event loop; "
                "close() it in that loop first (or use `async with`), or create one client per loop"
            )


async def _keep_open(
    session: aiohttp.ClientSession, loop: asyncio.AbstractEventLoop
) -> AsyncGenerator[None]:
    """Closes an owned session when closed itself: by close(), or by its loop at shutdown.

    The loop finalises unfinished async generators as it ends (asyncio.run calls
    shutdown_asyncgens), so a session whose client was never closed still closes in its
    own loop instead of stranding the client and warning "Unclosed client session".
    """
    try:
        yield
    finally:
        if not loop.is_closed():  # a loop closed without that step: nothing can close it now
            await session.close()


def _session_problem(session: aiohttp.ClientSession) -> str | None:
    """Why a borrowed session cannot be used here, or None if that is not the trouble."""
    if session.closed:
        return "the session passed to this client is closed"
    # aiohttp offers the loop only through a deprecated property, hence the private name.
    if session._loop.is_closed() or session._loop is not asyncio.get_running_loop():
        return (
            "the session passed to this client belongs to another event loop (or one that "
            "has ended); create the session inside the loop that uses it"
        )
    return None


def _translate(exc: BaseException, method: str, url: URL) -> ClientError:
    """Map an aiohttp/asyncio exception to our tree (the caller chains it with `from`)."""
    where = redact_url(url)
    # ServerTimeoutError is both an aiohttp.ClientError and a TimeoutError: timeout first.
    if isinstance(exc, TimeoutError):
        return ClientTimeoutError("request timed out", method=method, url=where)
    if isinstance(exc, aiohttp.ClientConnectionError):
        return ClientConnectionError(f"connection failed: {exc}", method=method, url=where)
    return ClientError(f"request failed: {exc}", method=method, url=where)


# Building a TypeAdapter compiles a validator: do it once per model, not per response.
_adapters: dict[Any, TypeAdapter[Any]] = {}


def _adapter(model: Any) -> TypeAdapter[Any]:  # Any: generic aliases like list[X] too
    adapter = _adapters.get(model)
    if adapter is None:
        adapter = _adapters[model] = TypeAdapter(model)
    return adapter


def _decode(response: Response, model: type[Any] | None, method: str) -> Any:
    if response.status == 204 or not response.content:
        return None
    try:
        if model is None:
            return jsonlib.loads(response.content)
        return _adapter(model).validate_json(response.content)
    except ValueError as exc:  # JSONDecodeError and pydantic's ValidationError
        raise ResponseDecodeError(
            f"response body is not the expected JSON: {exc}", method=method, url=response.url
        ) from exc


__all__ = ["DEFAULT_TIMEOUT", "BaseClient", "Response"]
