"""A failed job as Sentry receives it: once, without a route, its credentials scrubbed."""
{%- if cookiecutter.with_database %}

import asyncio
from pathlib import Path
from typing import Any

from {{ cookiecutter.package_name }}.db import migrate
from {{ cookiecutter.package_name }}.features.database import DatabaseSettings
{%- else %}

from pathlib import Path
from typing import Any
{%- endif %}
from {{ cookiecutter.package_name }}.features.jobs import JOBS
from {{ cookiecutter.package_name }}.jobs.models import JobStatus
from {{ cookiecutter.package_name }}.resources import open_resources
from {{ cookiecutter.package_name }}.service import Settings

from ..jobs.conftest import TEST_KINDS
from ..jobs.helpers import wait_finished
from .ingest import Ingest


async def sections(tmp_path: Path) -> dict[str, Any]:
    """The service's other sections the jobs need{{ ": a database at head for the job store" if cookiecutter.with_database else " (none here)" }}."""
{%- if cookiecutter.with_database %}
    database = DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path / 'jobs.db'}")
    # In a loop of its own: the migrations run synchronous code.
    await asyncio.to_thread(asyncio.run, migrate.upgrade(database))
    return {"database": database}
{%- else %}
    return {}
{%- endif %}


async def test_a_failed_job_is_reported_once(ingest: Ingest, tmp_path: Path) -> None:
    settings = Settings.model_validate(
        {
            **await sections(tmp_path),
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
