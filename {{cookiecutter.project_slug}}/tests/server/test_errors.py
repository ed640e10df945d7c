"""Every error response uses the one JSON envelope, and nothing internal leaks."""

import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from {{ cookiecutter.package_name }}.server import create_app
from {{ cookiecutter.package_name }}.server.errors import error_code

from .conftest import ClientFactory, make_settings


class Item(BaseModel):
    name: str
    size: int


@pytest.fixture
def app() -> FastAPI:
    app = create_app(make_settings(max_body_bytes=1024))

    @app.post("/items")
    async def create_item(item: Item) -> Item:
        return item

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("database password is hunter2")

    return app


@pytest.fixture
async def client(app: FastAPI, running: ClientFactory) -> AsyncIterator[httpx.AsyncClient]:
    async with running(app) as client:
        yield client


def assert_envelope(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "details", "request_id", "trace_id"}
    assert error["code"] == code
    assert error["request_id"] == response.headers["x-request-id"]
    assert error["trace_id"] is None, "no tracing is configured in these tests"
    return dict(error)


async def test_unknown_path_is_404(client: httpx.AsyncClient) -> None:
    assert_envelope(await client.get("/no/such/path"), 404, "not_found")


async def test_wrong_method_is_405_with_allow_header(client: httpx.AsyncClient) -> None:
    response = await client.delete("/health")
    assert_envelope(response, 405, "method_not_allowed")
    assert "GET" in response.headers["allow"]


async def test_validation_error_is_422_without_echoing_input(client: httpx.AsyncClient) -> None:
    response = await client.post("/items", json={"name": "x", "size": "secret-not-a-number"})
    error = assert_envelope(response, 422, "validation_error")
    assert error["details"] == [
        {"loc": ["body", "size"], "msg": error["details"][0]["msg"], "type": "int_parsing"}  # type: ignore[index]
    ]
    assert "secret-not-a-number" not in response.text


async def test_malformed_json_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/items", content=b'{"name": ', headers={"content-type": "application/json"}
    )
    assert_envelope(response, 422, "validation_error")


async def test_unhandled_exception_is_500_without_leaking(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        response = await client.get("/boom")
    error = assert_envelope(response, 500, "internal_error")
    assert error["message"] == "Internal Server Error"
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text
    logged = [r for r in caplog.records if r.exc_info and "hunter2" in str(r.exc_info[1])]
    assert len(logged) == 1, "the exception is logged once, server-side"


async def test_declared_oversized_body_is_413(client: httpx.AsyncClient) -> None:
    response = await client.post("/items", content=b"x" * 2048)
    assert_envelope(response, 413, "payload_too_large")


async def test_streamed_oversized_body_is_413(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(8):
            yield b'{"name": "' + b"y" * 256

    response = await client.post(
        "/items", content=chunks(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert_envelope(response, 413, "payload_too_large")


async def test_body_within_limit_is_accepted(client: httpx.AsyncClient) -> None:
    response = await client.post("/items", json={"name": "ok", "size": 1})
    assert response.status_code == 200
    assert response.json() == {"name": "ok", "size": 1}


@pytest.mark.parametrize(
    ("status", "code"),
    [(400, "bad_request"), (401, "unauthorized"), (404, "not_found"), (503, "service_unavailable")],
)
def test_error_codes_are_snake_case_reason_phrases(status: int, code: str) -> None:
    assert error_code(status) == code
