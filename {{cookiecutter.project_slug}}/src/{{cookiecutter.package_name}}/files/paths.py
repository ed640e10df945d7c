"""Turning user-supplied relative paths into paths that provably stay below a root."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path, PurePosixPath

from .errors import UnsafePathError

# POSIX NAME_MAX in bytes; longer components fail on most filesystems anyway.
MAX_NAME_BYTES = 255
MAX_PATH_CHARS = 1024


def check_relative(user_path: str) -> PurePosixPath:
    """Lexical checks: a non-empty relative POSIX path with plain, bounded components."""
    if not user_path or "\x00" in user_path:
        raise UnsafePathError("path is empty or contains NUL")
    if len(user_path) > MAX_PATH_CHARS:
        raise UnsafePathError(f"path longer than {MAX_PATH_CHARS} characters")
    if "\\" in user_path:
        raise UnsafePathError("backslashes are not allowed in paths")
    pure = PurePosixPath(user_path)
    if pure.is_absolute() or user_path.startswith("~"):
        raise UnsafePathError("absolute paths are not allowed")
    for part in user_path.split("/"):
        if part in ("", ".", ".."):
            raise UnsafePathError(f"path segment {part!r} is not allowed")
        if len(part.encode()) > MAX_NAME_BYTES:
            raise UnsafePathError(f"path segment longer than {MAX_NAME_BYTES} bytes")
    return pure


async def safe_join(root: str | os.PathLike[str], user_path: str) -> Path:
    """`root / user_path`, refusing anything that could resolve outside `root`.

    Beyond the lexical checks, symlinks are resolved (off the event loop): a link inside
    root that points outside it is refused too.
    """
    relative = check_relative(user_path)
    base = Path(root)
    candidate = base.joinpath(*relative.parts)

    def resolve() -> tuple[Path, Path]:
        return base.resolve(), candidate.resolve()

    resolved_root, resolved = await asyncio.to_thread(resolve)
    if resolved != resolved_root and resolved_root not in resolved.parents:
        raise UnsafePathError("path resolves outside its root")
    return candidate


__all__ = ["MAX_NAME_BYTES", "MAX_PATH_CHARS", "check_relative", "safe_join"]
