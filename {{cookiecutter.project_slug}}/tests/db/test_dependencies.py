"""The session dependency: one transaction per request, committed or rolled back."""

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter, FastAPI, HTTPException
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select

from {{ cookiecutter.package_name }}.db.dependencies import SessionDep
from {{ cookiecutter.package_name }}.features.database import ENGINE, SESSIONS, DatabaseSettings
from {{ cookiecutter.package_name }}.server import create_app
from {{ cookiecutter.package_name }}.service import Settings

from ..server.conftest import serve

notes = Table(
    f"notes_{uuid.uuid4().hex[:8]}",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("body", String(100), nullable=False),
)


def notes_app(database: DatabaseSettings) -> FastAPI:
    router = APIRouter()

    @router.post("/notes/{body}", status_code=201)
    async def add(body: str, session: SessionDep) -> dict[str, str]:
        await session.execute(insert(notes).values(body=body))
        return {"body": body}

    @router.post("/notes/{body}/fail")
    async def add_then_fail(body: str, session: SessionDep) -> None:
        await session.execute(insert(notes).values(body=body))
        raise HTTPException(409, "changed my mind")

    app = create_app(Settings(database=database))
    app.include_router(router)
    return app


@pytest.fixture
async def client(
    database: DatabaseSettings,
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = notes_app(database)
    async with serve(app) as client:
        engine = app.state.resources.get(ENGINE)
        async with engine.begin() as connection:
            await connection.run_sync(notes.create)
        try:
            yield app, client
        finally:
            async with engine.begin() as connection:
                await connection.run_sync(notes.drop)


async def count(app: FastAPI) -> int:
    async with app.state.resources.get(SESSIONS)() as session:
        rows: int = (await session.execute(select(func.count()).select_from(notes))).scalar_one()
    return rows


async def test_a_request_that_succeeds_commits(
    client: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, http = client
    response = await http.post("/notes/hello")
    assert response.status_code == 201
    assert await count(app) == 1


async def test_a_request_that_fails_rolls_back(
    client: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, http = client
    response = await http.post("/notes/hello/fail")
    assert response.status_code == 409
    assert await count(app) == 0
