"""Outgoing HTTP: a client span per request, and `traceparent` sent upstream."""

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from {{ cookiecutter.package_name }}.features.http_client import HTTP_SESSION
from {{ cookiecutter.package_name }}.features.telemetry import (
    TRACER_PROVIDER,
    TelemetrySettings,
)
from {{ cookiecutter.package_name }}.resources import open_resources
from {{ cookiecutter.package_name }}.service import Settings
from {{ cookiecutter.package_name }}.telemetry.provider import trace_ids

from .receiver import OtlpReceiver

CLIENT = 3  # the OTLP span kind of a client span


@pytest.fixture
async def upstream() -> AsyncIterator[tuple[str, list[str]]]:
    """An upstream that records the `traceparent` of every request."""
    seen: list[str] = []

    async def handle(request: web.Request) -> web.Response:
        seen.append(request.headers.get("traceparent", ""))
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_get("/items", handle)
    async with TestServer(app, host="127.0.0.1") as server:
        yield str(server.make_url("/items")), seen


async def test_requests_are_client_spans_that_continue_the_trace(
    receiver: OtlpReceiver, upstream: tuple[str, list[str]]
) -> None:
    url, seen = upstream
    settings = Settings(telemetry=TelemetrySettings(endpoint=receiver.endpoint))
    async with open_resources(settings) as resources:
        session = resources.get(HTTP_SESSION)
        tracer = resources.get(TRACER_PROVIDER).get_tracer("test")
        with tracer.start_as_current_span("caller"):
            caller = trace_ids()
            async with session.get(f"{url}?token=s3cret") as response:
                assert response.status == 200
    [client] = [span for span in receiver.spans if span.kind == CLIENT and span.name == "GET"]
    assert (client.trace_id, client.parent_span_id) == (caller["trace_id"], caller["span_id"])
    [traceparent] = seen
    assert traceparent.split("-")[1:3] == [client.trace_id, client.span_id]
    recorded = " ".join(str(value) for value in client.attributes.values())
    assert "s3cret" not in recorded, "the query string (tokens) is not recorded"
    assert url.split("//")[1] in recorded


async def test_without_an_endpoint_nothing_is_sent_upstream(
    upstream: tuple[str, list[str]],
) -> None:
    url, seen = upstream
    async with (
        open_resources(Settings()) as resources,
        resources.get(HTTP_SESSION).get(url) as response,
    ):
        assert response.status == 200
    assert seen == [""]
