"""GET /metrics: request counts by route template, per-app registries, auth."""

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from pydantic import ValidationError

from {{ cookiecutter.package_name }}.server import create_app
from {{ cookiecutter.package_name }}.service import Settings

from .conftest import TOKEN, ClientFactory, make_settings


def samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    return {
        tuple(sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    }


async def test_requests_are_counted_by_route_template(client: httpx.AsyncClient) -> None:
    await client.get("/health")
    await client.get("/health")
    await client.get("/random/path/abc123")
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    counts = samples(response.text, "http_requests_total")
    assert counts[(("method", "GET"), ("route", "/health"), ("status", "200"))] == 2
    assert counts[(("method", "GET"), ("route", "unmatched"), ("status", "404"))] == 1
    assert not any("abc123" in str(labels) for labels in counts), "raw paths never become labels"


async def test_each_app_has_its_own_registry(running: ClientFactory) -> None:
    first, second = create_app(make_settings()), create_app(make_settings())
    async with running(first) as client_one, running(second) as client_two:
        await client_one.get("/health")
        text = (await client_two.get("/metrics")).text
    counts = samples(text, "http_requests_total")
    assert (("method", "GET"), ("route", "/health"), ("status", "200")) not in counts


async def test_metrics_need_the_token_when_auth_is_on(running: ClientFactory) -> None:
    app: FastAPI = create_app(make_settings(auth={"token": TOKEN}))
    async with running(app) as client:
        assert (await client.get("/metrics")).status_code == 401
        authorized = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert authorized.status_code == 200
        counts = samples(authorized.text, "http_requests_total")
        assert counts[(("method", "GET"), ("route", "unmatched"), ("status", "401"))] == 1


SCRAPE_TOKEN = "scrape-token-0123456789"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_scrape_token_opens_metrics_and_nothing_else(running: ClientFactory) -> None:
    settings = Settings(server={"auth": {"token": TOKEN}}, metrics={"token": SCRAPE_TOKEN})
    async with running(create_app(settings)) as client:
        scraped = await client.get("/metrics", headers=bearer(SCRAPE_TOKEN))
        assert scraped.status_code == 200
        assert "http_requests_total" in scraped.text
        # The API token keeps working on /metrics; the scrape token opens no other path.
        assert (await client.get("/metrics", headers=bearer(TOKEN))).status_code == 200
        assert (await client.get("/version", headers=bearer(SCRAPE_TOKEN))).status_code == 401
        assert (await client.get("/metrics/", headers=bearer(SCRAPE_TOKEN))).status_code == 401
        assert (await client.get("/metrics", headers=bearer("wrong"))).status_code == 401
        assert (await client.get("/version", headers=bearer(TOKEN))).status_code == 200


async def test_a_scrape_token_counts_under_the_root_path(running: ClientFactory) -> None:
    settings = Settings(
        server={"auth": {"token": TOKEN}, "root_path": "/svc"}, metrics={"token": SCRAPE_TOKEN}
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, root_path="/svc")
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            scraped = await client.get("/svc/metrics", headers=bearer(SCRAPE_TOKEN))
    assert scraped.status_code == 200, scraped.text


def test_a_scrape_token_without_authentication_is_refused() -> None:
    """With auth off /metrics is open: a scrape token there would only look protective."""
    with pytest.raises(ValidationError, match=r"server\.auth\.token is not"):
        Settings(metrics={"token": SCRAPE_TOKEN})


def test_a_blank_scrape_token_is_refused() -> None:
    with pytest.raises(ValidationError, match="must not be blank"):
        Settings(server={"auth": {"token": TOKEN}}, metrics={"token": "  "})


def test_the_scrape_token_is_hidden_in_dumps() -> None:
    settings = Settings(server={"auth": {"token": TOKEN}}, metrics={"token": SCRAPE_TOKEN})
    assert SCRAPE_TOKEN not in repr(settings)
    assert SCRAPE_TOKEN not in settings.model_dump_json()


async def test_durations_are_a_histogram_per_route_template(client: httpx.AsyncClient) -> None:
    for _ in range(3):
        await client.get("/health")
    text = (await client.get("/metrics")).text
    health = (("method", "GET"), ("route", "/health"))
    assert samples(text, "http_request_duration_seconds_count")[health] == 3
    assert samples(text, "http_request_duration_seconds_sum")[health] > 0
    buckets = {
        dict(labels)["le"]: value
        for labels, value in samples(text, "http_request_duration_seconds_bucket").items()
        if dict(labels)["route"] == "/health"
    }
    counts = [buckets[le] for le in sorted(buckets, key=float)]
    assert counts == sorted(counts), "buckets are cumulative"
    assert counts[-1] == buckets["+Inf"] == 3


async def test_unknown_methods_share_one_label(client: httpx.AsyncClient) -> None:
    """A client can send any token as a method; it must not become a new time series."""
    await client.request("BREW", "/health")
    text = (await client.get("/metrics")).text
    methods = {dict(labels)["method"] for labels in samples(text, "http_requests_total")}
    assert methods == {"other"}, "the scrape itself is counted after it is rendered"
    assert samples(text, "http_requests_in_progress")[()] == 1, "the scrape itself"


async def test_a_route_histogram_counts_every_status(running: ClientFactory) -> None:
    app: FastAPI = create_app(make_settings(auth={"token": TOKEN}))
    authorized = {"Authorization": f"Bearer {TOKEN}"}
    async with running(app) as client:
        await client.get("/nothing")  # 401: refused before routing
        await client.get("/nothing", headers=authorized)  # 404
        text = (await client.get("/metrics", headers=authorized)).text
    unmatched = (("method", "GET"), ("route", "unmatched"))
    assert samples(text, "http_request_duration_seconds_count")[unmatched] == 2
    counts = samples(text, "http_requests_total")
    assert counts[(*unmatched, ("status", "401"))] == 1
    assert counts[(*unmatched, ("status", "404"))] == 1
