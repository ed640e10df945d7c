"""The object index: a `Storage` that keeps a table in step with the storage backend below it.

With the database on, the objects API runs on `IndexedStorage(backend, ...)`: listings, HEAD
and the headers of GET come from the `object_index` table (`models/objects.py`), the bytes from
the backend. Every backend then reports the same fields: the ETag is the content's sha256,
the content type and modification time are always there, listings included.

The consistency rule between the two writes:

- Storage is the source of truth for what exists; the table is the API's view of it. Every
  write changes storage first, then the table, in a short transaction of its own (no
  transaction stays open while bytes move).
- PUT streams the body into storage (hashing it on the way), then upserts the row. If the row
  cannot be written, the object just stored is deleted again (compensation) and the request
  fails with 503: a failed PUT of a new key leaves nothing behind. A PUT that replaced an
  object has already replaced its bytes; after the compensation that key has no object and
  its old row stays (HEAD and listings show it, GET answers 404) until the key is written
  again or `reconcile` runs.
- DELETE deletes from storage first, then the row. If the row cannot be deleted, the request
  fails with 503 and the row stays as above until the DELETE is repeated or `reconcile` runs.
  The other order would leave an object that no listing shows, which `reconcile` (trusting
  storage) would bring back: a deleted object must never come back.
- The step after storage runs to its end even when the request is cancelled (it is shielded).
  A request cancelled while the backend itself commits (the local backend finishes its rename
  regardless) may leave an object without a row.
- Whatever a crash, a failed compensation, such a cancellation or two racing writes of one key
  leave between the two writes, `reconcile` repairs from storage: it adds rows for objects
  without one, rewrites rows that no longer match their object and removes rows without an
  object. Running it twice changes nothing the second time.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from ..storage import DEFAULT_CONTENT_TYPE, ObjectInfo, ObjectNotFound, ObjectStream, StorageError
from ..storage.keys import check_key, decode_cursor, encode_cursor
from ..storage.models import ObjectPage
from .failures import classify
from .models.objects import ObjectRecord

if TYPE_CHECKING:
    from collections.abc import AsyncIterable, AsyncIterator, Coroutine, Sequence

    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
    from sqlalchemy.sql.dml import Insert

    from ..storage import Storage

logger = logging.getLogger(__name__)

# What a failing database raises: SQLAlchemy's errors, and the driver's OSError (a refused
# or timed-out connection) where SQLAlchemy does not wrap it.
DATABASE_ERRORS = (SQLAlchemyError, OSError)
# Objects `reconcile` compares per round trip.
RECONCILE_PAGE = 500


class IndexUnavailableError(StorageError):
    """The object index could not be read or written: the API answers 503, with Retry-After
    when the database is only busy or restarting (`db/failures.py`)."""


@dataclass(frozen=True)
class ReconcileReport:
    """What `reconcile` changed: rows added, rewritten, removed; and rows already right."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0


