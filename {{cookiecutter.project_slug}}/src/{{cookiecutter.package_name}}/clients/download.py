"""DownloadClient: fetch a URL into a file (or any chunk consumer) with a fixed memory budget.

Sources: `http(s)://` through the shared transport (`transport.py`: retries, redirects, error
translation), `file://` below configured roots (off by default), and any scheme passed in
`sources` (see `sources.py`). Every source is capped at `max_bytes` here, whatever it is.

SSRF guard (`address_policy.py`): private, loopback, link-local and other non-global
addresses are refused by default, for the first URL and at every redirect hop (the
transport's redirect hook); the refusals raise `SourceNotAllowedError`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

import aiohttp
from yarl import URL

from ..files import iter_file, safe_join, stream_to_file
from .address_policy import AddressPolicy, GuardedResolver, guarded_connector, host_address
from .lifecycle import SessionLifecycle
from .retry import RetryPolicy
from .sources import (
    Download,
    DownloadError,
    DownloadTooLargeError,
    Source,
    SourceNotAllowedError,
    sanitise_filename,
)
from .transport import Request, Transport, iter_chunks

if TYPE_CHECKING:
    from ..features.download import DownloadSettings
    from ..files import WrittenFile

Progress = Callable[[int, int | None], None]
WEB_SCHEMES = ("http", "https")
# Refusals say which settings would allow the address (the `download` section).
ALLOW_HINT = "set download.allowed_networks or download.allow_private_networks to allow it"


def policy_from(settings: DownloadSettings) -> AddressPolicy:
    return AddressPolicy(
        allow_private=settings.allow_private_networks,
        exceptions=tuple(settings.allowed_networks),
        hint=ALLOW_HINT,
        error=SourceNotAllowedError,
    )


def _timeout_from(settings: DownloadSettings) -> aiohttp.ClientTimeout:
    # No total: a large file on a slow link can finish; sock_read bounds every wait.
    return aiohttp.ClientTimeout(
        total=None, connect=settings.connect_timeout, sock_read=settings.read_timeout
    )


class DownloadClient:
    """Streams sources chunk by chunk: memory stays at one chunk whatever the size."""

    def __init__(
        self,
        settings: DownloadSettings,
        *,
        session: aiohttp.ClientSession | None = None,
        sources: Mapping[str, Source] | None = None,
    ) -> None:
        self.settings = settings
        self.policy = policy_from(settings)
        self.sources = dict(sources or {})
        # GET is idempotent: connection errors, timeouts and 429/502/503/504 are retried
        # (bounded, with jitter, Retry-After honoured) before anything is streamed.
        self.transport = Transport(
            timeout=_timeout_from(settings),
            retry=RetryPolicy(
                attempts=settings.max_attempts,
                backoff_base=settings.backoff_base,
                backoff_max=settings.backoff_max,
            ),
            check_redirect=self._check_hop,
            max_redirects=settings.max_redirects,
        )
        self._lifecycle = SessionLifecycle(
            session, lambda: self.create_session(settings), owner="DownloadClient"
        )

    @staticmethod
    def create_session(
        settings: DownloadSettings, trace_configs: Sequence[aiohttp.TraceConfig] = ()
    ) -> aiohttp.ClientSession:
        """A session whose every connection goes through the address guard.

        `trace_configs` observe every request (tracing adds its own).
        """
        connector = guarded_connector(policy_from(settings), limit=settings.pool_size)
        return aiohttp.ClientSession(
            connector=connector,
            timeout=_timeout_from(settings),
            auto_decompress=False,
            trace_configs=list(trace_configs) or None,
        )

    async def __aenter__(self) -> DownloadClient:
        self._lifecycle.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the session if this client created it; safe to call more than once."""
        await self._lifecycle.aclose()

    close = aclose

    @asynccontextmanager
    async def open(self, url: str) -> AsyncIterator[Download]:
        """Open `url` for reading; the chunks enforce the size limit."""
        source = URL(url)
        scheme = source.scheme.lower()
        # file:// is governed by file_roots alone (none configured: refused).
        if scheme != "file" and scheme not in self.settings.allowed_schemes:
            raise SourceNotAllowedError(f"scheme not allowed: {scheme or '(none)'}")
        opened: AbstractAsyncContextManager[Download]
        if scheme in WEB_SCHEMES:
            opened = self._open_http(source)
        elif scheme == "file":
            opened = self._open_file(source)
        elif scheme in self.sources:
            opened = self.sources[scheme].open(source, self.settings.chunk_size)
        else:
            raise SourceNotAllowedError(f"no source configured for {scheme}:// URLs")
        async with opened as download:
            if download.size is not None and download.size > self.settings.max_bytes:
                raise DownloadTooLargeError(self.settings.max_bytes)
            download.chunks = self._limited(download.chunks)
            yield download

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

    def _check_hop(self, request: Request, target: URL) -> None:
        """The SSRF guard for every URL fetched: the first one and each redirect target."""
        if target.scheme not in WEB_SCHEMES or target.scheme not in self.settings.allowed_schemes:
            raise SourceNotAllowedError(f"scheme not allowed: {target.scheme}")
        self.policy.check_host(target.raw_host or "")

    @asynccontextmanager
    async def _open_http(self, url: URL) -> AsyncIterator[Download]:
        request = Request("GET", url)
        self._check_hop(request, url)
        response = await self.transport.send(self._lifecycle.session(), request)
        try:
            disposition = response.content_disposition
            name = disposition.filename if disposition else None
            declared_type = "Content-Type" in response.headers
            yield Download(
                chunks=iter_chunks(response, self.settings.chunk_size),
                filename=sanitise_filename(name or PurePosixPath(response.url.path).name),
                size=response.content_length,
                content_type=response.content_type if declared_type else None,
            )
        finally:
            response.release()

    @asynccontextmanager
    async def _open_file(self, url: URL) -> AsyncIterator[Download]:
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
            yield Download(
                chunks=iter_file(target, chunk_size=self.settings.chunk_size),
                filename=sanitise_filename(target.name),
                size=stat.st_size,
                content_type=None,
            )
            return
        raise SourceNotAllowedError("file:// is only allowed below the configured file_roots")

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


__all__ = [
    "ALLOW_HINT",
    "AddressPolicy",
    "Download",
    "DownloadClient",
    "DownloadError",
    "DownloadTooLargeError",
    "GuardedResolver",
    "Source",
    "SourceNotAllowedError",
    "host_address",
    "sanitise_filename",
]
