"""With S3 enabled the lifespan opens one S3Client and /ready checks its bucket."""

import httpx
import pytest
from fastapi import FastAPI

from {{ cookiecutter.package_name }}.features.s3 import S3_CLIENT, S3Settings
from {{ cookiecutter.package_name }}.resources import Resources
from {{ cookiecutter.package_name }}.server import create_app
from {{ cookiecutter.package_name }}.service import Settings
from {{ cookiecutter.package_name }}.storage.s3_client import S3Client

from ..ports import unused_port
from .conftest import DEFAULT_CHECKS, ClientFactory


async def test_ready_checks_the_bucket(running: ClientFactory, s3_settings: S3Settings) -> None:
    app = create_app(Settings(s3=s3_settings))
    async with running(app) as client:
        resources: Resources = app.state.resources
        assert isinstance(resources.get(S3_CLIENT), S3Client)
        response = await client.get("/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {**DEFAULT_CHECKS, "s3": "ok"}}


@pytest.mark.parametrize("fault", ["endpoint-down", "bucket-missing"])
async def test_ready_is_503_when_s3_is_unusable(
    running: ClientFactory, s3_settings: S3Settings, fault: str
) -> None:
    broken = s3_settings.model_copy(
        update={"endpoint_url": f"http://127.0.0.1:{unused_port()}"}
        if fault == "endpoint-down"
        else {"bucket": "no-such-bucket-here"}
    )
    async with running(create_app(Settings(s3=broken))) as client:
        response = await client.get("/ready")
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "service_unavailable"
    assert error["details"] == {"checks": {**DEFAULT_CHECKS, "s3": "unavailable"}}


async def test_s3_stays_closed_when_disabled(app: FastAPI, client: httpx.AsyncClient) -> None:
    """The defaults need no bucket: no client is opened and /ready does not ask S3."""
    resources: Resources = app.state.resources
    assert resources.find(S3_CLIENT) is None
    assert "s3" not in resources.readiness_checks
    assert (await client.get("/ready")).status_code == 200


async def test_lifespan_closes_the_client(running: ClientFactory, s3_settings: S3Settings) -> None:
    app = create_app(Settings(s3=s3_settings))
    async with running(app):
        s3 = app.state.resources.get(S3_CLIENT)
        assert await s3.exists("x") is False
    with pytest.raises(RuntimeError, match="closed"):
        await s3.exists("x")
