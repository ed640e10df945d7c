"""Uploads cut short by the client leave nothing behind: no file, no object, no parts.

Once through the ASGI interface (a receive that reports the disconnect, deterministic) and
once through a real uvicorn process and a socket that is closed mid-body.{{ " On S3, an upload\nthat finds the upload buffer budget spent gets 503 with Retry-After and stores nothing." if cookiecutter.with_s3 }}
"""

import asyncio
import os
from collections.abc import {{ "AsyncIterator, " if cookiecutter.with_s3 }}Awaitable, Callable, Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from starlette.types import Message, Scope

from {{ cookiecutter.package_name }}.config import CONFIG_ENV_VAR
from {{ cookiecutter.package_name }}.server import create_app

from ..server.child import HOST, serve_in_child
from .conftest import MIB, Backend{{ ", api_config, assert_envelope, s3_backend, serve" if cookiecutter.with_s3 }}

# Past S3's first 5 MiB part: a multipart upload exists when the client goes away.
SENT_BYTES = 7 * MIB
DECLARED_BYTES = 32 * MIB
POLL_SECONDS = 0.05
POLLS = 300


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    """Poll `check` until it holds: state in another process cannot be awaited directly."""
    for _ in range(POLLS):
        if await check():
            return
        await asyncio.sleep(POLL_SECONDS)
    pytest.fail(f"not within {POLLS * POLL_SECONDS:.0f} s: {what}")


def put_scope(path: str, content_length: int) -> Scope:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "PUT",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), (b"content-length", str(content_length).encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }


async def test_disconnect_mid_body_leaves_nothing(backend: Backend) -> None:
    app = create_app(backend.settings())
    pieces = [os.urandom(MIB) for _ in range(SENT_BYTES // MIB)]
    sent: list[Message] = []

    async def receive() -> Message:
        if pieces:
            return {"type": "http.request", "body": pieces.pop(), "more_body": True}
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    async with app.router.lifespan_context(app):
        await app(put_scope("/api/v1/objects/cut.bin", DECLARED_BYTES), receive, send)
        assert await backend.leftovers() == [], "cleaned up before the response"
    assert sent[0]["type"] == "http.response.start"
    assert sent[0]["status"] == 400


@pytest.fixture
def server(backend: Backend, tmp_path: Path) -> Iterator[tuple[str, int]]:
    """`serve` in a child process with the backend's settings; yields (host, port)."""
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(backend.config), encoding="utf-8")
    with serve_in_child(tmp_path / "server.log", {CONFIG_ENV_VAR: str(config)}) as served:
        yield HOST, served.port


async def test_closed_socket_mid_upload_leaves_nothing(
    backend: Backend, server: tuple[str, int]
) -> None:
    host, port = server
    _, writer = await asyncio.open_connection(host, port)
    head = (
        "PUT /api/v1/objects/partial.bin HTTP/1.1\r\n"
        f"Host: {host}\r\nContent-Length: {DECLARED_BYTES}\r\n\r\n"
    )
    writer.write(head.encode())
    for _ in range(SENT_BYTES // MIB):
        writer.write(os.urandom(MIB))
        await writer.drain()

    async def in_progress() -> bool:
        return await backend.leftovers() != []

    async def gone() -> bool:
        return await backend.leftovers() == []

    await eventually(in_progress, "a temporary file, or a multipart upload with a part")
    writer.transport.abort()
    await eventually(gone, "nothing left once the client is gone")
    async with httpx.AsyncClient(base_url=f"http://{host}:{port}") as client:
        assert (await client.get("/api/v1/objects/partial.bin")).status_code == 404
        assert (await client.get("/health")).status_code == 200


async def test_real_server_refuses_raw_traversal_and_answers_head(
    server: tuple[str, int],
) -> None:
    """Paths exactly as sent on the wire (no client normalised the dots away)."""
    host, port = server
    for target in ("/api/v1/objects/../../etc/passwd", "/api/v1/objects/a/./b"):
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(f"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        status_line = await reader.readline()
        writer.close()
        await writer.wait_closed()
        assert status_line.startswith(b"HTTP/1.1 400 "), (target, status_line)
    async with httpx.AsyncClient(base_url=f"http://{host}:{port}") as client:
        await client.put("/api/v1/objects/h.bin", content=b"12345")
        head = await client.head("/api/v1/objects/h.bin")
    assert (head.status_code, head.headers["content-length"], head.content) == (200, "5", b"")
{%- if cookiecutter.with_s3 %}


@pytest.fixture
def small_budget(request: pytest.FixtureRequest) -> Backend:
    """S3 with an upload buffer budget of one 5 MiB part, and a wait of 0.2 s for it."""
    backend = s3_backend(api_config(request), request)
    backend.config["s3"].update(upload_buffer_bytes=5 * MIB, upload_buffer_wait_seconds=0.2)
    return backend


async def test_upload_past_the_buffer_budget_is_503_with_retry_after(small_budget: Backend) -> None:
    """One unsized upload holds the whole budget: the next upload waits, then gets 503."""
    backend = small_budget
    release = asyncio.Event()
    reading = asyncio.Event()

    async def held_open() -> AsyncIterator[bytes]:
        yield b"first "
        reading.set()
        await release.wait()
        yield b"upload"

    async with serve(backend.settings()) as client:
        # No Content-Length (chunked): it reserves a whole part.
        first = asyncio.create_task(client.put("/api/v1/objects/first", content=held_open()))
        await asyncio.wait_for(reading.wait(), timeout=10)
        busy = await client.put("/api/v1/objects/second", content=b"x" * MIB)
        assert_envelope(busy, 503, "storage_busy")
        assert busy.headers["retry-after"] == "1"
        assert busy.json()["error"]["details"] == {"retry_after": 1}
        release.set()
        assert (await first).status_code == 200
        # The budget came back: the same upload now goes through.
        assert (await client.put("/api/v1/objects/second", content=b"x" * MIB)).status_code == 200
    assert await backend.leftovers() == ["first", "second"]


async def test_a_declared_length_reserves_only_that_much(small_budget: Backend) -> None:
    """Small uploads with Content-Length pass while a sized upload holds part of the budget."""
    backend = small_budget
    release = asyncio.Event()
    reading = asyncio.Event()

    async def held_open() -> AsyncIterator[bytes]:
        yield b"x" * MIB
        reading.set()
        await release.wait()
        yield b"x" * MIB

    async with serve(backend.settings()) as client:
        first = asyncio.create_task(
            client.put(
                "/api/v1/objects/first",
                content=held_open(),
                headers={"content-length": str(2 * MIB)},
            )
        )
        await asyncio.wait_for(reading.wait(), timeout=10)
        for i in range(3):
            response = await client.put(f"/api/v1/objects/small-{i}", content=b"y" * MIB)
            assert response.status_code == 200, response.text
        release.set()
        assert (await first).json()["size"] == 2 * MIB
{%- endif %}
