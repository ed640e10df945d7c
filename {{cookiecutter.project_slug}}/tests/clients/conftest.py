"""A real aiohttp server playing the upstream API, with scripted failures."""

import asyncio
import threading
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from {{ cookiecutter.package_name }}.clients import RetryPolicy

from ..ports import unused_port

# Short backoff so retry tests stay fast; the policy logic is the same at any scale.
FAST_RETRY = RetryPolicy(attempts=3, backoff_base=0.01, backoff_max=0.05)


@dataclass
class Upstream:
    base_url: str
    calls: Counter[str] = field(default_factory=Counter)
    seen_headers: list[dict[str, str]] = field(default_factory=list)
    call_times: list[float] = field(default_factory=list)


def build_app(upstream: Upstream) -> web.Application:
    todos = {1: {"id": 1, "title": "write tests", "completed": True}}

    def count(request: web.Request) -> int:
        upstream.calls[request.path] += 1
        upstream.seen_headers.append(dict(request.headers))
        upstream.call_times.append(asyncio.get_running_loop().time())
        return upstream.calls[request.path]

    async def get_todo(request: web.Request) -> web.Response:
        count(request)
        todo = todos.get(int(request.match_info["todo_id"]))
        if todo is None:
            return web.json_response({"detail": "no such todo"}, status=404)
        return web.json_response(todo)

    async def list_todos(request: web.Request) -> web.Response:
        count(request)
        wanted = request.query.get("completed")
        items = [
            t for t in todos.values() if wanted is None or str(t["completed"]).lower() == wanted
        ]
        return web.json_response(items)

    async def create_todo(request: web.Request) -> web.Response:
        count(request)
        body = await request.json()
        todo = {"id": len(todos) + 1, **body}
        todos[todo["id"]] = todo
        return web.json_response(todo, status=201)

    async def delete_todo(request: web.Request) -> web.Response:
        count(request)
        todos.pop(int(request.match_info["todo_id"]), None)
        return web.Response(status=204)

    async def flaky(request: web.Request) -> web.Response:
        """503, 503, then 200."""
        if count(request) < 3:
            return web.json_response({"detail": "busy"}, status=503)
        return web.json_response({"ok": True})

    async def retry_after(request: web.Request) -> web.Response:
        if count(request) == 1:
            return web.Response(status=503, headers={"Retry-After": "1"})
        return web.json_response({"ok": True})

    async def always_503(request: web.Request) -> web.Response:
        count(request)
        return web.Response(status=503, text="down for maintenance")

    async def hang(request: web.Request) -> web.Response:
        count(request)
        await asyncio.sleep(30)
        return web.Response(text="too late")

    async def stall(request: web.Request) -> web.StreamResponse:
        """Starts the body, then goes quiet: a read timeout in the middle of a stream."""
        count(request)
        response = web.StreamResponse()
        response.content_length = 1000
        await response.prepare(request)
        await response.write(b"s" * 10)
        await asyncio.sleep(30)
        return response

    async def status(request: web.Request) -> web.Response:
        count(request)
        return web.Response(status=int(request.match_info["code"]), text="x" * 5000)

    async def not_json(request: web.Request) -> web.Response:
        count(request)
        return web.Response(text="<html>surprise</html>", content_type="text/html")

    async def data(request: web.Request) -> web.StreamResponse:
        count(request)
        size = int(request.query["size"])
        response = web.StreamResponse()
        response.content_length = size
        await response.prepare(request)
        sent = 0
        while sent < size:
            piece = min(100_000, size - sent)
            await response.write(bytes([sent % 251]) * piece)
            sent += piece
        await response.write_eof()
        return response

    async def echo(request: web.Request) -> web.Response:
        count(request)
        return web.json_response({"path": request.path, "query": dict(request.query)})

    async def redirect(request: web.Request) -> web.Response:
        count(request)
        # Without a target it redirects to itself: a loop.
        raise web.HTTPFound(location=request.query.get("to", str(request.rel_url)))

    async def attachment(request: web.Request) -> web.Response:
        count(request)
        name = request.query.get("name", "../../evil.txt")
        headers = {"Content-Disposition": f'attachment; filename="{name}"'}
        return web.Response(body=b"attached", headers=headers, content_type="text/plain")

    async def chunked(request: web.Request) -> web.StreamResponse:
        """A body without Content-Length: only the streamed byte count can stop it."""
        count(request)
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        for _ in range(int(request.query["pieces"])):
            await response.write(b"c" * 10_000)
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_get("/api/redirect", redirect)
    app.router.add_post("/api/redirect", redirect)
    app.router.add_get("/api/attachment", attachment)
    app.router.add_get("/api/chunked", chunked)
    app.router.add_get("/api/todos/{todo_id}", get_todo)
    app.router.add_get("/api/todos", list_todos)
    app.router.add_post("/api/todos", create_todo)
    app.router.add_delete("/api/todos/{todo_id}", delete_todo)
    app.router.add_get("/api/flaky", flaky)
    app.router.add_get("/api/retry-after", retry_after)
    app.router.add_route("*", "/api/down", always_503)
    app.router.add_get("/api/hang", hang)
    app.router.add_get("/api/stall", stall)
    app.router.add_get("/api/status/{code}", status)
    app.router.add_get("/api/not-json", not_json)
    app.router.add_get("/api/data", data)
    app.router.add_get("/api/echo/{tail:.*}", echo)
    return app


async def serve_upstream() -> AsyncIterator[Upstream]:
    state = Upstream(base_url="")
    server = TestServer(build_app(state), host="127.0.0.1")
    await server.start_server()
    state.base_url = str(server.make_url("/api/"))
    try:
        yield state
    finally:
        await server.close()


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    async for state in serve_upstream():
        yield state


@pytest.fixture
async def elsewhere() -> AsyncIterator[Upstream]:
    """A second upstream on another port: another origin for redirect tests."""
    async for state in serve_upstream():
        yield state


@pytest.fixture
def upstream_in_thread() -> Iterator[str]:
    """The upstream on its own loop in a thread, for tests that run their own event loops."""
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(build_app(Upstream(base_url="")))
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    _, port = runner.addresses[0][:2]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}/api/"
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.run_until_complete(runner.cleanup())
        loop.close()


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 with nothing listening."""
    return unused_port()
