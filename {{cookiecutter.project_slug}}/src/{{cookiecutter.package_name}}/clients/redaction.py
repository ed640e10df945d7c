"""Header redaction for logs: credentials never reach a log line."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from .urls import REDACTED

SENSITIVE_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key"}
)
# Custom credential headers vary by vendor: X-Auth-Token, X-Amz-Security-Token, X-Secret, …
_SENSITIVE_PATTERN = re.compile(r"token|secret|api[-_]?key|password|session", re.IGNORECASE)


def is_sensitive(name: str) -> bool:
    return name.lower() in SENSITIVE_HEADERS or bool(_SENSITIVE_PATTERN.search(name))


def redact_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    """A copy safe to log: values of credential-carrying headers are masked."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    return {name: REDACTED if is_sensitive(name) else value for name, value in items}


__all__ = ["SENSITIVE_HEADERS", "is_sensitive", "redact_headers"]
