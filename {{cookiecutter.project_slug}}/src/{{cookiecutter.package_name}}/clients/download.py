"""DownloadClient: fetch a URL into a file (or any chunk consumer) with a fixed memory budget.

Sources: `http(s)://` (SSRF-guarded), `file://` below configured roots (off by default)
{%- if cookiecutter.with_s3 %},
`s3://<bucket>/<key>` from the service's own bucket
{%- endif %}.

SSRF guard: private, loopback, link-local and other non-global addresses are refused by
default. Host names are checked by the resolver aiohttp connects through (so the address
checked is the address used: no DNS-rebinding window), IP literals before connecting, and
redirects are followed by hand so every hop is checked again.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import unicodedata
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from yarl import URL

from ..files import check_relative, iter_file, safe_join, stream_to_file
from .base import TRANSPORT_ERRORS, _translate
from .errors import ClientError, HTTPStatusError
from .retry import RetryPolicy, parse_retry_after
from .urls import redact_url

if TYPE_CHECKING:
    from ..features.download import DownloadSettings
    from ..files import WrittenFile
{%- if cookiecutter.with_s3 %}
    from ..storage.s3_client import S3Client
{%- endif %}

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Progress = Callable[[int, int | None], None]
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
FALLBACK_FILENAME = "download"
_UNSAFE_FILENAME_CHARS = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


class DownloadError(Exception):
    """Base of the errors a download raises besides the HTTP client's own."""


class SourceNotAllowedError(DownloadError):
    """The scheme, address or path of the source (or of a redirect) is not allowed."""


class DownloadTooLargeError(DownloadError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"download exceeds {limit} bytes")
        self.limit = limit


@dataclass(frozen=True)
class AddressPolicy:
    """Which IP addresses a download may connect to."""

    allow_private: bool = False
    # Networks allowed even when private, e.g. an internal artifact store.
    exceptions: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

    def allows(self, address: IPAddress) -> bool:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if any(address in network for network in self.exceptions):
            return True
        return self.allow_private or (address.is_global and not address.is_multicast)


def policy_from(settings: DownloadSettings) -> AddressPolicy:
    return AddressPolicy(
        allow_private=settings.allow_private_networks,
        exceptions=tuple(settings.allowed_networks),
    )


class GuardedResolver(AbstractResolver):
    """Resolve names, then drop every address the policy refuses (refuse if none is left)."""

    def __init__(self, policy: AddressPolicy, resolver: AbstractResolver | None = None) -> None:
        self._policy = policy
        self._resolver = resolver or DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._resolver.resolve(host, port, family)
        allowed = [r for r in results if self._policy.allows(ipaddress.ip_address(r["host"]))]
        if not allowed:
            raise SourceNotAllowedError(f"{host} resolves only to addresses that are not allowed")
        return allowed

    async def close(self) -> None:
        await self._resolver.close()


@dataclass
class Download:
    """An open source: its chunks can be read once."""

    chunks: AsyncIterator[bytes]
    filename: str
    size: int | None
    content_type: str | None


