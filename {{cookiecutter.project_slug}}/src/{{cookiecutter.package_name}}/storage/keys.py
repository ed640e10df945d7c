"""The rules every object key follows, and the listing cursor, the same for every backend.

Keys are checked before any backend sees them, so a key that one backend accepts is accepted
by the other: switching from the local directory to S3 never strands an object. The rules are
those of `relative_paths`, the same `files` applies to paths: a key is a relative POSIX path,
which is what the local backend turns it into.
"""

from __future__ import annotations

import base64
import re

from ..relative_paths import MAX_PATH_BYTES, MAX_SEGMENT_BYTES, relative_path_problem
from .errors import InvalidCursorError, InvalidKeyError

# S3's limit for a whole key, in UTF-8 bytes: the limit of every relative path.
MAX_KEY_BYTES = MAX_PATH_BYTES


def _repeat(chars: str, low: int, high: int) -> str:
    return chars + "{" + f"{low},{high}" + "}"


def _segment(first: str) -> str:
    """A segment of 1-255 characters that is not "." or "..", opening with `first`."""
    char = r"[^\x00-\x1f\x7f\\/]"
    not_dot = r"[^\x00-\x1f\x7f\\/.]"
    plain = first + _repeat(char, 0, 254)
    one_dot = r"\." + not_dot + _repeat(char, 0, 253)
    two_dots = r"\.\." + _repeat(char, 1, 253)
    return f"(?:{plain}|{one_dot}|{two_dots})"


# check_key as a regular expression (JSON Schema / OpenAPI dialect), for API documentation
# and clients. It counts characters where check_key counts UTF-8 bytes: for keys beyond ASCII
# the byte limits are the stricter ones.
_FIRST = _segment(r"[^\x00-\x1f\x7f\\/.~]")
_REST = _segment(r"[^\x00-\x1f\x7f\\/.]")
KEY_PATTERN = f"^{_FIRST}(?:/{_REST})*$"
# A cursor: URL-safe base64 without padding (of at most 1024 bytes, the longest key).
CURSOR_PATTERN = r"^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2,3})?$"
MAX_CURSOR_CHARS = 1366


def check_key(key: str) -> str:
    """Return `key` if it is a plain relative path; raise `InvalidKeyError` otherwise.

    Refused: empty keys, keys longer than 1024 UTF-8 bytes, control characters (NUL
    included), backslashes, a leading "/" or "~", and empty, "." or ".." segments
    (so "a//b", "a/" and "../x" too).
    """
    reason = relative_path_problem(key)
    if reason is not None:
        shown = key if len(key) <= 80 else key[:77] + "..."
        raise InvalidKeyError(f"invalid key {shown!r}: {reason}", operation="check_key")
    return key


def encode_cursor(last_key: str) -> str:
    """An opaque, URL-safe cursor: the listing continues after `last_key`."""
    return base64.urlsafe_b64encode(last_key.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    """The position a cursor continues after; `InvalidCursorError` if it is not base64url.

    Any decodable cursor is a valid position (listings continue after it in key order), so
    a cursor made by hand cannot break a listing; it can only skip to somewhere.
    """
    if len(cursor) > MAX_CURSOR_CHARS or not re.fullmatch(CURSOR_PATTERN, cursor):
        raise InvalidCursorError("invalid cursor", operation="list")
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    return raw.decode(errors="replace")


__all__ = [
    "CURSOR_PATTERN",
    "KEY_PATTERN",
    "MAX_CURSOR_CHARS",
    "MAX_KEY_BYTES",
    "MAX_SEGMENT_BYTES",
    "check_key",
    "decode_cursor",
    "encode_cursor",
]
