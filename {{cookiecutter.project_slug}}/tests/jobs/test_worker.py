"""Real `worker` processes on a real Redis: jobs run, survive a SIGKILL, drain on SIGTERM."""

import asyncio
import signal
import subprocess
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from {{ cookiecutter.package_name }}.features.jobs import JOBS
from {{ cookiecutter.package_name }}.jobs.models import JobStatus
from {{ cookiecutter.package_name }}.jobs.queue import JobQueue
from {{ cookiecutter.package_name }}.resources import open_resources
from {{ cookiecutter.package_name }}.service import Settings

from ..ports import unused_port
from .conftest import (
    redis_jobs,
    start_redis_server,
    start_worker,
    stop_redis_server,
    worker_environment,
)
from .helpers import wait_finished, wait_for

# The service's other settings sections (tests/jobs/conftest.py `service_sections`).
Sections = Mapping[str, Mapping[str, Any]]
# Small on purpose: a dead worker's job is taken over after timeout + REDELIVERY_GRACE.
JOB_TIMEOUT = 4.0


@asynccontextmanager
async def client_queue(url: str, prefix: str, sections: Sections) -> AsyncIterator[JobQueue]:
    """The queue as the API sees it: submits to Redis, runs nothing itself, and keeps the
    records where the workers do (the service's job store)."""
    jobs = redis_jobs(url, prefix, timeout=JOB_TIMEOUT).model_dump(mode="python")
    jobs["redis_url"] = url
    settings = Settings.model_validate({**sections, "jobs": jobs})
    async with open_resources(settings) as resources:
        yield resources.get(JOBS)


class Workers:
    """`worker` subprocesses of one test, each logging to its own file, all ended at the end."""

    def __init__(self, url: str, prefix: str, sections: Sections, directory: Path) -> None:
        self._url = url
        self._prefix = prefix
        self._sections = sections
        self._directory = directory
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, drain_seconds: float = 2) -> subprocess.Popen[bytes]:
        log = self._directory / f"worker-{len(self.processes)}.log"
        env = worker_environment(
            self._url,
            self._prefix,
            self._sections,
            timeout=JOB_TIMEOUT,
            drain_seconds=drain_seconds,
        )
        process = start_worker(env, log)
        self.processes.append(process)
        return process

    def logs(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self._directory.glob("worker-*.log")))

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)


@pytest.fixture
def workers(
    redis_server: str, key_prefix: str, service_sections: Sections, tmp_path: Path
) -> Iterator[Workers]:
    group = Workers(redis_server, key_prefix, service_sections, tmp_path)
    try:
        yield group
    finally:
        group.stop_all()


async def wait_exit(process: subprocess.Popen[bytes]) -> int:
    """The worker's exit code, once it has exited (within 20 s)."""
    return await asyncio.to_thread(process.wait, 20)


async def test_a_worker_runs_submitted_jobs(
    redis_server: str, key_prefix: str, service_sections: Sections, redis: Redis, workers: Workers
) -> None:
    workers.start()
    async with client_queue(redis_server, key_prefix, service_sections) as queue:
        records = [await queue.submit("test-echo", {"text": str(n)}) for n in range(5)]
        done = [await wait_finished(queue.store, r.id) for r in records]
    assert [d.result for d in done] == [{"text": str(n)} for n in range(5)], workers.logs()
    # Acknowledged entries are deleted: the stream holds only work still to do.
    assert await redis.xlen(f"{key_prefix}:queue") == 0


async def test_a_killed_workers_job_is_finished_by_another(
    redis_server: str, key_prefix: str, service_sections: Sections, workers: Workers
) -> None:
    first = workers.start()
    async with client_queue(redis_server, key_prefix, service_sections) as queue:
        record = await queue.submit("test-sleep", {"seconds": 2})
        await wait_for(queue.store, record.id, JobStatus.running)
        first.send_signal(signal.SIGKILL)
        await wait_exit(first)
        workers.start()
        done = await wait_finished(queue.store, record.id, within=JOB_TIMEOUT + 20)
    assert done.status == JobStatus.succeeded, workers.logs()
    assert done.attempts == 2
    assert done.result == {"slept": 2, "attempt": 2}
    assert "took over message" in workers.logs()


async def test_sigterm_lets_a_running_job_finish(
    redis_server: str, key_prefix: str, service_sections: Sections, workers: Workers
) -> None:
    worker = workers.start()
    async with client_queue(redis_server, key_prefix, service_sections) as queue:
        record = await queue.submit("test-sleep", {"seconds": 0.5})
        await wait_for(queue.store, record.id, JobStatus.running)
        worker.send_signal(signal.SIGTERM)
        assert await wait_exit(worker) == 0, workers.logs()
        done = await queue.get(record.id)
    assert done is not None
    assert done.status == JobStatus.succeeded, workers.logs()


async def test_sigterm_requeues_a_job_longer_than_the_drain(
    redis_server: str, key_prefix: str, service_sections: Sections, workers: Workers
) -> None:
    """The 3 s job outlasts the drain: it is handed back at once, and the next worker runs it."""
    worker = workers.start(drain_seconds=0.5)
    async with client_queue(redis_server, key_prefix, service_sections) as queue:
        record = await queue.submit("test-sleep", {"seconds": 3})
        await wait_for(queue.store, record.id, JobStatus.running)
        worker.send_signal(signal.SIGTERM)
        assert await wait_exit(worker) == 0, workers.logs()
        assert "requeued" in workers.logs()
        workers.start()
        # A fresh worker process starts (imports, opens) before it runs the 3 s job.
        done = await wait_finished(queue.store, record.id, within=30)
    assert done.status == JobStatus.succeeded, workers.logs()
    assert done.attempts == 2


async def test_a_worker_keeps_working_through_a_redis_restart(
    key_prefix: str, service_sections: Sections, tmp_path: Path
) -> None:
    """A throw-away server, restarted empty (no persistence): the worker waits it out,
    makes its consumer group again, and runs the jobs submitted afterwards."""
    port = unused_port()
    url = f"redis://127.0.0.1:{port}/0"
    server = await asyncio.to_thread(start_redis_server, port, tmp_path)
    group = Workers(url, key_prefix, service_sections, tmp_path)
    try:
        group.start()
        async with client_queue(url, key_prefix, service_sections) as queue:
            before = await queue.submit("test-echo", {"text": "before"})
            await wait_finished(queue.store, before.id)
            await asyncio.to_thread(stop_redis_server, server)
            await asyncio.sleep(1.5)  # the worker's reads fail meanwhile
            server = await asyncio.to_thread(start_redis_server, port, tmp_path)
            after = await queue.submit("test-echo", {"text": "after"})
            done = await wait_finished(queue.store, after.id)
        assert done.result == {"text": "after"}, group.logs()
        assert "cannot read jobs from Redis" in group.logs()
    finally:
        await asyncio.to_thread(group.stop_all)
        await asyncio.to_thread(stop_redis_server, server)
