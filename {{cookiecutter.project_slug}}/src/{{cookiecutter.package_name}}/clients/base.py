"""BaseClient: the one way this service talks to an upstream HTTP API.

Subclass it per upstream and add typed methods:

    class BillingClient(BaseClient):
        async def invoice(self, invoice_id: str) -> Invoice:
            return await self.get_json(f"invoices/{invoice_id}", model=Invoice)

    async with BillingClient("https://billing.internal/api/v1/") as billing:
        invoice = await billing.invoice("42")

Inside the server, pass the shared session from the lifespan (`session=resources.http_session`)
so every client shares one connection pool; elsewhere the client opens its own session on
first use and closes it on `close()` / `async with` exit.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Self, TypeVar, overload

import aiohttp
from multidict import CIMultiDict, CIMultiDictProxy
from pydantic import TypeAdapter

from ..context import request_id_var
from .errors import (
    BODY_EXCERPT_BYTES,
    ClientConnectionError,
    ClientError,
    ClientTimeoutError,
    HTTPStatusError,
    ResponseDecodeError,
)
from .redaction import redact_headers
from .retry import IDEMPOTENT_METHODS, RetryPolicy, parse_retry_after
from .session import retry_policy_from, timeout_from
from .urls import join_url, normalise_base_url, redact_url

if TYPE_CHECKING:
    from types import TracebackType

    from yarl import URL

    from ..config import HttpClientSettings

logger = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_TIMEOUT = aiohttp.ClientTimeout(total=30.0, connect=5.0, sock_read=15.0)
DEFAULT_CHUNK_SIZE = 64 * 1024
REQUEST_ID_HEADER = "X-Request-ID"
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
    ) -> None:
        self.base_url = normalise_base_url(base_url)
        self.headers: CIMultiDict[str] = CIMultiDict(headers or {})
        self.timeout = timeout
        self.retry_policy = retry or RetryPolicy()
        self.proxy = proxy
        self.verify_tls = verify_tls
        self.allow_absolute_urls = allow_absolute_urls
        # A session passed in is borrowed (the lifespan closes it); one we create is ours.
        self._session = session
        self._owns_session = session is None
        self._session_loop: asyncio.AbstractEventLoop | None = None

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
        return cls(
            base_url,
            session=session,
            headers=headers,
            timeout=timeout_from(settings),
            retry=retry_policy_from(settings),
            proxy=settings.proxy.get_secret_value() if settings.proxy else None,
            verify_tls=settings.verify_tls,
        )

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
        if self._owns_session and self._session is not None:
            self._check_loop()
            session, self._session, self._session_loop = self._session, None, None
            await session.close()

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
        """An open response whose body is read by the caller (released on exit)."""
        response = await self._send_with_retries(method, path, params, None, None, headers, None)
        try:
            yield response
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
            try:
                async for chunk in response.content.iter_chunked(chunk_size):
                    yield chunk
            except TRANSPORT_ERRORS as exc:
                raise _translate(exc, "GET", response.url) from exc

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

    async def post_json(
        self, path: str, body: Any, *, model: type[Any] | None = None, retry: bool | None = None
    ) -> Any:
        response = await self.request("POST", path, json=body, retry=retry)
        return _decode(response, model, "POST")

    async def put_json(self, path: str, body: Any, *, model: type[Any] | None = None) -> Any:
        response = await self.request("PUT", path, json=body)
        return _decode(response, model, "PUT")

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
        """The first response below 400, after as many attempts as the policy allows."""
        method = method.upper()
        url = self.url_for(path)
        if params:
            # Merged here so logs and errors show the (redacted) query too.
            url = url.update_query(params)
        merged = self._headers_for(headers)
        policy = self.retry_policy
        enabled = method in IDEMPOTENT_METHODS if retry is None else retry
        attempts = policy.attempts if enabled else 1
        attempt = 1
        while True:
            try:
                return await self._send(method, url, json, data, merged)
            except ClientError as exc:
                if attempt >= attempts or not policy.is_retryable(exc):
                    raise
                delay = policy.delay(attempt, exc)
                logger.warning(
                    "retrying after %s in %.2fs (attempt %d of %d)",
                    exc,
                    delay,
                    attempt + 1,
                    attempts,
                )
            await asyncio.sleep(delay)
            attempt += 1

    async def _send(
        self,
        method: str,
        url: URL,
        json: Any,
        data: bytes | None,
        headers: Mapping[str, str],
    ) -> aiohttp.ClientResponse:
        """One attempt: a response below 400, or a translated error."""
        session = self._get_session()
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
                timeout=self.timeout,
                proxy=self.proxy,
                ssl=self.verify_tls,
            )
        except TRANSPORT_ERRORS as exc:
            raise _translate(exc, method, url) from exc
        if response.status < 400:
            return response
        try:
            body = await response.content.read(BODY_EXCERPT_BYTES)
        except TRANSPORT_ERRORS:
            body = b""
        finally:
            response.release()
        raise HTTPStatusError(
            method=method,
            url=redact_url(url),
            status=response.status,
            body=body,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
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

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
            self._session_loop = asyncio.get_running_loop()
        elif self._owns_session:
            self._check_loop()
        return self._session

    def _check_loop(self) -> None:
        # aiohttp sessions and their sockets are bound to the loop that created them.
        if self._session_loop is not asyncio.get_running_loop():
            raise RuntimeError(
                "this client's session belongs to another event loop; "
                "close() it in that loop first (or use `async with`), or create one client per loop"
            )


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
