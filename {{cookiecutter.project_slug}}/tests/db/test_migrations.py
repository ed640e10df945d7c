"""Migrations: a round trip on both databases, and the `db` commands."""

import shutil
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from typer.testing import CliRunner

from {{ cookiecutter.package_name }}.cli import app
from {{ cookiecutter.package_name }}.config import ENV_PREFIX
from {{ cookiecutter.package_name }}.db import migrate
from {{ cookiecutter.package_name }}.features.database import DatabaseSettings

runner = CliRunner()
HEAD = str(migrate.head())


def test_the_chain_starts_at_the_baseline_and_has_one_head() -> None:
    scripts = ScriptDirectory.from_config(migrate.alembic_config())
    assert scripts.get_bases() == ["0001"]
    assert scripts.get_heads() == [HEAD]


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


def test_an_unknown_revision_is_an_error_not_a_traceback(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}DATABASE__URL", database_url)
    result = runner.invoke(app, ["db", "upgrade", "no-such-revision"])
    assert result.exit_code == 1
    assert "no-such-revision" in result.stderr
    assert "Traceback" not in result.output


def test_db_revision_writes_a_script_that_migrates(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Autogenerate against the models (none yet): a new head the database can reach."""
    scripts = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS, scripts)
    monkeypatch.setattr(migrate, "MIGRATIONS", scripts)
    monkeypatch.setenv(f"{ENV_PREFIX}DATABASE__URL", database_url)
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0

    result = runner.invoke(app, ["db", "revision", "-m", "add notes", "--autogenerate"])
    assert result.exit_code == 0, result.output
    [written] = (scripts / "versions").glob("rev_*_add_notes.py")
    assert result.stdout.strip() == f"wrote {written}"
    source = written.read_text(encoding="utf-8")
    compile(source, str(written), "exec")
    assert f'down_revision: str | tuple[str, ...] | None = "{HEAD}"' in source
    new_head = migrate.head()
    assert new_head not in (None, HEAD)
    try:
        assert runner.invoke(app, ["db", "upgrade"]).stdout.strip() == f"at {new_head}"
    finally:
        # The PostgreSQL database is shared by the run: leave it at the real head.
        assert runner.invoke(app, ["db", "downgrade", HEAD]).exit_code == 0
