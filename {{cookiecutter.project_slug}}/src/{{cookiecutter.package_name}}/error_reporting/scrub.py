"""Remove credentials from an error report, wherever in the report they ended up.

Three rules, applied to every string, mapping and list of the event (message, exception
values, request, tags, breadcrumbs):
- a value under a sensitive name (an `Authorization` or `Cookie` header, an `api_key`
  variable) in mappings and in `(name, value)` pairs;
- the same inside any text: `?token=...` in a URL, `Authorization: Bearer ...` in a message;
- the value of every secret of the loaded settings (and a secret URL's password).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, SecretBytes, SecretStr

FILTERED = "[Filtered]"

# Parts of names whose values are credentials (compared without case, `-` and `_`).
_SENSITIVE_PARTS = (
    "authorization",
    "cookie",
    "apikey",
    "token",
    "secret",
    "password",
    "passwd",
    "signature",
    "credential",
    "session",
    "dsn",
)
# name=value or `Name: value` inside text: a query string, a URL, a form body, a header
# line in a message; the value may start with an authentication scheme (`Bearer <token>`).
_PARAMETER = re.compile(
    r"(?P<name>[A-Za-z][\w.-]*)(?P<separator>=|:[ \t]+)"
    r"(?P<value>(?:(?:Bearer|Basic|Digest|Token)[ \t]+)?[^&#;\s'\",]*)"
)


def is_sensitive(name: str) -> bool:
    plain = name.lower().replace("-", "").replace("_", "")
    return any(part in plain for part in _SENSITIVE_PARTS)


def secret_values(settings: BaseModel) -> frozenset[str]:
    """Every secret value in `settings` (all sections), and the password of secret URLs."""
    found: set[str] = set()
    _collect(settings, found)
    for value in list(found):
        try:
            password = urlsplit(value).password
        except ValueError:  # not a URL after all
            continue
        if password:
            found.add(password)
    return frozenset(value for value in found if value)


def _collect(value: object, found: set[str]) -> None:
    if isinstance(value, SecretStr):
        found.add(value.get_secret_value())
    elif isinstance(value, SecretBytes):
        found.add(value.get_secret_value().decode("utf-8", "replace"))
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            _collect(getattr(value, name), found)
    elif isinstance(value, Mapping):
        for item in value.values():
            _collect(item, found)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            _collect(item, found)


class Scrubber:
    """Scrubs events; longest secrets first, so no part of a longer one is left behind."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self._secrets = sorted(set(secrets), key=len, reverse=True)

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        logentry = event.get("logentry")
        if isinstance(logentry, dict):
            # A log call's arguments, one by one, tell no name to judge them by: the
            # formatted message (scrubbed like any text) says everything they did.
            logentry.pop("params", None)
        scrubbed: dict[str, Any] = self._value(event)
        return scrubbed

    def _value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self._text(value)
        if isinstance(value, Mapping):
            return {
                key: FILTERED if isinstance(key, str) and is_sensitive(key) else self._value(item)
                for key, item in value.items()
            }
        if isinstance(value, (list, tuple)):
            if len(value) == 2 and isinstance(value[0], str) and is_sensitive(value[0]):
                return [self._text(value[0]), FILTERED]  # a (header, value) pair
            return [self._value(item) for item in value]
        return value

    def _text(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, FILTERED)
        return _PARAMETER.sub(_filter_parameter, text)


def _filter_parameter(match: re.Match[str]) -> str:
    if is_sensitive(match["name"]):
        return f"{match['name']}{match['separator']}{FILTERED}"
    return match[0]


__all__ = ["FILTERED", "Scrubber", "is_sensitive", "secret_values"]
