"""App fixtures: the real app, its lifespan entered, driven through httpx's ASGITransport."""
{%- if cookiecutter.with_database %}

import asyncio
import shutil
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import make_url

from {{ cookiecutter.package_name }}.db import migrate
from {{ cookiecutter.package_name }}.db.engine import sqlite_file
from {{ cookiecutter.package_name }}.features.database import DatabaseSettings
from {{ cookiecutter.package_name }}.server import create_app
from {{ cookiecutter.package_name }}.service import Settings
{%- else %}

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from {{ cookiecutter.package_name }}.server import create_app
from {{ cookiecutter.package_name }}.service import Settings
{%- endif %}

TOKEN = "test-token-0123456789"
{%- set default_checks = (['"database": "ok"'] if cookiecutter.with_database else []) + (['"jobs": "ok"'] if cookiecutter.with_jobs else []) %}
{%- set check_notes = (["the database: its SQLite file, at head"] if cookiecutter.with_database else []) + (["jobs: in-process"] if cookiecutter.with_jobs else []) %}
# What /ready checks by default{{ " (" ~ check_notes | join("; ") ~ ")" if check_notes }}.
DEFAULT_CHECKS: dict[str, str] = {{ "{" ~ default_checks | join(", ") ~ "}" }}

ClientFactory = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]
{%- if cookiecutter.with_database %}


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file at the migrations' head, made once per run (`make run` migrates too)."""
    path = tmp_path_factory.mktemp("database") / "head.db"
    settings = DatabaseSettings(url=f"sqlite+aiosqlite:///{path}")
    # Its own loop, in a thread: a session fixture is synchronous.
    thread = threading.Thread(target=asyncio.run, args=(migrate.upgrade(settings),))
    thread.start()
    thread.join()
    assert path.is_file()
    return path


@pytest.fixture(autouse=True)
def default_database(migrated_database: Path, tmp_path: Path) -> None:
    """The default settings' database (./data/…db in the test's directory) is at head."""
    default = sqlite_file(make_url(Settings.defaults().database.url.get_secret_value()))
    assert default is not None
    target = tmp_path / default
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(migrated_database, target)
{%- endif %}


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
