"""An OTLP/HTTP receiver per test, and settings that export to it."""

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from .receiver import OtlpReceiver


@pytest.fixture
async def receiver() -> AsyncIterator[OtlpReceiver]:
    received = OtlpReceiver()
    app = web.Application()
    app.router.add_post("/v1/traces", received.handle)
    async with TestServer(app, host="127.0.0.1") as server:
        received.endpoint = str(server.make_url("")).rstrip("/")
        yield received
