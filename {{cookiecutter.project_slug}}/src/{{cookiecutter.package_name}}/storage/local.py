"""LocalStorage: objects as plain files below a root directory, built on `files/`.

    <root>/objects/<key>        the bytes as uploaded: key "a/b.txt" is objects/a/b.txt
    <root>/meta/<hh>/<h>.json   content type and sha256 (h: sha256 of the key)
    <root>/tmp/                 uploads in progress

Keys are checked once (`check_key`, the rule `files` paths follow too) and joined below
objects/ with `join_inside`, which refuses symlinks out of it: no key names anything outside
objects/. Metadata has a tree of its own with hashed names, and an upload is written in tmp/
and renamed into objects/ only when it is complete: reading or listing objects/ never meets a
partial upload or a metadata file, whatever the key. A metadata record names the data file it
describes (inode, size, modification time); one that does not match, after a crash or a
hand-made change, is ignored rather than trusted.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import secrets
import stat
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Self

import aiofiles

from ..files import UnsafePathError, join_inside, makedirs, stream_to_file
from ..transfer import CHUNK_SIZE, fsync_directory, limit_size
from ._local_blocking import prune, read_json, sorted_entries, sweep, write_json
from .errors import (
    InvalidKeyError,
    KeyConflictError,
    ObjectNotFound,
    ObjectTooLargeError,
    StorageError,
)
from .keys import check_key, decode_cursor, encode_cursor
from .models import ObjectInfo, ObjectPage, ObjectStream

if TYPE_CHECKING:
    from collections.abc import AsyncIterable, AsyncIterator, Iterator

    from aiofiles.threadpool.binary import AsyncBufferedReader

logger = logging.getLogger(__name__)

# Uploads in tmp/ untouched for this long are leftovers of a crash; open() removes them.
STALE_UPLOAD_SECONDS = 3600
# Renames that lose a race with delete() pruning the same empty directory are retried.
_INSTALL_ATTEMPTS = 3
_CONFLICT_ERRORS = (FileExistsError, NotADirectoryError, IsADirectoryError)
_MISSING_ERRORS = (FileNotFoundError, NotADirectoryError, IsADirectoryError)


class LocalStorage:
    """A `Storage` in a local directory: `async with LocalStorage(path) as storage: ...`.

    Blocking filesystem calls run in worker threads; content moves in `transfer.CHUNK_SIZE`
    chunks. Several processes may share one root (renames are atomic), but not over NFS.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self._objects = self.root / "objects"
        self._meta = self.root / "meta"
        self._tmp = self.root / "tmp"
        # Commits still running after their request was cancelled; aclose() waits for them.
        self._commits: set[asyncio.Future[ObjectInfo]] = set()

    def __repr__(self) -> str:
        return f"LocalStorage(root={str(self.root)!r})"

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def open(self) -> None:
        """Create the directories; remove uploads a crash left behind in tmp/."""
        with _os_errors("open"):
            for directory in (self._objects, self._meta, self._tmp):
                await makedirs(directory)
            await asyncio.to_thread(sweep, self._tmp, time.time() - STALE_UPLOAD_SECONDS)

    async def aclose(self) -> None:
        if self._commits:
            await asyncio.gather(*self._commits, return_exceptions=True)

    async def put_stream(
        self,
        key: str,
        chunks: AsyncIterable[bytes],
        *,
        content_type: str | None = None,
        max_bytes: int | None = None,
    ) -> ObjectInfo:
        target = await self._path(key)
        staging = self._tmp / f"{secrets.token_hex(16)}.upload"
        with _os_errors("put", key):
            # stream_to_file removes its file itself on any error or cancellation.
            too_large = partial(ObjectTooLargeError, key=key)
            written = await stream_to_file(limit_size(chunks, max_bytes, too_large), staging)
            # Complete: a worker thread now owns `staging` and renames it into place or
            # removes it. Shielded, so a cancelled request cannot stop a commit halfway.
            commit = asyncio.ensure_future(
                asyncio.to_thread(self._commit, key, staging, target, content_type, written.sha256)
            )
            self._commits.add(commit)
            commit.add_done_callback(self._commits.discard)
            try:
                return await asyncio.shield(commit)
            except asyncio.CancelledError:
                commit.add_done_callback(_log_failure)
                raise

    async def get_stream(self, key: str) -> ObjectStream:
        path = await self._path(key)
        with _os_errors("get", key):
            try:
                handle = await aiofiles.open(path, "rb")
            except _MISSING_ERRORS as exc:
                raise _not_found("get", key) from exc
            try:
                # The open file, not the path: info and bytes belong to the same version.
                info = await asyncio.to_thread(self._describe_fd, key, handle.fileno())
            except BaseException:
                await handle.close()
                raise
        return ObjectStream(info=info, chunks=_read(handle), close=handle.close)

    async def head(self, key: str) -> ObjectInfo:
        path = await self._path(key)
        with _os_errors("head", key):
            return await asyncio.to_thread(self._describe_path, key, path)

    async def delete(self, key: str) -> None:
        path = await self._path(key)
        with _os_errors("delete", key):
            await asyncio.to_thread(self._delete, key, path)

    async def list_page(
        self, prefix: str = "", *, limit: int = 100, cursor: str | None = None
    ) -> ObjectPage:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        after = decode_cursor(cursor) if cursor is not None else None
        with _os_errors("list"):
            items = await asyncio.to_thread(self._collect, prefix, after, limit + 1)
        if len(items) <= limit:
            return ObjectPage(items=tuple(items))
        page = tuple(items[:limit])
        return ObjectPage(items=page, next_cursor=encode_cursor(page[-1].key))

    async def _path(self, key: str) -> Path:
        check_key(key)
        try:
            # The key rules are the path rules: only the symlink check is left to do.
            return await join_inside(self._objects, PurePosixPath(key))
        except UnsafePathError as exc:
            raise InvalidKeyError(
                f"invalid key {key!r}: {exc}", operation="check_key", key=key
            ) from exc

    def _meta_path(self, key: str) -> Path:
        digest = hashlib.sha256(key.encode()).hexdigest()
        return self._meta / digest[:2] / f"{digest}.json"

    # The methods below run in worker threads.

    def _commit(
        self, key: str, staging: Path, target: Path, content_type: str | None, sha256: str
    ) -> ObjectInfo:
        meta = self._meta_path(key)
        try:
            written = staging.stat()
            # Metadata first: once the object is visible, its content type is there too.
            write_json(meta, _record(key, content_type, sha256, written))
            self._install(key, staging, target)
        except BaseException:
            staging.unlink(missing_ok=True)
            meta.unlink(missing_ok=True)
            raise
        return _info(key, written, content_type=content_type, etag=sha256)

    def _install(self, key: str, staging: Path, target: Path) -> None:
        for attempt in range(_INSTALL_ATTEMPTS):
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staging, target)
            except _CONFLICT_ERRORS as exc:
                raise KeyConflictError(
                    f"key {key!r} clashes with an existing key (a file cannot be a directory)",
                    operation="put",
                    key=key,
                ) from exc
            except FileNotFoundError:
                # delete() removed the (empty) parent between mkdir and rename.
                if attempt == _INSTALL_ATTEMPTS - 1:
                    raise
                continue
            fsync_directory(target.parent)
            return

    def _describe_path(self, key: str, path: Path) -> ObjectInfo:
        try:
            status = path.stat()
        except _MISSING_ERRORS as exc:
            raise _not_found("head", key) from exc
        if not stat.S_ISREG(status.st_mode):
            raise _not_found("head", key)
        return self._describe(key, status)

    def _describe_fd(self, key: str, fd: int) -> ObjectInfo:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            raise _not_found("get", key)
        return self._describe(key, status)

    def _describe(self, key: str, status: os.stat_result) -> ObjectInfo:
        """Info from the data file, with content type and sha256 from matching metadata."""
        record = read_json(self._meta_path(key))
        if record is not None and record == _record(
            key, record.get("content_type"), record.get("sha256"), status
        ):
            return _info(key, status, content_type=record["content_type"], etag=record["sha256"])
        return _info(key, status, content_type=None, etag=_stamp(status))

    def _delete(self, key: str, path: Path) -> None:
        self._meta_path(key).unlink(missing_ok=True)
        try:
            if stat.S_ISDIR(path.lstat().st_mode):
                return  # "a" where only "a/..." keys exist: there is no object "a"
            path.unlink()
        except _MISSING_ERRORS:
            return
        prune(path.parent, stop=self._objects)

    def _collect(self, prefix: str, after: str | None, wanted: int) -> list[ObjectInfo]:
        """The first `wanted` objects in key order with keys > `after` starting with `prefix`.

        Directories sort as their name plus "/", which gives plain string order of the keys;
        whole subtrees that cannot hold a wanted key are skipped without being read. An object
        deleted while the walk runs (its file, or its emptied directory, gone) is not listed,
        as in an S3 listing: concurrent writes and deletes never fail a listing.
        """
        found: list[ObjectInfo] = []

        def walk(directory: Path, base: str) -> bool:
            for name, entry in sorted_entries(directory):
                key = base + name
                if name.endswith("/"):
                    # Every key below starts with `key`.
                    if not (key.startswith(prefix) or prefix.startswith(key)):
                        continue
                    if after is not None and after > key and not after.startswith(key):
                        continue
                    try:
                        done = walk(Path(entry.path), key)
                    except _MISSING_ERRORS:
                        continue  # pruned by a delete since the parent was read
                    if done:
                        return True
                elif key.startswith(prefix) and (after is None or key > after):
                    try:
                        status = entry.stat(follow_symlinks=False)
                    except _MISSING_ERRORS:
                        continue  # deleted since the directory was read
                    found.append(self._describe(key, status))
                    if len(found) == wanted:
                        return True
            return False

        walk(self._objects, "")
        return found


