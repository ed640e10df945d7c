"""/health, /ready and /version, and the lifespan that backs them."""

import asyncio
import gc
import logging

import httpx
import pytest
from fastapi import FastAPI

from {{ cookiecutter.package_name }} import DISTRIBUTION, __version__
{% if cookiecutter.with_http_client -%}
from {{ cookiecutter.package_name }}.features.http_client import HTTP_SESSION
{% endif -%}
from {{ cookiecutter.package_name }}.resources import Resources
from {{ cookiecutter.package_name }}.server import create_app, health

from .conftest import DEFAULT_CHECKS, make_settings


async def test_health_is_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_version_reports_distribution_and_version(client: httpx.AsyncClient) -> None:
    response = await client.get("/version")
    assert response.json() == {"name": DISTRIBUTION, "version": __version__}


async def test_ready_without_dependencies(client: httpx.AsyncClient) -> None:
    response = await client.get("/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": DEFAULT_CHECKS}


async def test_ready_runs_registered_checks(app: FastAPI, client: httpx.AsyncClient) -> None:
    calls: list[str] = []

    async def upstream() -> None:
        calls.append("upstream")

    resources: Resources = app.state.resources
    resources.readiness_checks["upstream"] = upstream
    response = await client.get("/ready")
    assert response.status_code == 200
    assert response.json()["checks"] == {**DEFAULT_CHECKS, "upstream": "ok"}
    assert calls == ["upstream"]


async def test_failing_check_makes_ready_503_in_the_envelope(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    async def broken() -> None:
        raise ConnectionError("secret internal hostname db-7.internal")

    app.state.resources.readiness_checks["database"] = broken
    response = await client.get("/ready")
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "service_unavailable"
    assert error["details"] == {"checks": {**DEFAULT_CHECKS, "database": "unavailable"}}
    assert "db-7.internal" not in response.text, "failure reasons stay in the log"


async def test_a_failing_check_logs_one_line_per_change_not_per_probe(
    app: FastAPI, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    """Orchestrators probe every few seconds: one line when it breaks, one when it recovers."""
    down = True

    async def flaky() -> None:
        if down:
            raise ConnectionError("connection refused to db-7.internal:5432")

    app.state.resources.readiness_checks["database"] = flaky
    with caplog.at_level(logging.INFO, logger=health.__name__):
        for _ in range(3):
            assert (await client.get("/ready")).status_code == 503
        down = False
        assert (await client.get("/ready")).status_code == 200
    lines = [(r.levelname, r.getMessage(), r.exc_info) for r in caplog.records]
    assert lines == [
        (
            "WARNING",
            "readiness check database: unavailable "
            "(ConnectionError: connection refused to db-7.internal:5432)",
            None,
        ),
        ("INFO", "readiness check database: ok again", None),
    ]


async def test_hanging_check_times_out(
    app: FastAPI, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(health, "CHECK_TIMEOUT_SECONDS", 0.05)

    async def hangs() -> None:
        await asyncio.sleep(10)

    checks = app.state.resources.readiness_checks
    # Only this check: a real one (the database) could also miss so short a budget.
    checks.clear()
    checks["slow"] = hangs
    response = await client.get("/ready")
    assert response.status_code == 503
    assert response.json()["error"]["details"]["checks"] == {"slow": "timeout"}


async def test_lifespan_owns_resources_and_marks_shutdown(app: FastAPI) -> None:
    async with app.router.lifespan_context(app):
        resources: Resources = app.state.resources
        assert not resources.shutting_down
    assert resources.shutting_down, "after shutdown /ready must report not ready"


async def test_only_a_serving_process_freezes_its_startup_objects() -> None:
    """`serve` asks for it; an app built by a test (or embedded elsewhere) leaves gc alone."""
    # Not necessarily 0: an interpreter may keep objects of its own there (3.12 does).
    before = gc.get_freeze_count()
    plain = create_app(make_settings())
    async with plain.router.lifespan_context(plain):
        assert gc.get_freeze_count() == before
    served = create_app(make_settings(), freeze_startup_objects=True)
    try:
        async with served.router.lifespan_context(served):
            # Everything alive then: far more than an interpreter's own few hundred.
            assert gc.get_freeze_count() > before + 10_000
    finally:
        gc.unfreeze()
{%- if cookiecutter.with_http_client %}


async def test_lifespan_opens_and_closes_the_shared_http_session(app: FastAPI) -> None:
    async with app.router.lifespan_context(app):
        session = app.state.resources.get(HTTP_SESSION)
        assert not session.closed
    assert session.closed, "shutdown closes the pooled aiohttp session"
{%- endif %}