class IndexedStorage:
    """A `Storage` over `backend` that records every object in the `object_index` table."""

    def __init__(
        self, backend: Storage, sessions: async_sessionmaker[AsyncSession], *, dialect: str
    ) -> None:
        self.backend = backend
        self.sessions = sessions
        self._insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        # Index writes still running after their request was cancelled; aclose() waits.
        self._pending: set[asyncio.Future[Any]] = set()

    def __repr__(self) -> str:
        return f"IndexedStorage({self.backend!r})"

    async def aclose(self) -> None:
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)

    async def put_stream(
        self,
        key: str,
        chunks: AsyncIterable[bytes],
        *,
        content_type: str | None = None,
        max_bytes: int | None = None,
    ) -> ObjectInfo:
        """Store in the backend, then record; see the module's consistency rule."""
        content_type = content_type or DEFAULT_CONTENT_TYPE
        digest = hashlib.sha256()
        stored = await self.backend.put_stream(
            key, _hashed(chunks, digest), content_type=content_type, max_bytes=max_bytes
        )
        info: ObjectInfo = await self._finish(
            self._record(stored, digest.hexdigest(), content_type)
        )
        return info

    async def get_stream(self, key: str) -> ObjectStream:
        """The bytes from storage, described by the index (404 when either lacks the key)."""
        info = await self.head(key)
        stream = await self.backend.get_stream(key)
        if stream.info.size != info.size:
            # Only between the two writes of a PUT, or after a failure `reconcile` repairs:
            # the headers must describe the bytes sent, so they come from storage.
            logger.warning("object index: %r does not match storage; run `reconcile`", key)
            return stream
        return ObjectStream(info=info, chunks=stream.chunks, close=stream.aclose)

    async def head(self, key: str) -> ObjectInfo:
        check_key(key)
        try:
            async with self.sessions() as session:
                record = await session.get(ObjectRecord, key)
        except DATABASE_ERRORS as exc:
            raise _unavailable("head", key, exc) from exc
        if record is None:
            raise ObjectNotFound(f"head {key!r}: no such object", operation="head", key=key)
        return _info(record)

    async def delete(self, key: str) -> None:
        """Delete from the backend, then the row; see the module's consistency rule."""
        await self.backend.delete(key)
        await self._finish(self._forget(key))

    async def list_page(
        self, prefix: str = "", *, limit: int = 100, cursor: str | None = None
    ) -> ObjectPage:
        """Keyset pagination on the primary key: `cursor` encodes the last key of a page."""
        if limit < 1:
            raise ValueError("limit must be at least 1")
        after = decode_cursor(cursor) if cursor is not None else None
        # No key holds NUL (check_key), and PostgreSQL refuses it in text: a prefix with one
        # matches nothing, and the keys after "ab\0..." are exactly the keys after "ab".
        if "\0" in prefix:
            return ObjectPage(items=())
        if after is not None and "\0" in after:
            after = after[: after.index("\0")]
        query = select(ObjectRecord).order_by(ObjectRecord.key).limit(limit + 1)
        if prefix:
            # A range the primary key's index can scan, then the exact test.
            query = query.where(
                ObjectRecord.key >= prefix,
                func.substr(ObjectRecord.key, 1, len(prefix)) == prefix,
            )
            end = _prefix_end(prefix)
            if end is not None:
                query = query.where(ObjectRecord.key < end)
        if after is not None:
            query = query.where(ObjectRecord.key > after)
        try:
            async with self.sessions() as session:
                records = list(await session.scalars(query))
        except DATABASE_ERRORS as exc:
            raise _unavailable("list", None, exc) from exc
        items = tuple(_info(record) for record in records[:limit])
        if len(records) <= limit:
            return ObjectPage(items=items)
        return ObjectPage(items=items, next_cursor=encode_cursor(items[-1].key))

    async def reconcile(self) -> ReconcileReport:
        """Make the table match storage (idempotent); objects are read only when they changed.

        Storage is walked in key order a page at a time, and each page is compared with the
        rows in the same key range: an object without a row, or whose size or backend ETag
        differs from its row, is read once to hash it; a row without an object is removed.
        """
        added = updated = removed = unchanged = 0
        cursor: str | None = None
        after: str | None = None
        while True:
            page = await self.backend.list_page(limit=RECONCILE_PAGE, cursor=cursor)
            # This page covers the keys after `after`, up to its last (all, on the last page).
            upto = page.items[-1].key if page.next_cursor is not None else None
            rows = {record.key: record for record in await self._rows_between(after, upto)}
            for info in page.items:
                record = rows.pop(info.key, None)
                if (
                    record is not None
                    and record.size == info.size
                    and record.storage_etag == info.etag
                ):
                    unchanged += 1
                elif await self._index_from_storage(info.key, record):
                    added += record is None
                    updated += record is not None
            removed += await self._forget_all(list(rows))
            if page.next_cursor is None:
                return ReconcileReport(added, updated, removed, unchanged)
            cursor, after = page.next_cursor, upto

    async def _finish(self, step: Coroutine[Any, Any, Any]) -> Any:
        """Run the index step after a storage write to its end, even if the request is cancelled."""
        task = asyncio.ensure_future(step)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            task.add_done_callback(_log_failure)
            raise

    async def _record(self, stored: ObjectInfo, sha256: str, content_type: str) -> ObjectInfo:
        now = datetime.now(UTC)
        try:
            return await self._upsert(stored, sha256, content_type, now)
        except DATABASE_ERRORS as exc:
            await self._compensate(stored.key)
            raise _unavailable("put", stored.key, exc) from exc

    async def _upsert(
        self, stored: ObjectInfo, sha256: str, content_type: str, moment: datetime
    ) -> ObjectInfo:
        statement: Insert = self._insert(ObjectRecord).values(
            key=stored.key,
            size=stored.size,
            sha256=sha256,
            content_type=content_type,
            storage_etag=stored.etag,
            created_at=moment,
            updated_at=moment,
        )
        # A replaced object keeps the moment it was created.
        kept = ("size", "sha256", "content_type", "storage_etag", "updated_at")
        statement = statement.on_conflict_do_update(  # type: ignore[attr-defined]
            index_elements=[ObjectRecord.key],
            set_={name: statement.excluded[name] for name in kept},  # type: ignore[attr-defined]
        )
        async with self.sessions.begin() as session:
            records = await session.scalars(
                statement.returning(ObjectRecord),
                execution_options={"populate_existing": True},
            )
            return _info(records.one())

    async def _compensate(self, key: str) -> None:
        logger.warning("object index: recording %r failed; deleting the stored object again", key)
        try:
            await self.backend.delete(key)
        except StorageError:
            logger.exception(
                "object index: %r stays in storage without a row: run `reconcile`", key
            )

    async def _forget(self, key: str) -> None:
        try:
            async with self.sessions.begin() as session:
                await session.execute(delete(ObjectRecord).where(ObjectRecord.key == key))
        except DATABASE_ERRORS as exc:
            raise _unavailable("delete", key, exc) from exc

    async def _forget_all(self, keys: Sequence[str]) -> int:
        if not keys:
            return 0
        try:
            async with self.sessions.begin() as session:
                await session.execute(delete(ObjectRecord).where(ObjectRecord.key.in_(keys)))
        except DATABASE_ERRORS as exc:
            raise _unavailable("reconcile", None, exc) from exc
        return len(keys)

    async def _rows_between(self, after: str | None, upto: str | None) -> list[ObjectRecord]:
        query = select(ObjectRecord).order_by(ObjectRecord.key)
        if after is not None:
            query = query.where(ObjectRecord.key > after)
        if upto is not None:
            query = query.where(ObjectRecord.key <= upto)
        try:
            async with self.sessions() as session:
                return list(await session.scalars(query))
        except DATABASE_ERRORS as exc:
            raise _unavailable("reconcile", None, exc) from exc

    async def _index_from_storage(self, key: str, record: ObjectRecord | None) -> bool:
        """Read `key` once to hash it and write its row; False if it is gone meanwhile."""
        digest = hashlib.sha256()
        try:
            async with await self.backend.get_stream(key) as stream:
                async for chunk in stream.chunks:
                    digest.update(chunk)
        except ObjectNotFound:
            return False  # deleted since the listing: its row (if any) goes on the next run
        info = stream.info
        content_type = info.content_type or (record.content_type if record else None)
        moment = info.last_modified or datetime.now(UTC)
        try:
            await self._upsert(
                info, digest.hexdigest(), content_type or DEFAULT_CONTENT_TYPE, moment
            )
        except DATABASE_ERRORS as exc:
            raise _unavailable("reconcile", key, exc) from exc
        return True


