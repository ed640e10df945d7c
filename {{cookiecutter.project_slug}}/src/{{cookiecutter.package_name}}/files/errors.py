"""Errors of the file helpers."""

from ..transfer import SizeLimitError


class FileError(Exception):
    """Base of every error raised by `files`."""


class UnsafePathError(FileError, ValueError):
    """A user-supplied path would leave its root (traversal, absolute path, symlink, NUL)."""


class FileTooLargeError(FileError, SizeLimitError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"content exceeds {limit} bytes")
        self.limit = limit


class ChecksumMismatchError(FileError):
    def __init__(self, expected: str, actual: str) -> None:
        super().__init__(f"sha256 mismatch: expected {expected}, got {actual}")
        self.expected = expected
        self.actual = actual


__all__ = ["ChecksumMismatchError", "FileError", "FileTooLargeError", "UnsafePathError"]
