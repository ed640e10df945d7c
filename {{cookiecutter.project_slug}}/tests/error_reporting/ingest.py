"""A Sentry ingest endpoint on loopback: it decodes the envelopes the SDK sends, keeps events.

Envelope format: a JSON header line, then items, each a JSON header line and a payload of
`length` bytes (or up to the next newline without one). The body may be compressed (gzip by
default, brotli when the SDK finds it): aiohttp decodes the encodings it knows as it reads,
`decode_body` the rest.
"""

import gzip
import importlib
import json
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

PROJECT_ID = 1


@dataclass
class Ingest:
    dsn: str
    # Every body as it arrived, decompressed: what actually left the process.
    bodies: list[bytes] = field(default_factory=list)
    encodings: list[str] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def raw(self) -> str:
        return b"\n".join(self.bodies).decode("utf-8", "replace")


def decode_body(body: bytes, encoding: str) -> bytes:
    if encoding in ("", "identity") or body.startswith(b"{"):  # plain, or decoded already
        return body
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
    if encoding == "br":
        brotli = importlib.import_module("brotli")  # only present when the SDK can use it
        decoded: bytes = brotli.decompress(body)
        return decoded
    raise ValueError(f"unknown Content-Encoding {encoding!r}")


def parse_envelope(data: bytes) -> tuple[dict[str, Any], list[tuple[dict[str, Any], bytes]]]:
    """The envelope's header and its (item header, payload) pairs."""
    header_line, _, rest = data.partition(b"\n")
    header = json.loads(header_line)
    items = []
    while rest.strip():
        item_line, _, rest = rest.partition(b"\n")
        item_header = json.loads(item_line)
        length = item_header.get("length")
        if length is None:
            payload, _, rest = rest.partition(b"\n")
        else:
            payload, rest = rest[:length], rest[length:].removeprefix(b"\n")
        items.append((item_header, payload))
    return header, items


def build_app(ingest: Ingest) -> web.Application:
    async def envelope(request: web.Request) -> web.Response:
        encoding = request.headers.get("Content-Encoding", "")
        ingest.encodings.append(encoding)
        try:
            data = decode_body(await request.read(), encoding)
            ingest.bodies.append(data)
            _, items = parse_envelope(data)
        except ValueError as exc:  # json's errors are ValueErrors too
            ingest.problems.append(str(exc))
            return web.json_response({"detail": str(exc)}, status=400)
        for item_header, payload in items:
            if item_header.get("type") == "event":
                ingest.events.append(json.loads(payload))
        return web.json_response({})

    async def store(request: web.Request) -> web.Response:
        # The legacy endpoint: one event as the body.
        data = decode_body(await request.read(), request.headers.get("Content-Encoding", ""))
        ingest.bodies.append(data)
        ingest.events.append(json.loads(data))
        return web.json_response({})

    app = web.Application()
    app.router.add_post(f"/api/{PROJECT_ID}/envelope/", envelope)
    app.router.add_post(f"/api/{PROJECT_ID}/store/", store)
    return app


@asynccontextmanager
async def running_ingest() -> AsyncIterator[Ingest]:
    """The endpoint on 127.0.0.1 and a free port; its DSN in `ingest.dsn`."""
    ingest = Ingest(dsn="")
    server = TestServer(build_app(ingest), host="127.0.0.1")
    await server.start_server()
    ingest.dsn = f"http://public@127.0.0.1:{server.port}/{PROJECT_ID}"
    try:
        yield ingest
    finally:
        await server.close()
