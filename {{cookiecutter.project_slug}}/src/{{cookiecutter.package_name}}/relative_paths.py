"""The one rule for user-supplied relative paths: storage keys and paths below a files root.

Storage checks keys with it (`InvalidKeyError`), `files` checks paths with it
(`UnsafePathError`), so a key the local backend accepts is exactly a path `files` accepts.
"""

from __future__ import annotations

import re

# S3's limit for a whole key, in UTF-8 bytes.
MAX_PATH_BYTES = 1024
# NAME_MAX of common filesystems, for each "/"-separated segment.
MAX_SEGMENT_BYTES = 255
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def relative_path_problem(path: str) -> str | None:
    """Why `path` is not a plain relative POSIX path, or None if it is one.

    Refused: empty paths, paths longer than 1024 UTF-8 bytes, control characters (NUL
    included), backslashes, a leading "/" or "~", and empty, "." or ".." segments (so
    "a//b", "a/" and "../x" too), and segments longer than 255 bytes.
    """
    try:
        size = len(path.encode())
    except UnicodeEncodeError:
        return "not valid UTF-8"
    if not path:
        return "empty"
    if size > MAX_PATH_BYTES:
        return f"longer than {MAX_PATH_BYTES} bytes"
    if _CONTROL.search(path):
        return "control characters are not allowed"
    if "\\" in path:
        return "backslashes are not allowed"
    if path.startswith(("/", "~")):
        return "must be relative"
    for segment in path.split("/"):
        if segment in ("", ".", ".."):
            return f"segment {segment!r} is not allowed"
        if len(segment.encode()) > MAX_SEGMENT_BYTES:
            return f"a segment is longer than {MAX_SEGMENT_BYTES} bytes"
    return None


__all__ = ["MAX_PATH_BYTES", "MAX_SEGMENT_BYTES", "relative_path_problem"]
