"""Each middleware's guarantee, their order, and that non-HTTP scopes pass through untouched."""

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from starlette.middleware.cors import CORSMiddleware
from starlette.types import Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from {{ cookiecutter.package_name }}.server import create_app
{%- if cookiecutter.with_metrics %}
from {{ cookiecutter.package_name }}.server.metrics import Metrics, MetricsMiddleware
{%- endif %}
from {{ cookiecutter.package_name }}.server.middleware import (
    BearerAuthMiddleware,
    BodyLimit,
    BodySizeLimitMiddleware,
    ProcessTimeMiddleware,
    RequestIdMiddleware,
    ServerErrorMiddleware,
)
{%- if cookiecutter.with_otel %}
from {{ cookiecutter.package_name }}.telemetry.asgi import TracingMiddleware
{%- endif %}

from .conftest import TOKEN, ClientFactory, make_settings

ORIGIN = "https://app.example"


@pytest.fixture
def secured_app() -> FastAPI:
    return create_app(make_settings(auth={"token": TOKEN}, cors={"allow_origins": [ORIGIN]}))


@pytest.fixture
async def secured(secured_app: FastAPI, running: ClientFactory) -> AsyncIterator[httpx.AsyncClient]:
    async with running(secured_app) as client:
        yield client


def test_middleware_order_is_explicit(secured_app: FastAPI) -> None:
    """Outermost first; the reasons are written next to each entry in build_middleware."""
    classes: list[object] = [m.cls for m in secured_app.user_middleware]
    assert classes == [
        ProxyHeadersMiddleware,
        RequestIdMiddleware,
        ProcessTimeMiddleware,
{%- if cookiecutter.with_otel %}
        TracingMiddleware,
{%- endif %}
{%- if cookiecutter.with_metrics %}
        MetricsMiddleware,
{%- endif %}
        CORSMiddleware,
        ServerErrorMiddleware,
        BearerAuthMiddleware,
        BodySizeLimitMiddleware,
    ]


def test_root_path_setting_builds_without_warnings() -> None:
    """The prefix is applied by the server (`serve` passes it to uvicorn), not the app."""
    app = create_app(make_settings(root_path="/svc"))
    assert app.root_path == ""


def test_optional_layers_are_absent_when_not_configured(app: FastAPI) -> None:
    classes: list[object] = [m.cls for m in app.user_middleware]
    assert CORSMiddleware not in classes
    assert BearerAuthMiddleware not in classes


def _instances() -> list[Any]:
    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        raise AssertionError("replaced in the test")

    return [
        RequestIdMiddleware(inner),
        ProcessTimeMiddleware(inner),
        ServerErrorMiddleware(inner),
        BearerAuthMiddleware(inner, token=TOKEN),
        BodySizeLimitMiddleware(inner, max_body_bytes=1),
{%- if cookiecutter.with_metrics %}
        MetricsMiddleware(inner, metrics=Metrics()),
{%- endif %}
{%- if cookiecutter.with_otel %}
        TracingMiddleware(inner),
{%- endif %}
    ]


@pytest.mark.parametrize("scope_type", ["lifespan", "websocket"])
@pytest.mark.parametrize("middleware", _instances(), ids=lambda m: type(m).__name__)
async def test_non_http_scopes_pass_through_untouched(middleware: Any, scope_type: str) -> None:
    seen: list[tuple[Scope, Receive, Send]] = []

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append((scope, receive, send))

    async def receive() -> Message:
        return {"type": f"{scope_type}.startup"}

    async def send(message: Message) -> None:
        raise AssertionError("the middleware must not send anything itself")

    middleware.app = inner
    # With the token: the auth layer guards handshakes (tested below) and passes good ones on.
    headers = [(b"authorization", f"Bearer {TOKEN}".encode())]
    scope: Scope = {"type": scope_type, "path": "/", "headers": headers}
    before = dict(scope)
    await middleware(scope, receive, send)
    assert seen == [(scope, receive, send)], "same scope, receive and send objects"
    assert scope == before, "scope not modified"


@pytest.mark.parametrize(
    ("path", "headers", "accepted"),
    [
        ("/ws", [], False),
        ("/ws", [(b"authorization", b"Bearer wrong")], False),
        ("/ws", [(b"authorization", f"Bearer {TOKEN}".encode())], True),
        ("/health", [], True),
    ],
)
async def test_websocket_handshakes_need_the_token(
    path: str, headers: list[tuple[bytes, bytes]], accepted: bool
) -> None:
    reached: list[str] = []
    sent: list[Message] = []

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        reached.append(scope["path"])

    async def receive() -> Message:
        return {"type": "websocket.connect"}

    async def send(message: Message) -> None:
        sent.append(message)

    middleware = BearerAuthMiddleware(inner, token=TOKEN, public_paths=["/health"])
    await middleware({"type": "websocket", "path": path, "headers": headers}, receive, send)
    if accepted:
        assert (reached, sent) == ([path], [])
    else:
        # Closed before acceptance: the server answers the handshake with 403.
        assert (reached, sent) == ([], [{"type": "websocket.close", "code": 1008}])


