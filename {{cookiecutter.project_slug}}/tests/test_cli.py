"""The command-line interface: version, config (effective and defaults) and errors."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from {{ cookiecutter.package_name }} import __version__
from {{ cookiecutter.package_name }}.cli import app
from {{ cookiecutter.package_name }}.config import CONFIG_ENV_VAR, ENV_PREFIX, redacted
from {{ cookiecutter.package_name }}.service import Settings

runner = CliRunner()


def test_version_prints_the_installed_version() -> None:
    result = runner.invoke(app, ["version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == __version__


def test_config_defaults_prints_every_default_as_yaml() -> None:
    result = runner.invoke(app, ["config", "--defaults"])
    assert result.exit_code == 0
    assert yaml.safe_load(result.stdout) == redacted(Settings.defaults())


def test_config_shows_file_and_environment_layers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("logging:\n  level: DEBUG\n  format: json\n", encoding="utf-8")
    monkeypatch.setenv(f"{ENV_PREFIX}LOGGING__LEVEL", "ERROR")
    result = runner.invoke(app, ["--config", str(config), "config"])
    assert result.exit_code == 0, result.output
    shown = yaml.safe_load(result.stdout)
    assert shown["logging"]["level"] == "ERROR"
    assert shown["logging"]["format"] == "json"


def test_config_file_can_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("logging:\n  format: json\n", encoding="utf-8")
    monkeypatch.setenv(CONFIG_ENV_VAR, str(config))
    result = runner.invoke(app, ["config"])
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.stdout)["logging"]["format"] == "json"


def test_config_file_after_the_command_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`config --config b.yaml` reads b.yaml, whatever the global option or variable names."""
    first = tmp_path / "a.yaml"
    first.write_text("logging:\n  format: json\n", encoding="utf-8")
    second = tmp_path / "b.yaml"
    second.write_text("logging:\n  level: WARNING\n", encoding="utf-8")
    for args in (
        ["config", "--config", str(second)],
        ["--config", str(first), "config", "-c", str(second)],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        shown = yaml.safe_load(result.stdout)["logging"]
        assert (shown["level"], shown["format"]) == ("WARNING", "text"), args
    monkeypatch.setenv(CONFIG_ENV_VAR, str(first))
    result = runner.invoke(app, ["config", "--config", str(second)])
    assert yaml.safe_load(result.stdout)["logging"]["format"] == "text"


def test_a_missing_dependency_is_one_line_that_says_make_install() -> None:
    """A feature turned on since the last install lacks its dependency: a hint, no traceback."""
    # `config` imports yaml when it prints; None in sys.modules makes that import fail.
    code = (
        "import sys; sys.modules['yaml'] = None; sys.argv = ['cli', 'config']; "
        "from {{ cookiecutter.package_name }}.cli import main; main()"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 1, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert "{{ cookiecutter.package_name }}.config needs the module 'yaml'" in result.stderr
    assert "make install" in result.stderr


def test_missing_config_file_exits_2_naming_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    result = runner.invoke(app, ["--config", str(missing), "config"])
    assert result.exit_code == 2
    assert "config file not found" in result.stderr
    assert str(missing) in result.stderr


def test_unknown_key_exits_2_naming_the_key(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("logging:\n  colour: blue\n", encoding="utf-8")
    result = runner.invoke(app, ["--config", str(config), "config"])
    assert result.exit_code == 2
    assert "logging.colour" in result.stderr
    assert "Traceback" not in result.output
{%- if cookiecutter.with_server %}


def test_config_redacts_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}SERVER__AUTH__TOKEN", "do-not-print-me")
    result = runner.invoke(app, ["config"])
    assert result.exit_code == 0
    assert "do-not-print-me" not in result.output
    assert yaml.safe_load(result.stdout)["server"]["auth"]["token"] == "**********"
{%- endif %}
