"""The jobs table on SQLite and PostgreSQL: records round-trip, changes are atomic, pruning."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from {{ cookiecutter.package_name }}.db import migrate
from {{ cookiecutter.package_name }}.db.engine import open_engine, session_factory
from {{ cookiecutter.package_name }}.features.database import DatabaseSettings
from {{ cookiecutter.package_name }}.jobs.db_store import SHUTDOWN, DatabaseJobStore
from {{ cookiecutter.package_name }}.jobs.models import (
    CallbackAttempt,
    JobError,
    JobRecord,
    JobStatus,
)

RETENTION = 3600.0


@pytest.fixture
async def engine(database: DatabaseSettings) -> AsyncIterator[AsyncEngine]:
    """At the newest revision, with no jobs (the PostgreSQL database is shared by the run)."""
    await migrate.upgrade(database)
    async with open_engine(database) as engine:
        async with engine.begin() as connection:
            await connection.execute(text("DELETE FROM jobs"))
        yield engine


@pytest.fixture
def store(engine: AsyncEngine) -> DatabaseJobStore:
    return DatabaseJobStore(session_factory(engine), retention=RETENTION)


def new_job(**changes: object) -> JobRecord:
    fields: dict[str, object] = {
        "id": uuid.uuid4().hex,
        "kind": "import",
        "status": JobStatus.queued,
        "created_at": datetime.now(UTC),
        "input": {"url": "https://example.com/a", "options": {"sizes": [1, 2]}},
        **changes,
    }
    return JobRecord.model_validate(fields)


async def test_a_job_reads_back_as_it_was_created(store: DatabaseJobStore) -> None:
    job = new_job(callback_url="https://example.com/hook")
    await store.create(job)
    assert await store.get(job.id) == job
    assert await store.get(uuid.uuid4().hex) is None


async def test_start_counts_the_runs_and_a_finished_job_never_starts_again(
    store: DatabaseJobStore,
) -> None:
    job = new_job()
    await store.create(job)
    first = await store.start(job.id)
    assert first is not None
    assert (first.status, first.attempts) == (JobStatus.running, 1)
    assert first.started_at is not None
    assert first.started_at.utcoffset() == timedelta(0), "aware UTC on every database"
    # A redelivered job (its worker died) starts again: running → running.
    again = await store.start(job.id)
    assert again is not None
    assert again.attempts == 2

    done = await store.finish(job.id, result={"key": "a", "size": 3})
    assert (done.status, done.error) == (JobStatus.succeeded, None)
    assert done.result == {"key": "a", "size": 3}
    assert done.finished_at is not None
    assert await store.start(job.id) == done, "as it is: the runner skips it"
    assert await store.start(uuid.uuid4().hex) is None


async def test_concurrent_starts_each_count_one_attempt(
    database: DatabaseSettings, store: DatabaseJobStore
) -> None:
    """Two processes starting one job: the database orders them, no start is lost."""
    job = new_job()
    await store.create(job)
    async with open_engine(database) as other_engine:
        other = DatabaseJobStore(session_factory(other_engine), retention=RETENTION)
        started = await asyncio.gather(*(s.start(job.id) for s in (store, other) * 4))
    attempts = sorted(record.attempts for record in started if record is not None)
    assert attempts == list(range(1, 9))
    stored = await store.get(job.id)
    assert stored is not None
    assert stored.attempts == 8


async def test_the_first_finish_wins(database: DatabaseSettings, store: DatabaseJobStore) -> None:
    """A late second run (redelivered) cannot overwrite the outcome the first one stored."""
    job = new_job()
    await store.create(job)
    await store.start(job.id)
    timeout = JobError(code="timeout", message="ran past 300 s")
    async with open_engine(database) as other_engine:
        other = DatabaseJobStore(session_factory(other_engine), retention=RETENTION)
        outcomes = await asyncio.gather(
            store.finish(job.id, result={"run": 1}), other.finish(job.id, error=timeout)
        )
    first, second = outcomes
    assert first == second, "both callers see the one stored outcome"
    assert await store.get(job.id) == first
    assert first.status in (JobStatus.succeeded, JobStatus.failed)
    if first.status is JobStatus.failed:
        assert (first.result, first.error) == (None, timeout)
    else:
        assert (first.result, first.error) == ({"run": 1}, None)


async def test_an_unknown_job_cannot_finish_or_get_callbacks(store: DatabaseJobStore) -> None:
    with pytest.raises(LookupError):
        await store.finish(uuid.uuid4().hex, result=None)
    with pytest.raises(LookupError):
        await store.add_callback_attempt(
            uuid.uuid4().hex, CallbackAttempt(at=datetime.now(UTC), status=200, duration_ms=1.0)
        )


async def test_progress_is_kept_until_the_job_finishes(store: DatabaseJobStore) -> None:
    job = new_job()
    await store.create(job)
    await store.progress(job.id, 0.5)
    queued = await store.get(job.id)
    assert queued is not None
    assert queued.progress == 0.5
    await store.start(job.id)
    await store.progress(job.id, 0.25)
    running = await store.get(job.id)
    assert running is not None
    assert running.progress == 0.25
    with pytest.raises(ValueError, match="between 0 and 1"):
        await store.progress(job.id, 1.5)
    with pytest.raises(LookupError):
        await store.progress(uuid.uuid4().hex, 0.5)
    await store.finish(job.id)
    await store.progress(job.id, 0.75)
    finished = await store.get(job.id)
    assert finished is not None
    assert finished.progress == 0.25


async def test_concurrent_callback_attempts_are_all_kept(
    database: DatabaseSettings, store: DatabaseJobStore
) -> None:
    job = new_job(callback_url="https://example.com/hook")
    await store.create(job)
    await store.start(job.id)
    await store.finish(job.id, result=[1, 2])
    at = datetime.now(UTC)
    attempts = [
        CallbackAttempt(at=at + timedelta(seconds=n), status=500 + n, duration_ms=n / 3)
        for n in range(6)
    ]
    attempts.append(CallbackAttempt(at=at, error="timed out after 10 s", duration_ms=10000.0))
    async with open_engine(database) as other_engine:
        other = DatabaseJobStore(session_factory(other_engine), retention=RETENTION)
        await asyncio.gather(
            *(
                (store, other)[n % 2].add_callback_attempt(job.id, attempt)
                for n, attempt in enumerate(attempts)
            )
        )
    stored = await store.get(job.id)
    assert stored is not None
    assert sorted(stored.callbacks, key=repr) == sorted(attempts, key=repr)
    assert stored.result == [1, 2]


async def test_fail_unfinished_fails_the_queued_and_running_jobs_only(
    store: DatabaseJobStore,
) -> None:
    queued, running, done = new_job(), new_job(), new_job()
    for job in (queued, running, done):
        await store.create(job)
    await store.start(running.id)
    await store.start(done.id)
    finished = await store.finish(done.id, result="ok")

    assert await store.fail_unfinished("the service restarted") == 2
    for job in (queued, running):
        failed = await store.get(job.id)
        assert failed is not None
        assert failed.status is JobStatus.failed
        assert failed.error == JobError(code=SHUTDOWN, message="the service restarted")
        assert failed.finished_at is not None
    assert await store.get(done.id) == finished
    assert await store.fail_unfinished("again") == 0


async def test_finished_jobs_past_the_retention_are_hidden_then_pruned(
    engine: AsyncEngine, store: DatabaseJobStore
) -> None:
    brief = DatabaseJobStore(session_factory(engine), retention=0.05)
    old, unfinished = new_job(), new_job()
    await brief.create(old)
    await brief.create(unfinished)
    await brief.start(old.id)
    await brief.finish(old.id, result=None)
    await asyncio.sleep(0.1)
    assert await brief.get(old.id) is None, "past the retention"
    assert await store.get(old.id) is not None, "still within a longer one"
    assert await store.prune() == 0
    assert await brief.prune() == 1
    assert await store.get(old.id) is None
    assert await brief.get(unfinished.id) is not None, "an unfinished job is never pruned"
    assert await brief.prune(older_than=datetime.now(UTC) + timedelta(days=1)) == 0


async def test_creating_jobs_prunes_the_expired_ones_now_and_then(engine: AsyncEngine) -> None:
    pruning = DatabaseJobStore(session_factory(engine), retention=0.05, prune_every=0)
    old = new_job()
    await pruning.create(old)
    await pruning.finish(old.id, result=None)
    await asyncio.sleep(0.1)
    await pruning.create(new_job())
    async with engine.connect() as connection:
        remaining = await connection.scalar(text("SELECT count(*) FROM jobs"))
    assert remaining == 1, "the new job only"


def table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_the_jobs_migration_goes_down_and_up(database: DatabaseSettings) -> None:
    scripts = ScriptDirectory.from_config(migrate.alembic_config())
    jobs_revision = scripts.get_revision("0003")
    assert jobs_revision is not None
    before = jobs_revision.down_revision
    assert isinstance(before, str)
    await migrate.upgrade(database)
    try:
        assert await migrate.downgrade(database, before) == before
        async with open_engine(database) as engine, engine.connect() as connection:
            assert "jobs" not in await connection.run_sync(table_names)
    finally:
        # The PostgreSQL database is shared by the run: leave it at the head.
        assert await migrate.upgrade(database) == migrate.head()
    async with open_engine(database) as engine, engine.connect() as connection:
        assert "jobs" in await connection.run_sync(table_names)