async def test_lifespan_runs_through_the_full_stack(secured_app: FastAPI) -> None:
    """The real ASGI lifespan protocol reaches the app through every layer."""
    messages: list[Message] = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[str] = []

    async def receive() -> Message:
        return messages.pop(0)

    async def send(message: Message) -> None:
        sent.append(message["type"])

    await secured_app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


async def test_request_id_is_generated(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


async def test_safe_incoming_request_id_is_reused(client: httpx.AsyncClient) -> None:
    response = await client.get("/health", headers={"X-Request-ID": "edge-abc.123"})
    assert response.headers["x-request-id"] == "edge-abc.123"


@pytest.mark.parametrize("hostile", ["a" * 200, "bad id", "x\ty", "<script>"])
async def test_unsafe_incoming_request_id_is_replaced(
    client: httpx.AsyncClient, hostile: str
) -> None:
    response = await client.get("/health", headers={"X-Request-ID": hostile})
    assert response.headers["x-request-id"] != hostile
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


async def test_process_time_header_is_milliseconds(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert float(response.headers["x-process-time"]) >= 0


async def test_request_without_token_gets_401_envelope(secured: httpx.AsyncClient) -> None:
    response = await secured.get("/version")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    error = response.json()["error"]
    assert error["code"] == "unauthorized"
    assert error["request_id"] == response.headers["x-request-id"]


@pytest.mark.parametrize(
    "header",
    [f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", "Bearer ", f"Basic {TOKEN}", TOKEN],
)
async def test_wrong_token_gets_401(secured: httpx.AsyncClient, header: str) -> None:
    response = await secured.get("/version", headers={"Authorization": header})
    assert response.status_code == 401


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
async def test_right_token_passes(secured: httpx.AsyncClient, scheme: str) -> None:
    response = await secured.get("/version", headers={"Authorization": f"{scheme} {TOKEN}"})
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/health", "/ready", "/openapi.json", "/docs"])
async def test_public_paths_stay_open(secured: httpx.AsyncClient, path: str) -> None:
    response = await secured.get(path)
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/healthz", "/health/", "/ready/x", "/no/such/path"])
async def test_near_public_paths_are_not_open(secured: httpx.AsyncClient, path: str) -> None:
    response = await secured.get(path)
    assert response.status_code == 401


def test_empty_token_is_refused() -> None:
    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        raise AssertionError

    with pytest.raises(ValueError, match="non-empty token"):
        BearerAuthMiddleware(inner, token="")


async def test_cors_preflight_needs_no_token(secured: httpx.AsyncClient) -> None:
    # Prefer: RFC 7240's `respond-async`, which asks for a job instead of waiting.
    response = await secured.options(
        "/version",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, prefer",
        },
    )
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert "prefer" in response.headers["access-control-allow-headers"].lower()


async def test_cors_headers_reach_error_responses(secured: httpx.AsyncClient) -> None:
    response = await secured.get("/version", headers={"Origin": ORIGIN})
    assert response.status_code == 401
    assert response.headers["access-control-allow-origin"] == ORIGIN
    exposed = response.headers["access-control-expose-headers"].lower().split(", ")
    assert {"x-request-id", "location", "retry-after"} <= set(exposed)


async def test_cors_refuses_other_origins(secured: httpx.AsyncClient) -> None:
    response = await secured.options(
        "/version",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


async def test_forwarded_client_is_trusted_only_from_allowed_proxies(
    running: ClientFactory,
) -> None:
    seen: list[tuple[str | None, str]] = []

    def build(trusted: list[str]) -> FastAPI:
        app = create_app(make_settings(forwarded_allow_ips=trusted))

        @app.get("/whoami")
        async def whoami(request: Request) -> None:
            seen.append((request.client.host if request.client else None, request.url.scheme))

        return app

    headers = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    for trusted in (["127.0.0.1"], ["10.0.0.1"]):
        async with running(build(trusted)) as client:
            await client.get("/whoami", headers=headers)
    # httpx's ASGITransport presents the peer as 127.0.0.1.
    assert seen == [("203.0.113.9", "https"), ("127.0.0.1", "http")]


async def test_a_body_limit_override_applies_to_its_method_and_paths_only() -> None:
    """Uploads below a prefix may be larger; everything else keeps the global limit."""

    async def count_body(scope: Scope, receive: Receive, send: Send) -> None:
        size, more = 0, True
        while more:
            message = await receive()
            size += len(message.get("body", b""))
            more = message.get("more_body", False)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(size).encode()})

    async def chunks(total: int) -> AsyncIterator[bytes]:
        for _ in range(total // 100):
            yield b"x" * 100

    override = BodyLimit(prefix="/uploads/", max_bytes=1000)
    app = BodySizeLimitMiddleware(count_body, max_body_bytes=100, overrides=[override])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        assert (await client.put("/uploads/a", content=b"x" * 1000)).text == "1000"
        assert (await client.put("/uploads/a", content=chunks(1000))).text == "1000"
        for method, path, size in [
            ("PUT", "/uploads/a", 1001),
            ("POST", "/uploads/a", 101),
            ("PUT", "/uploadsX", 101),
            ("PUT", "/other", 101),
        ]:
            declared = await client.request(method, path, content=b"x" * size)
            streamed = await client.request(method, path, content=chunks(size + 99))
            assert (declared.status_code, streamed.status_code) == (413, 413), (method, path)
