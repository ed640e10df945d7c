"""A failed job as Sentry receives it: once, without a route, its credentials scrubbed."""

from collections.abc import Mapping
from typing import Any

from {{ cookiecutter.package_name }}.features.jobs import JOBS
from {{ cookiecutter.package_name }}.jobs.models import JobStatus
from {{ cookiecutter.package_name }}.resources import open_resources
from {{ cookiecutter.package_name }}.service import Settings

# The jobs tests' fixtures: the service's other sections the jobs need (the job store's database).
from ..jobs.conftest import TEST_KINDS, {{ "migrated_database, " if cookiecutter.with_database }}service_sections
from ..jobs.helpers import wait_finished
from .ingest import Ingest

__all__ = [{{ '"migrated_database", ' if cookiecutter.with_database }}"service_sections"]  # fixtures, by name


async def test_a_failed_job_is_reported_once(
    ingest: Ingest, service_sections: Mapping[str, Mapping[str, Any]]
) -> None:
    settings = Settings.model_validate(
        {
            **service_sections,
            "sentry": {"dsn": ingest.dsn},
            "jobs": {"modules": [TEST_KINDS]},
        }
    )
    async with open_resources(settings) as resources:
        queue = resources.get(JOBS)
        record = await queue.submit("test-crash", {"text": "fetch failed, token=job-token-31"})
        done = await wait_finished(queue.store, record.id)
        assert done.status == JobStatus.failed
    assert len(ingest.events) == 1
    event = ingest.events[0]
    assert event["logentry"]["formatted"] == f"job {record.id} (test-crash) failed"
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    assert "route" not in event["tags"]
    assert "job-token-31" not in ingest.raw()
