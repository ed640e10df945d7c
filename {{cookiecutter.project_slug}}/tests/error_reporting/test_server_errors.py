"""Server errors as Sentry receives them: a 500 once, with its route; 4xx never; no secrets."""

from typing import Any

from fastapi import FastAPI

from {{ cookiecutter.package_name }} import DISTRIBUTION, __version__
from {{ cookiecutter.package_name }}.server import create_app
from {{ cookiecutter.package_name }}.service import Settings

from ..server.conftest import serve
from .ingest import Ingest

TOKEN = "api-token-0123456789"
# Credentials a client sends (none of them known to the settings).
COOKIE = "cookie-value-4242"
API_KEY = "x-api-key-value-77"
QUERY_TOKEN = "query-token-value-99"
{%- if cookiecutter.with_s3 %}
S3_SECRET = "s3-secret-access-key-5150"
{%- endif %}
{%- if cookiecutter.with_jobs %}
REDIS_PASSWORD = "redis-password-8080"
{%- endif %}

# Secrets of the settings, which the failing route's error message happens to carry.
SETTINGS_SECRETS = [TOKEN{{ ", S3_SECRET" if cookiecutter.with_s3 }}{{ ", REDIS_PASSWORD" if cookiecutter.with_jobs }}]


def settings_for(ingest: Ingest) -> Settings:
    sections: dict[str, Any] = {
        "sentry": {"dsn": ingest.dsn, "environment": "test"},
        "server": {"auth": {"token": TOKEN}},
{%- if cookiecutter.with_s3 %}
        "s3": {"access_key_id": "AKIDTEST", "secret_access_key": S3_SECRET},
{%- endif %}
{%- if cookiecutter.with_jobs %}
        "jobs": {"redis_url": f"redis://:{REDIS_PASSWORD}@127.0.0.1:6379/0"},
{%- endif %}
    }
    return Settings.model_validate(sections)


def app_with_failures(settings: Settings) -> FastAPI:
    app = create_app(settings)

    @app.get("/things/{item}")
    async def broken(item: str) -> None:
        raise RuntimeError(f"cannot load {item} with {' and '.join(SETTINGS_SECRETS)}")

    @app.get("/numbers/{number}")
    async def number(number: int) -> int:
        return number

    return app


AUTH = {"Authorization": f"Bearer {TOKEN}"}
COOKIES = {"Cookie": f"theme=dark; sid={COOKIE}"}


async def test_a_500_is_reported_once_with_its_request_and_route(ingest: Ingest) -> None:
    async with serve(app_with_failures(settings_for(ingest))) as client:
        response = await client.get(
            "/things/42",
            params={"token": QUERY_TOKEN, "page": "2"},
            headers={**AUTH, "X-API-Key": API_KEY, "X-Request-ID": "req-500", **COOKIES},
        )
        assert response.status_code == 500
    assert len(ingest.events) == 1
    event = ingest.events[0]
    assert event["tags"]["request_id"] == "req-500"
    assert event["tags"]["route"] == "/things/{item}"
    assert event["transaction"] == "/things/{item}"
    assert event["release"] == f"{DISTRIBUTION}@{__version__}"
    assert event["environment"] == "test"
    assert event["request"]["method"] == "GET"
    assert event["request"]["url"] == "http://testserver/things/42"
    assert "page=2" in event["request"]["query_string"]
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"


async def test_credentials_and_settings_secrets_are_scrubbed(ingest: Ingest) -> None:
    settings = settings_for(ingest)
    async with serve(app_with_failures(settings)) as client:
        response = await client.get(
            "/things/42",
            params={"token": QUERY_TOKEN, "access_token": QUERY_TOKEN},
            headers={**AUTH, "X-API-Key": API_KEY, **COOKIES},
        )
        assert response.status_code == 500
    assert len(ingest.events) == 1
    raw = ingest.raw()
    leaks = [COOKIE, API_KEY, QUERY_TOKEN, *SETTINGS_SECRETS]
    assert [secret for secret in leaks if secret in raw] == []
    headers = ingest.events[0]["request"]["headers"]
    assert headers["authorization"] == headers["cookie"] == headers["x-api-key"] == "[Filtered]"
    assert headers["host"] == "testserver", "other headers stay"


async def test_client_errors_are_not_reported(ingest: Ingest) -> None:
    async with serve(app_with_failures(settings_for(ingest))) as client:
        assert (await client.get("/things/1")).status_code == 401
        assert (await client.get("/no/such/path", headers=AUTH)).status_code == 404
        assert (await client.get("/numbers/many", headers=AUTH)).status_code == 422
        assert (await client.delete("/numbers/1", headers=AUTH)).status_code == 405
        # Then one error, so the reports above had every chance to arrive first.
        assert (await client.get("/things/1", headers=AUTH)).status_code == 500
    assert [event["tags"]["route"] for event in ingest.events] == ["/things/{item}"]


async def test_a_second_app_in_the_process_reports_as_well(ingest: Ingest) -> None:
    for request_id in ("first", "second"):
        async with serve(app_with_failures(settings_for(ingest))) as client:
            headers = {**AUTH, "X-Request-ID": request_id}
            assert (await client.get("/things/1", headers=headers)).status_code == 500
    assert [event["tags"]["request_id"] for event in ingest.events] == ["first", "second"]
