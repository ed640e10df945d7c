"""The example job kind that ships with the service."""

import hashlib

from {{ cookiecutter.package_name }}.features.jobs import JobsSettings
from {{ cookiecutter.package_name }}.jobs.models import JobStatus
from {{ cookiecutter.package_name }}.jobs.queue import open_queue
from {{ cookiecutter.package_name }}.resources import Resources

from .helpers import wait_finished


async def test_digest_hashes_the_text_and_reports_progress() -> None:
    text = "é" * 200_000
    async with open_queue(JobsSettings(), Resources()) as queue:
        record = await queue.submit("digest", {"text": text})
        done = await wait_finished(queue.store, record.id)
    assert done.status == JobStatus.succeeded
    assert done.result == {
        "sha256": hashlib.sha256(text.encode()).hexdigest(),
        "characters": len(text),
    }
    assert done.progress == 1.0