async def _hashed(chunks: AsyncIterable[bytes], digest: Any) -> AsyncIterator[bytes]:
    async for chunk in chunks:
        digest.update(chunk)
        yield chunk


def _info(record: ObjectRecord) -> ObjectInfo:
    return ObjectInfo(
        key=record.key,
        size=record.size,
        etag=record.sha256,
        last_modified=record.updated_at,
        content_type=record.content_type,
    )


def _prefix_end(prefix: str) -> str | None:
    """The first string after every string starting with `prefix` (None: none is simple)."""
    last = ord(prefix[-1])
    if last in (0xD7FF, 0x10FFFF):  # the next code point is a surrogate, or there is none
        return None
    return prefix[:-1] + chr(last + 1)


def _unavailable(operation: str, key: str | None, exc: BaseException) -> IndexUnavailableError:
    # The type only: a driver's message may quote the statement and its parameters.
    error = IndexUnavailableError(
        f"object index unavailable ({operation}): {type(exc).__name__}",
        operation=operation,
        key=key,
    )
    failure = classify(exc)
    if failure is not None and failure.status == 503:
        error.retry_after = failure.retry_after
    return error


def _log_failure(task: asyncio.Future[Any]) -> None:
    """Nobody awaits the index step of a cancelled request: report its failure here."""
    if not task.cancelled() and (error := task.exception()) is not None:
        logger.warning("object index step of a cancelled request failed", exc_info=error)


__all__ = [
    "DATABASE_ERRORS",
    "RECONCILE_PAGE",
    "IndexUnavailableError",
    "IndexedStorage",
    "ReconcileReport",
]
