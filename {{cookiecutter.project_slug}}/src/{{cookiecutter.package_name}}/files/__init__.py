"""Async file helpers: atomic writes, streaming with checksums, safe paths, directory ops."""

from .atomic import atomic_write
from .errors import ChecksumMismatchError, FileError, FileTooLargeError, UnsafePathError
from .ops import copy, makedirs, move, rmtree, temporary_directory
from .paths import check_relative, safe_join
from .streams import CHUNK_SIZE, WrittenFile, iter_file, sha256_file, stream_to_file

__all__ = [
    "CHUNK_SIZE",
    "ChecksumMismatchError",
    "FileError",
    "FileTooLargeError",
    "UnsafePathError",
    "WrittenFile",
    "atomic_write",
    "check_relative",
    "copy",
    "iter_file",
    "makedirs",
    "move",
    "rmtree",
    "safe_join",
    "sha256_file",
    "stream_to_file",
    "temporary_directory",
]
