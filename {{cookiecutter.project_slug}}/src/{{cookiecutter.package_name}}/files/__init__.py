"""Async file helpers: atomic writes, streaming with checksums, safe paths, directory ops.

The chunk size, the size-limit error base and the atomic write come from `..transfer`, which
storage shares; the path rules come from `..relative_paths`, which storage keys follow too.
"""

from ..transfer import CHUNK_SIZE, SizeLimitError, atomic_write
from .errors import ChecksumMismatchError, FileError, FileTooLargeError, UnsafePathError
from .file_streams import (
    WrittenFile,
    check_sha256,
    iter_file,
    sha256_file,
    stream_to_file,
    verify_sha256,
)
from .ops import copy, makedirs, move, rmtree, temporary_directory
from .paths import check_relative, join_inside, safe_join

__all__ = [
    "CHUNK_SIZE",
    "ChecksumMismatchError",
    "FileError",
    "FileTooLargeError",
    "SizeLimitError",
    "UnsafePathError",
    "WrittenFile",
    "atomic_write",
    "check_relative",
    "check_sha256",
    "copy",
    "iter_file",
    "join_inside",
    "makedirs",
    "move",
    "rmtree",
    "safe_join",
    "sha256_file",
    "stream_to_file",
    "temporary_directory",
    "verify_sha256",
]
