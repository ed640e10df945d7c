"""/ready asks the database: it must answer, and its schema must be at the migrations' head."""

import logging
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from {{ cookiecutter.package_name }}.cli import app as cli
from {{ cookiecutter.package_name }}.db import migrate, schema
from {{ cookiecutter.package_name }}.features.database import DatabaseSettings
from {{ cookiecutter.package_name }}.server import create_app
from {{ cookiecutter.package_name }}.server import health as health_module
from {{ cookiecutter.package_name }}.service import Settings

from ..ports import unused_port
from ..server.conftest import serve

HEAD = str(migrate.head())
SCRIPTS = migrate.MIGRATIONS


async def ready(database: DatabaseSettings) -> tuple[int, str]:
    """/ready's status and its database check, on a fresh app."""
    async with serve(create_app(Settings(database=database))) as client:
        response = await client.get("/ready")
    body = response.json()
    checks = body["checks"] if response.status_code == 200 else body["error"]["details"]["checks"]
    return response.status_code, checks["database"]


async def test_ready_when_the_schema_is_at_head(database: DatabaseSettings) -> None:
    await migrate.upgrade(database)
    assert await ready(database) == (200, "ok")


async def test_a_database_never_migrated_is_behind_head(database: DatabaseSettings) -> None:
    await migrate.downgrade(database, "base")  # the PostgreSQL database is shared by the run
    status, state = await ready(database)
    assert (status, state) == (503, f"schema behind head (database at base, head {HEAD})")
    await migrate.upgrade(database)
    assert await ready(database) == (200, "ok")


@pytest.fixture
def newer_scripts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This release's migrations plus one more revision, in use: a new head."""
    scripts = tmp_path / "migrations"
    shutil.copytree(SCRIPTS, scripts)
    monkeypatch.setattr(migrate, "MIGRATIONS", scripts)
    result = CliRunner().invoke(cli, ["db", "revision", "-m", "next"])
    assert result.exit_code == 0, result.output
    assert migrate.head() not in (None, HEAD)
    return scripts


async def test_behind_head_names_both_revisions_and_upgrade_makes_it_ready(
    database: DatabaseSettings, newer_scripts: Path
) -> None:
    new_head = migrate.head()
    await migrate.upgrade(database, HEAD)
    status, state = await ready(database)
    assert status == 503
    assert state == f"schema behind head (database at {HEAD}, head {new_head})"

    await migrate.upgrade(database)
    try:
        assert await ready(database) == (200, "ok")
    finally:
        # The PostgreSQL database is shared by the run: leave it at the real head.
        await migrate.downgrade(database, HEAD)


async def test_a_revision_this_release_does_not_know_stays_ready(
    database: DatabaseSettings,
    newer_scripts: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A newer release migrated the database (rolling update, rollback): old code serves on."""
    new_head = migrate.head()
    await migrate.upgrade(database)
    monkeypatch.setattr(migrate, "MIGRATIONS", SCRIPTS)  # this release: the database is ahead
    try:
        with caplog.at_level(logging.WARNING, logger=schema.__name__):
            assert await ready(database) == (200, "ok")
        unknown = f"database at revision {new_head}, which this release does not know"
        assert unknown in caplog.text
    finally:
        monkeypatch.setattr(migrate, "MIGRATIONS", newer_scripts)
        await migrate.downgrade(database, HEAD)


async def test_readiness_logs_one_line_per_change_of_state(
    database: DatabaseSettings, caplog: pytest.LogCaptureFixture
) -> None:
    await migrate.downgrade(database, "base")
    app = create_app(Settings(database=database))
    with caplog.at_level(logging.INFO, logger=health_module.__name__):
        async with serve(app) as client:
            for _ in range(3):
                assert (await client.get("/ready")).status_code == 503
            await migrate.upgrade(database)
            for _ in range(2):
                assert (await client.get("/ready")).status_code == 200
    # Only the readiness lines: features may log their own start-up lines meanwhile.
    readiness = [r.getMessage() for r in caplog.records if r.name == health_module.__name__]
    assert readiness == [
        f"readiness check database: schema behind head (database at base, head {HEAD})",
        "readiness check database: ok again",
    ]


async def test_ready_is_503_when_the_database_is_down() -> None:
    closed = f"postgresql+asyncpg://app:pw@127.0.0.1:{unused_port()}/app"
    settings = Settings(database=DatabaseSettings(url=closed))
    async with serve(create_app(settings)) as client:
        response = await client.get("/ready")
    assert response.status_code == 503
    assert response.json()["error"]["details"]["checks"]["database"] == "unavailable"
