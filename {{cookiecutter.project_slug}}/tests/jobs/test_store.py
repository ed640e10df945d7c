"""Both job stores keep the same record the same way (memory, and Redis)."""

import asyncio

import pytest
from redis.asyncio import Redis

from {{ cookiecutter.package_name }}.jobs.models import (
    CallbackAttempt,
    JobError,
    JobRecord,
    JobStatus,
    new_job_id,
    now,
)
from {{ cookiecutter.package_name }}.jobs.store import JobStore, MemoryJobStore, RedisJobStore


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest, key_prefix: str) -> JobStore:
    if request.param == "memory":
        return MemoryJobStore(retention=60)
    redis: Redis = request.getfixturevalue("redis")
    return RedisJobStore(redis, key_prefix, retention=60)


def new_record() -> JobRecord:
    return JobRecord(id=new_job_id(), kind="test-echo", created_at=now(), input={"text": "x"})


async def test_a_record_goes_from_queued_to_succeeded(store: JobStore) -> None:
    record = new_record()
    await store.create(record)
    assert await store.get(record.id) == record
    started = await store.start(record.id)
    assert started is not None
    assert (started.status, started.attempts) == (JobStatus.running, 1)
    await store.progress(record.id, 0.5)
    done = await store.finish(record.id, result={"n": 1})
    assert (done.status, done.result, done.progress) == (JobStatus.succeeded, {"n": 1}, 0.5)
    assert await store.get(record.id) == done


async def test_a_finished_record_never_changes_again(store: JobStore) -> None:
    record = new_record()
    await store.create(record)
    failed = await store.finish(record.id, error=JobError(code="x", message="y"))
    assert await store.start(record.id) == failed
    assert await store.finish(record.id, result=1) == failed
    await store.progress(record.id, 1.0)
    assert await store.get(record.id) == failed


async def test_callback_attempts_are_appended(store: JobStore) -> None:
    record = new_record()
    await store.create(record)
    await store.finish(record.id, result=None)
    first = CallbackAttempt(at=now(), status=None, error="refused", duration_ms=1.5)
    second = CallbackAttempt(at=now(), status=204, duration_ms=3.0)
    await store.add_callback_attempt(record.id, first)
    await store.add_callback_attempt(record.id, second)
    stored = await store.get(record.id)
    assert stored is not None
    assert stored.callbacks == [first, second]


async def test_unknown_ids_read_as_none(store: JobStore) -> None:
    assert await store.get(new_job_id()) is None
    assert await store.start(new_job_id()) is None


async def test_concurrent_updates_lose_nothing(store: JobStore) -> None:
    record = new_record()
    await store.create(record)
    await store.finish(record.id, result=None)
    attempts = [CallbackAttempt(at=now(), status=200 + n, duration_ms=1.0) for n in range(20)]
    await asyncio.gather(*(store.add_callback_attempt(record.id, a) for a in attempts))
    stored = await store.get(record.id)
    assert stored is not None
    assert sorted(a.status or 0 for a in stored.callbacks) == list(range(200, 220))


async def test_memory_store_forgets_finished_jobs_after_retention() -> None:
    store = MemoryJobStore(retention=0.1)
    record = new_record()
    await store.create(record)
    await store.finish(record.id, result=None)
    await asyncio.sleep(0.15)
    assert await store.get(record.id) is None


async def test_redis_store_keeps_finished_jobs_for_the_retention(
    redis: Redis, key_prefix: str
) -> None:
    store = RedisJobStore(redis, key_prefix, retention=30)
    record = new_record()
    await store.create(record)
    key = f"{key_prefix}:job:{record.id}"
    assert await redis.pttl(key) == -1, "a queued job does not expire"
    await store.finish(record.id, result=None)
    assert 25_000 < await redis.pttl(key) <= 30_000
