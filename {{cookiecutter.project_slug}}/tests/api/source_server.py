"""A real aiohttp server the import tests fetch from: data, attachments, redirects, errors."""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.test_utils import TestServer


def pattern(size: int) -> bytes:
    """The bytes /data serves: `size` of them, the same every time."""
    block = bytes(range(256)) * 4096  # 1 MiB
    return (block * (size // len(block) + 1))[:size]


@dataclass
class Source:
    url: str
    port: int
    calls: Counter[str] = field(default_factory=Counter)


@asynccontextmanager
async def source_server() -> AsyncIterator[Source]:
    """The server on 127.0.0.1 (a free port); `calls` counts the requests per path."""
    state = Source(url="", port=0)

    async def data(request: web.Request) -> web.StreamResponse:
        state.calls[request.path] += 1
        size = int(request.query.get("size", "1000"))
        response = web.StreamResponse(headers={"Content-Type": "application/x-data"})
        response.content_length = size
        await response.prepare(request)
        body = pattern(size)
        for start in range(0, size, 256 * 1024):
            await response.write(body[start : start + 256 * 1024])
        await response.write_eof()
        return response

    async def attachment(request: web.Request) -> web.Response:
        state.calls[request.path] += 1
        headers = {"Content-Disposition": 'attachment; filename="../../evil.txt"'}
        return web.Response(body=b"attached", headers=headers, content_type="text/plain")

    async def redirect(request: web.Request) -> web.Response:
        state.calls[request.path] += 1
        raise web.HTTPFound(location=request.query["to"])

    async def status(request: web.Request) -> web.Response:
        state.calls[request.path] += 1
        return web.Response(status=int(request.match_info["code"]), text="nope")

    async def slow(request: web.Request) -> web.Response:
        state.calls[request.path] += 1
        await asyncio.sleep(10)
        return web.Response(text="too late")

    app = web.Application()
    app.router.add_get("/files/data.bin", data)
    app.router.add_get("/files/attachment", attachment)
    app.router.add_get("/redirect", redirect)
    app.router.add_get("/status/{code}", status)
    app.router.add_get("/slow", slow)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    state.url, state.port = str(server.make_url("/")), server.port or 0
    try:
        yield state
    finally:
        await server.close()


__all__ = ["Source", "pattern", "source_server"]
