"""The database URL is a secret: its password never reaches output, messages or logs."""

import pytest
import yaml
from sqlalchemy.exc import OperationalError
from typer.testing import CliRunner

from {{ cookiecutter.package_name }}.cli import app
from {{ cookiecutter.package_name }}.config import ENV_PREFIX, ConfigError, redacted
from {{ cookiecutter.package_name }}.features.database import DatabaseSettings, without_password
from {{ cookiecutter.package_name }}.resources import open_resources
from {{ cookiecutter.package_name }}.service import Settings

from ..ports import unused_port

runner = CliRunner()
PASSWORD = "pw-do-not-print-7f3a"


def closed_url() -> str:
    """PostgreSQL on a port where nothing listens."""
    return f"postgresql+asyncpg://app:{PASSWORD}@127.0.0.1:{unused_port()}/app"


def test_default_is_an_sqlite_file_under_data() -> None:
    url = Settings.defaults().database.url.get_secret_value()
    assert url == "sqlite+aiosqlite:///./data/{{ cookiecutter.package_name }}.db"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql+asyncpg://app:pw@db:5432/app", "postgresql+asyncpg://app:***@db:5432/app"),
        ("postgresql+asyncpg://app:p@ss@db/app", "postgresql+asyncpg://app:***@db/app"),
        (
            "postgresql+asyncpg://app@db/app?password=pw",
            "postgresql+asyncpg://app@db/app?password=***",
        ),
        ("sqlite+aiosqlite:///./data/x.db", "sqlite+aiosqlite:///./data/x.db"),
    ],
)
def test_without_password(url: str, shown: str) -> None:
    assert without_password(url) == shown


def test_config_output_hides_the_password(monkeypatch: pytest.MonkeyPatch) -> None:
    url = closed_url()
    monkeypatch.setenv(f"{ENV_PREFIX}DATABASE__URL", url)
    result = runner.invoke(app, ["config"])
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    assert yaml.safe_load(result.stdout)["database"]["url"] == without_password(url)
    settings = Settings.load()
    assert PASSWORD not in repr(settings)
    assert PASSWORD not in str(redacted(settings))


def test_an_unknown_driver_is_rejected_without_echoing_the_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}DATABASE__URL", f"mysql://app:{PASSWORD}@db/app")
    with pytest.raises(ConfigError, match=r"database\.url: .*sqlite\+aiosqlite://") as raised:
        Settings.load()
    assert PASSWORD not in str(raised.value)


def test_a_failing_connection_hides_the_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}DATABASE__URL", closed_url())
    result = runner.invoke(app, ["db", "current"])
    assert result.exit_code == 1
    assert "error: database postgresql+asyncpg://app:***@127.0.0.1:" in result.stderr
    assert PASSWORD not in result.output


async def test_echo_and_readiness_failures_log_no_password(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("DEBUG")
    settings = DatabaseSettings(url=closed_url(), echo=True)
    async with open_resources(Settings(database=settings)) as resources:
        with pytest.raises(OperationalError, match=r"127\.0\.0\.1") as raised:
            await resources.readiness_checks["database"]()
    assert PASSWORD not in str(raised.value)
    assert "app:***@127.0.0.1" in caplog.text, "the URL is logged, without its password"
    assert PASSWORD not in caplog.text
