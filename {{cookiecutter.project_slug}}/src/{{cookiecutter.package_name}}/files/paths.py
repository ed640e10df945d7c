"""Turning user-supplied relative paths into paths that provably stay below a root."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path, PurePosixPath

from ..relative_paths import relative_path_problem
from .errors import UnsafePathError


def check_relative(user_path: str) -> PurePosixPath:
    """Lexical checks (the rules of `relative_paths`, shared with storage keys)."""
    problem = relative_path_problem(user_path)
    if problem is not None:
        raise UnsafePathError(f"unsafe path: {problem}")
    return PurePosixPath(user_path)


async def safe_join(root: str | os.PathLike[str], user_path: str) -> Path:
    """`root / user_path`, refusing anything that could resolve outside `root`.

    Beyond the lexical checks, symlinks are resolved (off the event loop): a link inside
    root that points outside it is refused too.
    """
    return await join_inside(root, check_relative(user_path))


async def join_inside(root: str | os.PathLike[str], relative: PurePosixPath) -> Path:
    """`root / relative` for a path already checked; `UnsafePathError` if a symlink leaves root."""
    base = Path(root)
    candidate = base.joinpath(*relative.parts)

    def resolve() -> tuple[Path, Path]:
        return base.resolve(), candidate.resolve()

    resolved_root, resolved = await asyncio.to_thread(resolve)
    if resolved != resolved_root and resolved_root not in resolved.parents:
        raise UnsafePathError("path resolves outside its root")
    return candidate


__all__ = ["check_relative", "join_inside", "safe_join"]
