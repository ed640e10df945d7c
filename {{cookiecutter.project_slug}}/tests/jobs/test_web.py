"""GET /api/v1/jobs/{id} on the real app, jobs running in-process (the memory broker)."""

from redis.asyncio import Redis

from {{ cookiecutter.package_name }}.features.jobs import JOBS
from {{ cookiecutter.package_name }}.jobs.models import JobStatus
from {{ cookiecutter.package_name }}.resources import Resources
from {{ cookiecutter.package_name }}.server import create_app
from {{ cookiecutter.package_name }}.service import Settings

from ..ports import unused_port
from ..server.conftest import TOKEN, serve
from .conftest import TEST_KINDS
from .helpers import wait_finished

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def app_settings(**jobs: object) -> Settings:
    return Settings.model_validate(
        {"jobs": {"modules": [TEST_KINDS], **jobs}, "server": {"auth": {"token": TOKEN}}}
    )


async def test_a_job_submitted_in_the_app_is_readable_by_id() -> None:
    app = create_app(app_settings())
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


async def test_a_failed_job_shows_its_error_in_the_envelope_shape() -> None:
    app = create_app(app_settings())
    async with serve(app) as client:
        queue = app.state.resources.get(JOBS)
        record = await queue.submit("test-fail", {"code": "bad_source", "message": "404"})
        await wait_finished(queue.store, record.id)
        response = await client.get(f"/api/v1/jobs/{record.id}", headers=AUTH)
    assert response.json()["error"] == {"code": "bad_source", "message": "404"}


async def test_an_unknown_job_is_a_404_in_the_error_envelope() -> None:
    async with serve(create_app(app_settings())) as client:
        response = await client.get("/api/v1/jobs/0123456789abcdef0123456789abcdef", headers=AUTH)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "job_not_found"


async def test_the_job_resource_needs_the_token() -> None:
    async with serve(create_app(app_settings())) as client:
        response = await client.get("/api/v1/jobs/0123456789abcdef0123456789abcdef")
    assert response.status_code == 401


async def test_ready_checks_the_redis_broker(redis_server: str, redis: Redis) -> None:
    app = create_app(app_settings(broker="redis", redis_url=redis_server))
    async with serve(app) as client:
        response = await client.get("/ready")
    body = response.json()
    # Other checks may fail here (an unmigrated database): only the broker's counts.
    checks = body["checks"] if response.status_code == 200 else body["error"]["details"]["checks"]
    assert checks["jobs"] == "ok"


async def test_ready_reports_redis_down() -> None:
    """The API starts without Redis, and /ready says the broker is unavailable."""
    closed = f"redis://127.0.0.1:{unused_port()}/0"
    app = create_app(app_settings(broker="redis", redis_url=closed))
    async with serve(app) as client:
        response = await client.get("/ready")
    assert response.status_code == 503
    assert response.json()["error"]["details"]["checks"]["jobs"] == "unavailable"
