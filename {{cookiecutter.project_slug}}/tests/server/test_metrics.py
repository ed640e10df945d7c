"""GET /metrics: request counts by route template, per-app registries, auth."""

import httpx
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from {{ cookiecutter.package_name }}.server import create_app

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
