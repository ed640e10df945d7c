"""Errors raised by HTTP clients; aiohttp's exceptions never leak past `BaseClient`.

ClientError                  method, url (credentials removed)
├── ClientConnectionError    DNS, refused, reset, disconnected
├── ClientTimeoutError       connect, read or total timeout
├── HTTPStatusError          a 4xx/5xx answer: status, body excerpt, Retry-After
├── RedirectError            a redirect off the base URL, without Location, or too many
└── ResponseDecodeError      a body that is not the JSON (or model) we expected
"""

from __future__ import annotations

# Enough of an error body to debug with, small enough for a log line.
BODY_EXCERPT_BYTES = 1024


class ClientError(Exception):
    def __init__(self, message: str, *, method: str, url: str) -> None:
        super().__init__(message)
        self.method = method
        self.url = url

    def __str__(self) -> str:
        return f"{self.args[0]} ({self.method} {self.url})"


class ClientConnectionError(ClientError):
    pass


class ClientTimeoutError(ClientError):
    pass


class ResponseDecodeError(ClientError):
    pass


class RedirectError(ClientError):
    """A redirect that was not followed; `location` is the target, credentials removed."""

    def __init__(self, message: str, *, method: str, url: str, location: str | None) -> None:
        super().__init__(message, method=method, url=url)
        self.location = location


class HTTPStatusError(ClientError):
    def __init__(
        self,
        *,
        method: str,
        url: str,
        status: int,
        body: bytes,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"upstream answered {status}", method=method, url=url)
        self.status = status
        self.body_excerpt = body[:BODY_EXCERPT_BYTES].decode("utf-8", errors="replace")
        self.retry_after = retry_after

    def __str__(self) -> str:
        excerpt = f": {self.body_excerpt}" if self.body_excerpt else ""
        return f"{super().__str__()}{excerpt}"


__all__ = [
    "BODY_EXCERPT_BYTES",
    "ClientConnectionError",
    "ClientError",
    "ClientTimeoutError",
    "HTTPStatusError",
    "RedirectError",
    "ResponseDecodeError",
]
