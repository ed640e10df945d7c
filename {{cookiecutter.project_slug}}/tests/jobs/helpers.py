"""Waiting for jobs to reach a state."""

import asyncio
import time

from {{ cookiecutter.package_name }}.jobs.models import JobRecord, JobStatus
from {{ cookiecutter.package_name }}.jobs.store import JobStore


async def wait_for(
    store: JobStore, job_id: str, *statuses: JobStatus, within: float = 20.0
) -> JobRecord:
    """The job's record once its status is one of `statuses` (fails after `within` s)."""
    deadline = time.monotonic() + within
    record = None
    while time.monotonic() < deadline:
        record = await store.get(job_id)
        if record is not None and record.status in statuses:
            return record
        await asyncio.sleep(0.05)
    raise AssertionError(f"job {job_id} not {'/'.join(statuses)} after {within} s: {record}")


async def wait_finished(store: JobStore, job_id: str, within: float = 20.0) -> JobRecord:
    return await wait_for(store, job_id, JobStatus.succeeded, JobStatus.failed, within=within)
