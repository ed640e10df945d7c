"""Where job records live: the process's memory (memory broker) or Redis (redis broker).

Both keep a finished job readable for `jobs.result_retention` seconds, then forget it.
A record changes in a few steps only: created (queued), started (running, one more
attempt), progress, finished (succeeded or failed, never changed again), callback attempts.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Protocol

from .models import CallbackAttempt, JobError, JobRecord, JobStatus, now

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from ..features.jobs import JobsSettings


class JobNotFound(LookupError):
    """No record under this id (never submitted, or past its retention)."""


class JobStore(Protocol):
    async def create(self, record: JobRecord) -> None: ...

    async def get(self, job_id: str) -> JobRecord | None: ...

    async def start(self, job_id: str) -> JobRecord | None:
        """queued/running → running with one more attempt; a finished record as it is."""
        ...

    async def finish(
        self, job_id: str, *, result: Any = None, error: JobError | None = None
    ) -> JobRecord:
        """→ failed when `error` is given, else succeeded; a finished record stays as it is."""
        ...

    async def progress(self, job_id: str, value: float) -> None: ...

    async def add_callback_attempt(self, job_id: str, attempt: CallbackAttempt) -> None: ...

    async def fail_unfinished(self, reason: str) -> int:
        """Fail every queued or running job (a store that outlives the process); how many."""
        ...


def started(record: JobRecord) -> JobRecord:
    if record.finished:
        return record
    return record.model_copy(
        update={"status": JobStatus.running, "started_at": now(), "attempts": record.attempts + 1}
    )


def finished(record: JobRecord, result: Any, error: JobError | None) -> JobRecord:
    if record.finished:
        return record
    return record.model_copy(
        update={
            "status": JobStatus.failed if error else JobStatus.succeeded,
            "finished_at": now(),
            "result": None if error else result,
            "error": error,
        }
    )


class MemoryJobStore:
    """Records in a dict: they live as long as the process (the memory broker's jobs too)."""

    def __init__(self, retention: float) -> None:
        self._retention = retention
        self._records: dict[str, JobRecord] = {}
        # When each finished record may be forgotten (monotonic clock).
        self._expires: dict[str, float] = {}

    def _prune(self) -> None:
        clock = time.monotonic()
        for job_id in [j for j, at in self._expires.items() if at <= clock]:
            del self._expires[job_id]
            self._records.pop(job_id, None)

    def _require(self, job_id: str) -> JobRecord:
        record = self._records.get(job_id)
        if record is None:
            raise JobNotFound(job_id)
        return record

    async def create(self, record: JobRecord) -> None:
        self._prune()
        self._records[record.id] = record

    async def get(self, job_id: str) -> JobRecord | None:
        self._prune()
        return self._records.get(job_id)

    async def start(self, job_id: str) -> JobRecord | None:
        record = self._records.get(job_id)
        if record is None:
            return None
        self._records[job_id] = started(record)
        return self._records[job_id]

    async def finish(
        self, job_id: str, *, result: Any = None, error: JobError | None = None
    ) -> JobRecord:
        record = self._require(job_id)
        if not record.finished:
            self._records[job_id] = finished(record, result, error)
            self._expires[job_id] = time.monotonic() + self._retention
        return self._records[job_id]

    async def progress(self, job_id: str, value: float) -> None:
        record = self._require(job_id)
        if not record.finished:
            self._records[job_id] = record.model_copy(update={"progress": value})

    async def add_callback_attempt(self, job_id: str, attempt: CallbackAttempt) -> None:
        record = self._require(job_id)
        self._records[job_id] = record.model_copy(
            update={"callbacks": [*record.callbacks, attempt]}
        )

    async def fail_unfinished(self, reason: str) -> int:
        # Nothing outlives the process here: a new store starts empty.
        return 0


# KEYS[1]: the record; ARGV: the value read, the new value, its TTL in ms (0: none).
COMPARE_AND_SET = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if tonumber(ARGV[3]) > 0 then
    redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
else
    redis.call('SET', KEYS[1], ARGV[2])
end
return 1
"""


class RedisJobStore:
    """One JSON value per job under `{prefix}:job:{id}`; finished ones expire after retention.

    An update is a compare-and-set (a Lua script), so two processes updating one job (a
    redelivered job, a late progress report) never lose a change.
    """

    def __init__(self, redis: Redis, prefix: str, retention: float) -> None:
        self._redis = redis
        self._prefix = prefix
        self._retention_ms = max(1, int(retention * 1000))
        self._compare_and_set = redis.register_script(COMPARE_AND_SET)

    def key(self, job_id: str) -> str:
        return f"{self._prefix}:job:{job_id}"

    async def create(self, record: JobRecord) -> None:
        await self._redis.set(self.key(record.id), record.model_dump_json())

    async def get(self, job_id: str) -> JobRecord | None:
        raw = await self._redis.get(self.key(job_id))
        return None if raw is None else JobRecord.model_validate_json(raw)

    async def _update(
        self, job_id: str, change: Callable[[JobRecord], JobRecord]
    ) -> JobRecord | None:
        """Apply `change` atomically; None when there is no record.

        Compare and set: the new value is written only if the stored one is still the one
        `change` saw, else it is read again (another process updated the job meanwhile).
        """
        key = self.key(job_id)
        while True:
            raw = await self._redis.get(key)
            if raw is None:
                return None
            before = JobRecord.model_validate_json(raw)
            after = change(before)
            ttl_ms = self._ttl_ms(after) if after.finished else 0
            written = await self._compare_and_set(
                keys=[key], args=[raw, after.model_dump_json(), ttl_ms]
            )
            if written:
                return after

    def _ttl_ms(self, after: JobRecord) -> int:
        # Retention counts from the end of the job, not from later callback attempts.
        if after.finished_at is None:
            return self._retention_ms
        age_ms = int((now() - after.finished_at).total_seconds() * 1000)
        return max(1, self._retention_ms - age_ms)

    async def start(self, job_id: str) -> JobRecord | None:
        return await self._update(job_id, started)

    async def finish(
        self, job_id: str, *, result: Any = None, error: JobError | None = None
    ) -> JobRecord:
        record = await self._update(job_id, lambda r: finished(r, result, error))
        if record is None:
            raise JobNotFound(job_id)
        return record

    async def progress(self, job_id: str, value: float) -> None:
        await self._update(
            job_id, lambda r: r if r.finished else r.model_copy(update={"progress": value})
        )

    async def add_callback_attempt(self, job_id: str, attempt: CallbackAttempt) -> None:
        await self._update(
            job_id, lambda r: r.model_copy(update={"callbacks": [*r.callbacks, attempt]})
        )

    async def fail_unfinished(self, reason: str) -> int:
        # Redis-backed jobs are never failed wholesale: a worker that died left its job in
        # the stream, and another worker takes it over.
        return 0


@asynccontextmanager
async def open_store(settings: JobsSettings) -> AsyncIterator[JobStore]:
    """The store for the configured broker: Redis for redis, the process's memory else."""
    if settings.broker == "memory":
        yield MemoryJobStore(settings.result_retention)
        return
    async with redis_client(settings) as redis:
        yield RedisJobStore(redis, settings.key_prefix, settings.result_retention)


@asynccontextmanager
async def redis_client(settings: JobsSettings) -> AsyncIterator[Redis]:
    """A client (its own connection pool) for the configured Redis, closed at the end."""
    from redis.asyncio import Redis

    client = Redis.from_url(
        settings.redis_url.get_secret_value(),
        socket_connect_timeout=5,
        socket_timeout=30,
        health_check_interval=30,
    )
    try:
        yield client
    finally:
        await client.aclose()


__all__ = [
    "JobNotFound",
    "JobStore",
    "MemoryJobStore",
    "RedisJobStore",
    "open_store",
    "redis_client",
]
