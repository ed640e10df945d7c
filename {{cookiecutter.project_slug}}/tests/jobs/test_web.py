"""GET /api/v1/jobs/{id} on the real app, jobs running in-process (the memory broker)."""

{% if cookiecutter.with_http_client -%}
import asyncio
import time
{% endif -%}
from collections.abc import Mapping
from typing import Any

{% if cookiecutter.with_http_client -%}
import pytest
{% endif -%}
from redis.asyncio import Redis

from {{ cookiecutter.package_name }}.features.jobs import JOBS
{%- if cookiecutter.with_http_client %}
from {{ cookiecutter.package_name }}.jobs.models import JobRecord, JobStatus
from {{ cookiecutter.package_name }}.jobs.queue import CallbackURLRefused, JobQueue
from {{ cookiecutter.package_name }}.jobs.verify import new_webhook_secret
{%- else %}
from {{ cookiecutter.package_name }}.jobs.models import JobStatus
{%- endif %}
from {{ cookiecutter.package_name }}.resources import Resources
from {{ cookiecutter.package_name }}.server import create_app
from {{ cookiecutter.package_name }}.service import Settings

from ..ports import unused_port
from ..server.conftest import TOKEN, serve
from .conftest import TEST_KINDS
from .helpers import wait_finished
{%- if cookiecutter.with_http_client %}
from .test_callbacks import Receiver, start_receiver
{%- endif %}

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def app_settings(sections: Mapping[str, Any], **jobs: object) -> Settings:
    """The app with the test kinds, auth on, and `sections` (tests/jobs/conftest.py)."""
    return Settings.model_validate(
        {
            **sections,
            "jobs": {"modules": [TEST_KINDS], **jobs},
            "server": {"auth": {"token": TOKEN}},
        }
    )


async def test_a_job_submitted_in_the_app_is_readable_by_id(
    service_sections: Mapping[str, Any],
) -> None:
    app = create_app(app_settings(service_sections))
    async with serve(app) as client:
        resources: Resources = app.state.resources
        queue = resources.get(JOBS)
        record = await queue.submit("test-echo", {"text": "hello"})
        await wait_finished(queue.store, record.id)
        response = await client.get(f"/api/v1/jobs/{record.id}", headers=AUTH)
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == record.id
    assert body["kind"] == "test-echo"
    assert body["status"] == JobStatus.succeeded
    assert body["result"] == {"text": "hello"}
    assert body["error"] is None
    assert body["attempts"] == 1
    assert body["callbacks"] == []
    assert {"created_at", "started_at", "finished_at", "progress"} <= body.keys()


async def test_a_failed_job_shows_its_error_in_the_envelope_shape(
    service_sections: Mapping[str, Any],
) -> None:
    app = create_app(app_settings(service_sections))
    async with serve(app) as client:
        queue = app.state.resources.get(JOBS)
        record = await queue.submit("test-fail", {"code": "bad_source", "message": "404"})
        await wait_finished(queue.store, record.id)
        response = await client.get(f"/api/v1/jobs/{record.id}", headers=AUTH)
    assert response.json()["error"] == {"code": "bad_source", "message": "404"}


async def test_an_unknown_job_is_a_404_in_the_error_envelope(
    service_sections: Mapping[str, Any],
) -> None:
    async with serve(create_app(app_settings(service_sections))) as client:
        response = await client.get("/api/v1/jobs/0123456789abcdef0123456789abcdef", headers=AUTH)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "job_not_found"


async def test_the_job_resource_needs_the_token(service_sections: Mapping[str, Any]) -> None:
    async with serve(create_app(app_settings(service_sections))) as client:
        response = await client.get("/api/v1/jobs/0123456789abcdef0123456789abcdef")
    assert response.status_code == 401


async def test_ready_checks_the_redis_broker(
    redis_server: str, redis: Redis, service_sections: Mapping[str, Any]
) -> None:
    app = create_app(app_settings(service_sections, broker="redis", redis_url=redis_server))
    async with serve(app) as client:
        response = await client.get("/ready")
    body = response.json()
    # Other checks may fail here (an unmigrated database): only the broker's counts.
    checks = body["checks"] if response.status_code == 200 else body["error"]["details"]["checks"]
    assert checks["jobs"] == "ok"


async def test_ready_reports_redis_down(service_sections: Mapping[str, Any]) -> None:
    """The API starts without Redis, and /ready says the broker is unavailable."""
    closed = f"redis://127.0.0.1:{unused_port()}/0"
    app = create_app(app_settings(service_sections, broker="redis", redis_url=closed))
    async with serve(app) as client:
        response = await client.get("/ready")
    assert response.status_code == 503
    assert response.json()["error"]["details"]["checks"]["jobs"] == "unavailable"
{%- if cookiecutter.with_http_client %}


async def delivered(queue: JobQueue, job_id: str, within: float = 20.0) -> JobRecord:
    """The job's record once a callback attempt is recorded on it."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        record = await queue.get(job_id)
        if record is not None and record.callbacks:
            return record
        await asyncio.sleep(0.05)
    raise AssertionError(f"no callback attempt recorded on job {job_id} after {within} s")


async def test_the_app_delivers_a_finished_job_to_its_callback_url_signed(
    service_sections: Mapping[str, Any],
) -> None:
    receiver = Receiver()
    server = await start_receiver(receiver)
    settings = app_settings(
        service_sections,
        webhook_secret=receiver.secret,
        callback_allowed_networks=["127.0.0.1/32"],
    )
    app = create_app(settings)
    try:
        async with serve(app) as client:
            queue: JobQueue = app.state.resources.get(JOBS)
            record = await queue.submit("test-echo", {"text": "hi"}, callback_url=receiver.url)
            done = await delivered(queue, record.id)
            response = await client.get(f"/api/v1/jobs/{record.id}", headers=AUTH)
    finally:
        await server.close()
    assert done.callbacks[0].status == 204
    assert response.json()["callbacks"][0]["status"] == 204
    assert receiver.rejected == 0
    [payload] = receiver.payloads
    assert isinstance(payload, dict)
    assert payload["id"] == record.id
    assert payload["result"] == {"text": "hi"}
    assert receiver.headers[0]["webhook-id"] == f"job_{record.id}"


async def test_a_callback_url_is_refused_at_submit_without_a_secret(
    service_sections: Mapping[str, Any],
) -> None:
    app = create_app(app_settings(service_sections))
    async with serve(app):
        queue: JobQueue = app.state.resources.get(JOBS)
        with pytest.raises(CallbackURLRefused, match=r"jobs\.webhook_secret"):
            await queue.submit("test-echo", {"text": "hi"}, callback_url="https://example.com/")


async def test_a_private_callback_url_is_refused_at_submit(
    service_sections: Mapping[str, Any],
) -> None:
    app = create_app(app_settings(service_sections, webhook_secret=new_webhook_secret()))
    async with serve(app):
        queue: JobQueue = app.state.resources.get(JOBS)
        with pytest.raises(CallbackURLRefused, match="callback_allowed_networks"):
            await queue.submit("test-echo", {"text": "hi"}, callback_url="http://10.1.2.3/hook")
{%- endif %}