class DownloadClient:
    """Streams sources chunk by chunk: memory stays at one chunk whatever the size."""

    def __init__(
        self,
        settings: DownloadSettings,
        *,
        session: aiohttp.ClientSession | None = None,
{%- if cookiecutter.with_s3 %}
        s3: S3Client | None = None,
{%- endif %}
    ) -> None:
        self.settings = settings
        self.policy = policy_from(settings)
        self.retry_policy = RetryPolicy(
            attempts=settings.max_attempts,
            backoff_base=settings.backoff_base,
            backoff_max=settings.backoff_max,
        )
        self._session = session
        self._owns_session = session is None
{%- if cookiecutter.with_s3 %}
        self._s3 = s3
{%- endif %}

    @staticmethod
    def create_session(settings: DownloadSettings) -> aiohttp.ClientSession:
        """A session whose every connection goes through the address guard."""
        resolver = GuardedResolver(policy_from(settings))
        connector = aiohttp.TCPConnector(resolver=resolver, limit=settings.pool_size)
        timeout = aiohttp.ClientTimeout(
            total=None, connect=settings.connect_timeout, sock_read=settings.read_timeout
        )
        return aiohttp.ClientSession(connector=connector, timeout=timeout, auto_decompress=False)

    async def __aenter__(self) -> DownloadClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._owns_session and self._session is not None:
            session, self._session = self._session, None
            await session.close()

    @asynccontextmanager
    async def open(self, url: str) -> AsyncIterator[Download]:
        """Open `url` for reading; the chunks enforce the size limit."""
        source = URL(url)
        scheme = source.scheme.lower()
        # file:// is governed by file_roots alone (none configured: refused).
        if scheme != "file" and scheme not in self.settings.allowed_schemes:
            raise SourceNotAllowedError(f"scheme not allowed: {scheme or '(none)'}")
        if scheme in ("http", "https"):
            async with self._open_http(source) as download:
                yield download
        elif scheme == "file":
            yield await self._open_file(source)
{%- if cookiecutter.with_s3 %}
        elif scheme == "s3":
            async with self._open_s3(source) as download:
                yield download
{%- endif %}
        else:
            raise SourceNotAllowedError(f"scheme not supported: {scheme}")

    async def to_file(
        self,
        url: str,
        destination: str | Path,
        *,
        expected_sha256: str | None = None,
        progress: Progress | None = None,
    ) -> tuple[Path, WrittenFile]:
        """Download into `destination`: a directory (name from the source) or a file path.

        The file appears complete (atomic rename) or not at all.
        """
        target = Path(destination)
        async with self.open(url) as download:
            if await asyncio.to_thread(target.is_dir):
                target = await safe_join(target, download.filename)
            chunks = _reporting(download.chunks, download.size, progress)
            written = await stream_to_file(
                chunks,
                target,
                max_bytes=self.settings.max_bytes,
                expected_sha256=expected_sha256,
            )
        return target, written

    def _session_for_downloads(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = self.create_session(self.settings)
        return self._session

    def _check_address_literal(self, url: URL) -> None:
        host = url.raw_host or ""
        try:
            address = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            return  # a name: the guarded resolver checks what it resolves to
        if not self.policy.allows(address):
            raise SourceNotAllowedError(f"address not allowed: {address}")

    @asynccontextmanager
    async def _open_http(self, url: URL) -> AsyncIterator[Download]:
        session = self._session_for_downloads()
        for _ in range(self.settings.max_redirects + 1):
            web = ("http", "https")
            if url.scheme not in web or url.scheme not in self.settings.allowed_schemes:
                raise SourceNotAllowedError(f"scheme not allowed after redirect: {url.scheme}")
            self._check_address_literal(url)
            # GET is idempotent: connection errors, timeouts and 429/502/503/504 are retried
            # (bounded, with jitter, Retry-After honoured) before anything is streamed.
            response = await self._get_with_retries(session, url)
            if response.status in REDIRECT_STATUSES and "Location" in response.headers:
                location = URL(response.headers["Location"])
                response.release()
                url = url.join(location)
                continue
            try:
                size = response.content_length
                if size is not None and size > self.settings.max_bytes:
                    raise DownloadTooLargeError(self.settings.max_bytes)
                disposition = response.content_disposition
                name = disposition.filename if disposition else None
                declared_type = "Content-Type" in response.headers
                yield Download(
                    chunks=self._limited(self._http_chunks(response, url)),
                    filename=sanitise_filename(name or PurePosixPath(url.path).name),
                    size=size,
                    content_type=response.content_type if declared_type else None,
                )
            finally:
                response.release()
            return
        raise SourceNotAllowedError(f"more than {self.settings.max_redirects} redirects")

    async def _get_with_retries(
        self, session: aiohttp.ClientSession, url: URL
    ) -> aiohttp.ClientResponse:
        policy = self.retry_policy
        attempt = 1
        while True:
            try:
                return await self._get(session, url)
            except ClientError as exc:
                if attempt >= policy.attempts or not policy.is_retryable(exc):
                    raise
                delay = policy.delay(attempt, exc)
            await asyncio.sleep(delay)
            attempt += 1

    @staticmethod
    async def _get(session: aiohttp.ClientSession, url: URL) -> aiohttp.ClientResponse:
        """One attempt: a response below 400 (redirects included) or a translated error."""
        try:
            response = await session.get(url, allow_redirects=False)
        except TRANSPORT_ERRORS as exc:
            raise _translate(exc, "GET", url) from exc
        if response.status < 400:
            return response
        try:
            body = await response.content.read(1024)
        except TRANSPORT_ERRORS:
            body = b""
        finally:
            response.release()
        raise HTTPStatusError(
            method="GET",
            url=redact_url(url),
            status=response.status,
            body=body,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )

    async def _http_chunks(
        self, response: aiohttp.ClientResponse, url: URL
    ) -> AsyncIterator[bytes]:
        try:
            async for chunk in response.content.iter_chunked(self.settings.chunk_size):
                yield chunk
        except TRANSPORT_ERRORS as exc:
            raise _translate(exc, "GET", url) from exc

    async def _open_file(self, url: URL) -> Download:
        if url.host not in (None, "", "localhost"):
            raise SourceNotAllowedError("file:// URLs must name a local path")
        path = PurePosixPath(url.path)
        configured = self.settings.file_roots
        roots = await asyncio.to_thread(lambda: [Path(root).resolve() for root in configured])
        for root in roots:
            try:
                relative = path.relative_to(root)
            except ValueError:
                continue
            # safe_join refuses "..", and symlinks that lead out of the root.
            target = await safe_join(root, str(relative))
            stat = await asyncio.to_thread(target.stat)
            return Download(
                chunks=self._limited(iter_file(target, chunk_size=self.settings.chunk_size)),
                filename=sanitise_filename(target.name),
                size=stat.st_size,
                content_type=None,
            )
        raise SourceNotAllowedError("file:// is only allowed below the configured file_roots")
{%- if cookiecutter.with_s3 %}

    @asynccontextmanager
    async def _open_s3(self, url: URL) -> AsyncIterator[Download]:
        """Only the service's own bucket (its S3 client and key prefix) can be read."""
        if self._s3 is None:
            raise SourceNotAllowedError("s3:// sources need the service's S3 client")
        key = url.path.lstrip("/")
        if url.host != self._s3.bucket or not key:
            raise SourceNotAllowedError(f"only s3://{self._s3.bucket}/<key> can be read")
        info = await self._s3.head(key)
        if info.size > self.settings.max_bytes:
            raise DownloadTooLargeError(self.settings.max_bytes)
        chunks = self._s3.iter_object(key, chunk_size=self.settings.chunk_size)
        try:
            yield Download(
                chunks=self._limited(chunks),
                filename=sanitise_filename(PurePosixPath(key).name),
                size=info.size,
                content_type=info.content_type,
            )
        finally:
            await chunks.aclose()
{%- endif %}

    async def _limited(self, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        received = 0
        async for chunk in chunks:
            received += len(chunk)
            if received > self.settings.max_bytes:
                raise DownloadTooLargeError(self.settings.max_bytes)
            yield chunk


async def _reporting(
    chunks: AsyncIterator[bytes], total: int | None, progress: Progress | None
) -> AsyncIterator[bytes]:
    done = 0
    async for chunk in chunks:
        done += len(chunk)
        if progress is not None:
            progress(done, total)
        yield chunk


def sanitise_filename(name: str | None) -> str:
    """A plain file name from untrusted input (URL path or Content-Disposition)."""
    name = unicodedata.normalize("NFC", name or "")
    name = PurePosixPath(name.replace("\\", "/")).name
    name = _UNSAFE_FILENAME_CHARS.sub("_", name).strip(" .")
    while len(name.encode()) > 255:
        name = name[:-1]
    try:
        check_relative(name)
    except ValueError:
        return FALLBACK_FILENAME
    return name


__all__ = [
    "AddressPolicy",
    "Download",
    "DownloadClient",
    "DownloadError",
    "DownloadTooLargeError",
    "GuardedResolver",
    "SourceNotAllowedError",
    "sanitise_filename",
]
