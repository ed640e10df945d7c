"""The `import_object` job: POST /api/v1/objects/import with `Prefer: respond-async`.

Jobs run at least once (a job runs again when its worker died mid-job), so the import is
idempotent by key and sha256:

- given both, a run that finds the key already holding content with that sha256 downloads
  nothing and stores nothing: its result is the stored object, with `reused: true`;
- otherwise the source is downloaded again and replaces the object under the key, as the
  synchronous import does: a rerun leaves the source's bytes under the same key, never a
  second copy. (Without a key, the key is the source's file name, so a source that names
  another file the second time is stored under that name.)

A failed import fails the job with the code and message the synchronous route answers with
(`source_not_allowed`, `checksum_mismatch`, `bad_gateway`...); nothing is left in storage.
"""

from __future__ import annotations

import hashlib
import logging

from ..features.download import DOWNLOADS
from ..features.objects import STORAGE, STORAGE_SETTINGS
from ..jobs.registry import JobContext, job
from ..jobs.runner import JobFailed
from ..storage import ObjectInfo, ObjectNotFound, Storage, StorageBusyError, StorageError
from .errors import caller_error
from .imports import IMPORT_JOB, ImportSource, import_failure, store_import
from .models import StoredObject

logger = logging.getLogger(__name__)

# Progress is recorded at most this often (a fraction of the source's size).
PROGRESS_STEP = 0.05


class ImportedObject(StoredObject):
    """The job's result: the stored object, and whether it was there already."""

    # True: the key already held content with the expected sha256; nothing was downloaded.
    reused: bool = False


@job(IMPORT_JOB)
async def import_object(payload: ImportSource, ctx: JobContext) -> ImportedObject:
    """Download `payload.url` into storage (see the module docstring: idempotent)."""
    storage = ctx.resources.find(STORAGE)
    if storage is None:
        raise JobFailed("storage_unavailable", "Object storage is off: turn S3 on")
    if payload.key is not None and payload.sha256 is not None:
        stored = await holding(storage, payload.key, payload.sha256)
        if stored is not None:
            logger.info("job %s: %s already holds this content", ctx.job_id, payload.key)
            return ImportedObject(**StoredObject.of(stored).model_dump(), reused=True)
    reported = 0.0

    async def report(done: int, total: int | None) -> None:
        nonlocal reported
        if total and (done >= total or done / total - reported >= PROGRESS_STEP):
            reported = min(done / total, 1.0)
            await ctx.progress(reported)

    try:
        info = await store_import(
            payload,
            storage,
            ctx.resources.get(DOWNLOADS),
            max_bytes=ctx.resources.get(STORAGE_SETTINGS).max_object_bytes,
            progress=report,
        )
    except Exception as exc:
        failed = job_failure(exc)
        if failed is None:
            raise  # a bug: the runner fails the job with the exception's type
        raise failed from exc
    return ImportedObject(**StoredObject.of(info).model_dump())


async def holding(storage: Storage, key: str, sha256: str) -> ObjectInfo | None:
    """The object under `key` when its content has this sha256, else None.

    The ETag is the sha256 on the local backend and with the object index; on plain S3 it
    is not, and the object is read once to hash it (still cheaper than downloading again).
    """
    expected = sha256.lower()
    try:
        info = await storage.head(key)
        if info.etag.strip('"').lower() == expected:
            return info
        digest = hashlib.sha256()
        async with await storage.get_stream(key) as stream:
            async for chunk in stream.chunks:
                digest.update(chunk)
    except ObjectNotFound:
        return None
    return stream.info if digest.hexdigest() == expected else None


def job_failure(exc: Exception) -> JobFailed | None:
    """`exc` as the job's error (the code and message the synchronous route answers with)."""
    failure = import_failure(exc)
    if failure is not None:
        details = "".join(f"; {name}: {value}" for name, value in (failure.details or {}).items())
        return JobFailed(failure.code, failure.message + details)
    if isinstance(exc, StorageBusyError):
        return JobFailed("storage_busy", "Too many uploads in progress")
    if isinstance(exc, StorageError):
        caller = caller_error(exc)
        if caller is not None:
            return JobFailed(caller[1], str(exc))
        logger.warning("import job: storage failed", exc_info=exc)
        return JobFailed("storage_unavailable", "Object storage is unavailable")
    return None


__all__ = ["PROGRESS_STEP", "ImportedObject", "holding", "import_object", "job_failure"]