async def _read(handle: AsyncBufferedReader) -> AsyncIterator[bytes]:
    while chunk := await handle.read(CHUNK_SIZE):
        yield chunk


def _record(
    key: str, content_type: object, sha256: object, status: os.stat_result
) -> dict[str, Any]:
    return {
        "key": key,
        "content_type": content_type,
        "sha256": sha256,
        "size": status.st_size,
        "inode": status.st_ino,
        "mtime_ns": status.st_mtime_ns,
    }


def _info(key: str, status: os.stat_result, *, content_type: str | None, etag: str) -> ObjectInfo:
    return ObjectInfo(
        key=key,
        size=status.st_size,
        etag=etag,
        last_modified=datetime.fromtimestamp(status.st_mtime, tz=UTC),
        content_type=content_type,
    )


def _stamp(status: os.stat_result) -> str:
    """An ETag for a file without (matching) metadata: changes whenever the file does."""
    return f"{status.st_ino:x}-{status.st_mtime_ns:x}-{status.st_size:x}"


def _not_found(operation: str, key: str) -> ObjectNotFound:
    return ObjectNotFound(f"{operation} {key!r}: no such object", operation=operation, key=key)


def _log_failure(commit: asyncio.Future[ObjectInfo]) -> None:
    """Nobody awaits a commit whose request was cancelled: report its failure here."""
    if not commit.cancelled() and (error := commit.exception()) is not None:
        logger.warning("commit of a cancelled upload failed", exc_info=error)


@contextmanager
def _os_errors(operation: str, key: str | None = None) -> Iterator[None]:
    """Turn unexpected OS errors (permissions, a full disk, ...) into `StorageError`."""
    try:
        yield
    except OSError as exc:
        where = f" {key!r}" if key is not None else ""
        raise StorageError(
            f"{operation}{where}: {type(exc).__name__}: {exc.strerror or exc}",
            operation=operation,
            key=key,
        ) from exc


__all__ = ["STALE_UPLOAD_SECONDS", "LocalStorage"]
