"""The session dependency: one transaction per request, committed or rolled back."""

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter, FastAPI, HTTPException
from sqlalchemy import (
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    func,
    insert,
    select,
)

from {{ cookiecutter.package_name }}.db.dependencies import SessionDep
from {{ cookiecutter.package_name }}.features.database import ENGINE, SESSIONS, DatabaseSettings
from {{ cookiecutter.package_name }}.server import create_app
from {{ cookiecutter.package_name }}.service import Settings

from ..server.conftest import serve

metadata = MetaData()
suffix = uuid.uuid4().hex[:8]
notes = Table(
    f"notes_{suffix}",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("body", String(100), nullable=False),
)
# Checked at commit (deferred), so a bad reference makes the commit itself fail.
replies = Table(
    f"replies_{suffix}",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "note_id",
        ForeignKey(notes.c.id, deferrable=True, initially="DEFERRED"),
        nullable=False,
    ),
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

    @router.post("/notes/{note_id}/replies", status_code=201)
    async def reply(note_id: int, session: SessionDep) -> dict[str, int]:
        await session.execute(insert(replies).values(note_id=note_id))
        return {"note_id": note_id}

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
            await connection.run_sync(metadata.create_all)
        try:
            yield app, client
        finally:
            async with engine.begin() as connection:
                await connection.run_sync(metadata.drop_all)


async def count(app: FastAPI, table: Table = notes) -> int:
    async with app.state.resources.get(SESSIONS)() as session:
        rows: int = (await session.execute(select(func.count()).select_from(table))).scalar_one()
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


async def test_a_commit_that_fails_is_a_500_not_a_success(
    client: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    """The commit runs before the response: the client never sees 201 for lost writes."""
    app, http = client
    response = await http.post("/notes/404/replies")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert await count(app, replies) == 0
