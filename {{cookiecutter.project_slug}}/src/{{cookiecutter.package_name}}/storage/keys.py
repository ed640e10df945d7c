"""The rules every object key follows, and the listing cursor, the same for every backend.

Keys are checked before any backend sees them, so a key that one backend accepts is accepted
by the other: switching from the local directory to S3 never strands an object. The rules are
those of a relative POSIX path, which is what the local backend turns a key into.
"""

from __future__ import annotations

import base64
import re

from .errors import InvalidCursorError, InvalidKeyError

# S3's limit for a whole key, in UTF-8 bytes.
MAX_KEY_BYTES = 1024
# NAME_MAX of common filesystems, for each "/"-separated segment.
MAX_SEGMENT_BYTES = 255
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def check_key(key: str) -> str:
    """Return `key` if it is a plain relative path; raise `InvalidKeyError` otherwise.

    Refused: empty keys, keys longer than 1024 UTF-8 bytes, control characters (NUL
    included), backslashes, a leading "/" or "~", and empty, "." or ".." segments
    (so "a//b", "a/" and "../x" too).
    """
    reason = _problem(key)
    if reason is not None:
        shown = key if len(key) <= 80 else key[:77] + "..."
        raise InvalidKeyError(f"invalid key {shown!r}: {reason}", operation="check_key")
    return key


def _problem(key: str) -> str | None:
    try:
        size = len(key.encode())
    except UnicodeEncodeError:
        return "not valid UTF-8"
    if not key:
        return "empty"
    if size > MAX_KEY_BYTES:
        return f"longer than {MAX_KEY_BYTES} bytes"
    if _CONTROL.search(key):
        return "control characters are not allowed"
    if "\\" in key:
        return "backslashes are not allowed"
    if key.startswith(("/", "~")):
        return "must be relative"
    for segment in key.split("/"):
        if segment in ("", ".", ".."):
            return f"segment {segment!r} is not allowed"
        if len(segment.encode()) > MAX_SEGMENT_BYTES:
            return f"a segment is longer than {MAX_SEGMENT_BYTES} bytes"
    return None


def encode_cursor(last_key: str) -> str:
    """An opaque, URL-safe cursor: the listing continues after `last_key`."""
    return base64.urlsafe_b64encode(last_key.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    """The key a cursor continues after; `InvalidCursorError` for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = raw.decode()
    except ValueError as exc:  # binascii.Error and UnicodeDecodeError are ValueErrors
        raise InvalidCursorError("invalid cursor", operation="list") from exc
    if _problem(key) is not None or encode_cursor(key) != cursor:
        raise InvalidCursorError("invalid cursor", operation="list")
    return key


__all__ = ["MAX_KEY_BYTES", "MAX_SEGMENT_BYTES", "check_key", "decode_cursor", "encode_cursor"]
