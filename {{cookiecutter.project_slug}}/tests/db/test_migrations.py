"""Migrations: a round trip on both databases, and the `db` commands."""

import pytest
from typer.testing import CliRunner

from {{ cookiecutter.package_name }}.cli import app
from {{ cookiecutter.package_name }}.config import ENV_PREFIX
from {{ cookiecutter.package_name }}.db import migrate
from {{ cookiecutter.package_name }}.features.database import DatabaseSettings

runner = CliRunner()
HEAD = migrate.head()


def test_the_scripts_have_one_head() -> None:
    assert HEAD == "0001"


async def test_upgrade_downgrade_upgrade_round_trip(database: DatabaseSettings) -> None:
    assert await migrate.upgrade(database) == HEAD
    assert await migrate.downgrade(database, "base") is None
    assert await migrate.current(database) is None
    assert await migrate.upgrade(database, "head") == HEAD
    assert await migrate.describe_current(database) == f"{HEAD} (head)"


def test_db_commands_report_the_revision(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}DATABASE__URL", database_url)
    upgraded = runner.invoke(app, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert upgraded.stdout.strip() == f"at {HEAD}"
    assert runner.invoke(app, ["db", "current"]).stdout.strip() == f"{HEAD} (head)"

    downgraded = runner.invoke(app, ["db", "downgrade", "base"])
    assert downgraded.exit_code == 0, downgraded.output
    current = runner.invoke(app, ["db", "current"])
    assert current.stdout.strip() == f"base (behind head {HEAD})"
