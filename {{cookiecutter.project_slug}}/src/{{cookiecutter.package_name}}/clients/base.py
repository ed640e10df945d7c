"""BaseClient: verbs and JSON helpers over the shared transport, for one upstream base URL.

Subclass it per upstream and add typed methods:

    class BillingClient(BaseClient):
        async def invoice(self, invoice_id: str) -> Invoice:
            return await self.get_json(f"invoices/{invoice_id}", model=Invoice)

    async with BillingClient("https://billing.internal/api/v1/") as billing:
        invoice = await billing.invoice("42")

Inside the server, pass the shared session from the lifespan (`session=resources.http_session`)
so every client shares one connection pool; elsewhere the client opens its own session (built
by `create_session`, like the lifespan's) and closes it on `aclose()` / `async with` exit.
Ownership, state and event loops: see `lifecycle.py` (one client per loop; a closed client
cannot be reopened).

Retries, redirects and error translation live in `transport.py`. The redirect check here:
a redirect is followed only while it stays under the base URL (same scheme, host and port,
path below the base path), at most `max_redirects` hops; any other raises RedirectError.
aiohttp's own following strips only `Authorization` when the origin changes, so default
headers such as an API key would reach whichever host a redirect names.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Self, TypeVar, overload

import aiohttp
from multidict import CIMultiDict, CIMultiDictProxy
from pydantic import TypeAdapter
from yarl import URL

from ..context import request_id_var
from ..features.http_client import HttpClientSettings
from .errors import ResponseDecodeError
from .lifecycle import SessionLifecycle
from .retry import RetryPolicy
from .session import create_session, retry_policy_from, timeout_from
from .transport import TRANSPORT_ERRORS, Request, Transport, redirect_error, translate
from .urls import join_url, normalise_base_url, redact_url

if TYPE_CHECKING:
    from types import TracebackType

T = TypeVar("T")

# The `http_client` settings' defaults (a plain model: nothing is read from the environment).
DEFAULT_TIMEOUT = timeout_from(HttpClientSettings())
DEFAULT_CHUNK_SIZE = 64 * 1024
DEFAULT_MAX_REDIRECTS = 5
REQUEST_ID_HEADER = "X-Request-ID"


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
        self.allow_absolute_urls = allow_absolute_urls
        self.transport = Transport(
            timeout=timeout,
            retry=retry or RetryPolicy(),
            check_redirect=self._check_redirect,
            max_redirects=max_redirects,
            proxy=proxy,
            verify_tls=verify_tls,
        )
        # What an owned session is built from; from_settings passes the configured section.
        self._session_settings = HttpClientSettings()
        self._lifecycle = SessionLifecycle(
            session, lambda: create_session(self._session_settings), owner=type(self).__name__
        )

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

    def __repr__(self) -> str:
        base = redact_url(self.base_url)
        return f"{type(self).__name__}({base!r}, state={self._lifecycle.state})"

    async def __aenter__(self) -> Self:
        self._lifecycle.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the session if this client created it; safe to call more than once."""
        await self._lifecycle.aclose()

    close = aclose

    @property
    def has_open_session(self) -> bool:
        """True while a session this client created is open (borrowed ones do not count)."""
        return self._lifecycle.has_open_session

    # The transport's settings, read-only: a client is configured once.
    @property
    def timeout(self) -> aiohttp.ClientTimeout:
        return self.transport.timeout

    @property
    def retry_policy(self) -> RetryPolicy:
        return self.transport.retry

    @property
    def max_redirects(self) -> int:
        return self.transport.max_redirects

    @property
    def proxy(self) -> str | None:
        return self.transport.proxy

    @property
    def verify_tls(self) -> bool:
        return self.transport.verify_tls

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
        request = self._request(method, path, params, headers, json, data, retry)
        response = await self.transport.send(self._lifecycle.session(), request)
        try:
            content = await response.read()
        except TRANSPORT_ERRORS as exc:
            raise translate(exc, request.method, response.url) from exc
        finally:
            response.release()
        return _read_response(response.status, response.headers, content, redact_url(response.url))

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
        request = self._request(method, path, params, headers)
        response = await self.transport.send(self._lifecycle.session(), request)
        try:
            yield response
        except TRANSPORT_ERRORS as exc:
            raise translate(exc, response.method, response.url) from exc
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

    def _request(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
        json: Any = None,
        data: bytes | None = None,
        retry: bool | None = None,
    ) -> Request:
        url = self.url_for(path)
        if params:
            # Merged here so logs and errors show the (redacted) query too.
            url = url.update_query(params)
        merged = self._headers_for(headers)
        return Request(method.upper(), url, merged, json, data, retry)

    def _check_redirect(self, request: Request, target: URL) -> None:
        """Same scheme, host and port, and below the base path: our headers may go there."""
        base = self.base_url
        if target.origin() != base.origin() or not target.raw_path.startswith(base.raw_path):
            message = f"redirect leaves the base URL {redact_url(base)}"
            raise redirect_error(message, request, target)

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


def _read_response(
    status: int, headers: CIMultiDictProxy[str], content: bytes, url: str
) -> Response:
    """Response(...) without the frozen dataclass's object.__setattr__ per field.

    Once per request: it halves the cost of building the result (client_overhead benchmark).
    """
    response = object.__new__(Response)
    response.__dict__.update(status=status, headers=headers, content=content, url=url)
    return response


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
