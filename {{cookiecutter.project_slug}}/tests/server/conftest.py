"""App fixtures: the real app, its lifespan entered, driven through httpx's ASGITransport."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from {{ cookiecutter.package_name }}.server import create_app
from {{ cookiecutter.package_name }}.service import Settings

TOKEN = "test-token-0123456789"
# What /ready checks with the default settings{{ " (the database: SELECT 1 on its SQLite file)" if cookiecutter.with_database }}.
DEFAULT_CHECKS: dict[str, str] = {{ '{"database": "ok"}' if cookiecutter.with_database else "{}" }}

ClientFactory = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]


def make_settings(**server: Any) -> Settings:
    """Defaults with `server` overrides, e.g. make_settings(auth={"token": "x"})."""
    return Settings(server=server)


@asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Run the lifespan, then yield a client that talks to the app in-process."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


@pytest.fixture
def app() -> FastAPI:
    return create_app(make_settings())


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(app) as client:
        yield client


@pytest.fixture
def running() -> ClientFactory:
    """For tests that build their own app: `async with running(app) as client`."""
    return serve
