"""The job layer in-process (memory broker): submit, run, fail, time out, drain."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from pydantic import ValidationError

from {{ cookiecutter.package_name }}.features.jobs import JobsSettings
from {{ cookiecutter.package_name }}.jobs.models import JobRecord, JobStatus, new_job_id, now
from {{ cookiecutter.package_name }}.jobs.queue import JobQueue, open_queue
from {{ cookiecutter.package_name }}.jobs.registry import UnknownJobKind
from {{ cookiecutter.package_name }}.jobs.runner import OnFinished
from {{ cookiecutter.package_name }}.resources import Resources

from .conftest import TEST_KINDS
from .helpers import wait_finished, wait_for


@asynccontextmanager
async def memory_queue(
    on_finished: OnFinished | None = None, **settings: Any
) -> AsyncIterator[JobQueue]:
    jobs = JobsSettings.model_validate({"modules": [TEST_KINDS], **settings})
    async with open_queue(jobs, Resources(), on_finished=on_finished) as queue:
        yield queue


async def test_a_job_runs_in_process_and_keeps_its_result() -> None:
    async with memory_queue() as queue:
        record = await queue.submit("test-echo", {"text": "hi"})
        assert record.status == JobStatus.queued
        done = await wait_finished(queue.store, record.id)
    assert done.status == JobStatus.succeeded
    assert done.result == {"text": "hi"}
    assert done.attempts == 1
    assert done.error is None
    assert done.created_at <= done.started_at <= done.finished_at  # type: ignore[operator]


async def test_input_is_validated_before_anything_is_stored() -> None:
    async with memory_queue() as queue:
        with pytest.raises(ValidationError):
            await queue.submit("test-sleep", {"seconds": "long"})
        with pytest.raises(UnknownJobKind):
            await queue.submit("no-such-kind", {})


async def test_a_handler_fails_its_job_with_its_own_code() -> None:
    async with memory_queue() as queue:
        record = await queue.submit("test-fail", {"code": "no_source", "message": "gone"})
        done = await wait_finished(queue.store, record.id)
    assert done.status == JobStatus.failed
    assert done.error is not None
    assert (done.error.code, done.error.message) == ("no_source", "gone")
    assert done.result is None


async def test_an_exception_fails_the_job_without_its_message() -> None:
    async with memory_queue() as queue:
        record = await queue.submit("test-crash", {"text": "token=s3cret"})
        done = await wait_finished(queue.store, record.id)
    assert done.error is not None
    assert done.error.code == "job_error"
    assert "s3cret" not in done.model_dump_json(exclude={"input"})


async def test_a_job_past_the_timeout_fails_with_timeout() -> None:
    async with memory_queue(timeout=0.2) as queue:
        record = await queue.submit("test-sleep", {"seconds": 5})
        done = await wait_finished(queue.store, record.id)
    assert done.error is not None
    assert done.error.code == "timeout"


async def test_progress_is_recorded() -> None:
    async with memory_queue() as queue:
        record = await queue.submit("test-sleep", {"seconds": 0.5})
        running = await wait_for(queue.store, record.id, JobStatus.running)
        await asyncio.sleep(0.1)
        running = await queue.get(record.id) or running
        assert running.progress == pytest.approx(0.1)


async def test_concurrency_bounds_the_jobs_running_at_once() -> None:
    async with memory_queue(concurrency=1) as queue:
        first = await queue.submit("test-sleep", {"seconds": 0.5})
        second = await queue.submit("test-sleep", {"seconds": 0.5})
        await wait_for(queue.store, first.id, JobStatus.running)
        waiting = await queue.get(second.id)
        assert waiting is not None
        assert waiting.status == JobStatus.queued
        await wait_finished(queue.store, second.id)


async def test_shutdown_drains_then_fails_what_cannot_finish() -> None:
    async with memory_queue(drain_seconds=0.3) as queue:
        quick = await queue.submit("test-sleep", {"seconds": 0.1})
        slow = await queue.submit("test-sleep", {"seconds": 30})
        await wait_for(queue.store, slow.id, JobStatus.running)
        store = queue.store
    done = await store.get(quick.id)
    cut = await store.get(slow.id)
    assert done is not None
    assert done.status == JobStatus.succeeded
    assert cut is not None
    assert cut.status == JobStatus.failed
    assert cut.error is not None
    assert cut.error.code == "shutdown"


async def test_a_finished_job_is_not_run_again() -> None:
    """At least once: a redelivered message of a finished job changes nothing."""
    async with memory_queue() as queue:
        record = await queue.submit("test-echo", {"text": "once"})
        done = await wait_finished(queue.store, record.id)
        again = await queue.runner.execute(record.id)
    assert again == done


async def test_a_job_that_keeps_losing_its_worker_fails() -> None:
    async with memory_queue(max_attempts=2) as queue:
        # As if two workers had died running it: redelivered a third time.
        record = JobRecord(
            id=new_job_id(),
            kind="test-echo",
            created_at=now(),
            input={"text": "x"},
            status=JobStatus.running,
            attempts=2,
        )
        await queue.store.create(record)
        lost = await queue.runner.execute(record.id)
    assert lost is not None
    assert lost.status == JobStatus.failed
    assert lost.error is not None
    assert lost.error.code == "worker_lost"
    assert lost.attempts == 3


async def test_the_finished_hook_gets_every_finished_job() -> None:
    seen: list[JobRecord] = []

    async def on_finished(record: JobRecord) -> None:
        seen.append(record)

    async with memory_queue(on_finished=on_finished) as queue:
        ok = await queue.submit("test-echo", {"text": "a"})
        failed = await queue.submit("test-fail", {"code": "x", "message": "y"})
        await wait_finished(queue.store, ok.id)
        await wait_finished(queue.store, failed.id)
        await asyncio.sleep(0.05)
    assert {r.id: r.status for r in seen} == {
        ok.id: JobStatus.succeeded,
        failed.id: JobStatus.failed,
    }
