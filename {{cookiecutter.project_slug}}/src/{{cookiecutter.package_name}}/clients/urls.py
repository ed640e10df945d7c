"""Safe URL joining and redaction for outgoing requests."""

from __future__ import annotations

import re

from yarl import URL

ALLOWED_SCHEMES = ("http", "https")
_REPEATED_SLASHES = re.compile(r"/{2,}")
# Segments of unreserved characters (letters, digits, "_", "-", "~") joined by single slashes:
# no scheme, query, leading or repeated "/", no "." segment and nothing to encode or decode.
_PLAIN_PATH = re.compile(r"[\w\-~]+(?:/[\w\-~]+)*/?", re.ASCII)
# Query parameters whose values are secrets (tokens, signatures, keys) in most APIs.
_SECRET_PARAM = re.compile(r"token|secret|key|signature|password|auth|credential", re.IGNORECASE)
REDACTED = "[redacted]"


class UnsafeURLError(ValueError):
    """The path would leave the client's base URL, or the URL is not http(s)."""


def normalise_base_url(base_url: str | URL) -> URL:
    """An absolute http(s) URL whose path ends in "/", so relative joins stay below it."""
    url = URL(base_url)
    if not url.is_absolute() or url.scheme not in ALLOWED_SCHEMES:
        raise UnsafeURLError(f"base URL must be an absolute http(s) URL: {base_url!s}")
    if not url.path.endswith("/"):
        url = url.with_path(url.path + "/")
    return url


def join_url(base: URL, path: str, *, allow_absolute: bool = False) -> URL:
    """Resolve `path` below `base`.

    A leading "/" still means "below the base", repeated slashes collapse, and "." or ".."
    segments (also percent-encoded) are refused, so no input can climb out of the base path.
    An absolute URL is accepted only with `allow_absolute=True`.
    """
    if _PLAIN_PATH.fullmatch(path):
        # The common case ("items/42", "users/7/orders"): nothing to refuse, normalise or
        # encode, and the base path ends in "/", so appending the path is the RFC 3986 join.
        return base.with_path(base.raw_path + path, encoded=True)
    candidate = URL(path)
    if candidate.is_absolute():
        if not allow_absolute:
            raise UnsafeURLError(f"absolute URL not allowed here: {redact_url(candidate)}")
        if candidate.scheme not in ALLOWED_SCHEMES:
            raise UnsafeURLError(f"scheme not allowed: {candidate.scheme}")
        return candidate
    if candidate.scheme:
        raise UnsafeURLError(f"scheme not allowed: {candidate.scheme}")
    relative = candidate
    if path.startswith("/") or "//" in path:
        relative = URL(_REPEATED_SLASHES.sub("/", path.lstrip("/")))
    # .path is decoded, so "%2e%2e" shows up here as "..".
    segments = relative.path.split("/")
    if "." in segments or ".." in segments:
        raise UnsafeURLError(f"path may not contain '.' or '..' segments: {path!r}")
    return base.join(relative)


def redact_url(url: URL) -> str:
    """The URL for logs and errors: no user info, secret-looking query values masked."""
    if url.raw_user is None and url.raw_password is None and not url.raw_query_string:
        return str(url)  # nothing to hide: the common case, kept cheap
    clean = url.with_user(None)
    if clean.query:
        clean = clean.with_query(
            [(k, REDACTED if _SECRET_PARAM.search(k) else v) for k, v in clean.query.items()]
        )
    return str(clean)


__all__ = ["REDACTED", "UnsafeURLError", "join_url", "normalise_base_url", "redact_url"]
