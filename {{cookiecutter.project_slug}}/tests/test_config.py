"""Settings precedence (defaults < YAML < environment), strictness and redaction."""

from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }}.config import (
    CONFIG_ENV_VAR,
    ENV_PREFIX,
    SECRETS_DIR_ENV_VAR,
    ConfigError,
    Section,
    ServiceSettings,
    redacted,
    to_yaml,
)
from {{ cookiecutter.package_name }}.service import Settings

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def write_yaml(path: Path, data: object) -> Path:
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_defaults_apply_without_file_or_environment() -> None:
    settings = Settings.load()
    assert settings == Settings.defaults()
    assert settings.logging.level == "INFO"


def test_yaml_file_overrides_defaults(tmp_path: Path) -> None:
    config = write_yaml(tmp_path / "c.yaml", {"logging": {"level": "DEBUG"}})
    settings = Settings.load(config)
    assert settings.logging.level == "DEBUG"
    assert settings.logging.format == "text", "keys absent from the file keep their defaults"


def test_environment_overrides_yaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write_yaml(tmp_path / "c.yaml", {"logging": {"level": "DEBUG", "format": "json"}})
    monkeypatch.setenv(f"{ENV_PREFIX}LOGGING__LEVEL", "WARNING")
    settings = Settings.load(config)
    assert settings.logging.level == "WARNING"
    assert settings.logging.format == "json"


def test_config_env_var_is_not_mistaken_for_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CONFIG_ENV_VAR, "/nonexistent.yaml")
    assert Settings.load() == Settings.defaults()


def secrets_dir(path: Path, files: dict[str, str]) -> Path:
    """A directory laid out as the kubelet mounts a Secret: the files are links into `..data`."""
    data = path / "..2026_01_01_00_00_00.000000000"
    data.mkdir(parents=True)
    (path / "..data").symlink_to(data.name)
    for name, value in files.items():
        (data / name).write_text(value, encoding="utf-8")
        (path / name).symlink_to(Path("..data") / name)
    return path


def test_secret_files_override_yaml_and_variables_override_them(tmp_path: Path) -> None:
    config = write_yaml(tmp_path / "c.yaml", {"logging": {"level": "WARNING", "format": "json"}})
    directory = secrets_dir(
        tmp_path / "secrets",
        {f"{ENV_PREFIX}LOGGING__LEVEL": "debug\n", f"{ENV_PREFIX}LOGGING__FORMAT": "text"},
    )
    environ = {SECRETS_DIR_ENV_VAR: str(directory)}
    from_files = Settings.load(config, environ)
    assert from_files.logging.level == "DEBUG", "a trailing newline is not part of the value"
    assert from_files.logging.format == "text"
    environ[f"{ENV_PREFIX}LOGGING__FORMAT"] = "json"
    assert Settings.load(config, environ).logging.format == "json"
    assert Settings.load(config, {}).logging.level == "WARNING", "no directory, no files read"


def test_a_missing_secrets_dir_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="secrets directory not found"):
        Settings.load(environ={SECRETS_DIR_ENV_VAR: str(tmp_path / "absent")})


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("token", "named like its variable"),
        (f"{ENV_PREFIX}LOGING__LEVEL", "unknown settings section"),
        (f"{ENV_PREFIX}LOGGING__LEVL", r"logging\.levl"),
    ],
)
def test_a_misnamed_secret_file_is_rejected(tmp_path: Path, name: str, message: str) -> None:
    """A file the settings would not read must stop the start, as a misspelt variable does."""
    directory = secrets_dir(tmp_path / "secrets", {name: "DEBUG"})
    with pytest.raises(ConfigError, match=message):
        Settings.load(environ={SECRETS_DIR_ENV_VAR: str(directory)})


def test_unknown_yaml_key_is_rejected_by_name(tmp_path: Path) -> None:
    config = write_yaml(tmp_path / "c.yaml", {"logging": {"levle": "DEBUG"}})
    with pytest.raises(ConfigError, match=r"logging\.levle"):
        Settings.load(config)


def test_unknown_top_level_key_is_rejected_by_name(tmp_path: Path) -> None:
    config = write_yaml(tmp_path / "c.yaml", {"loging": {}})
    with pytest.raises(ConfigError, match="loging"):
        Settings.load(config)


def test_unknown_nested_environment_key_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}LOGGING__COLOUR", "blue")
    with pytest.raises(ConfigError, match=r"logging\.colour"):
        Settings.load()


def test_unknown_environment_section_is_rejected_by_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A misplaced section (the token lives under server.auth) must not leave auth off.
    monkeypatch.setenv(f"{ENV_PREFIX}AUTH__TOKEN", "s3cr3t-value")
    with pytest.raises(ConfigError, match=f"{ENV_PREFIX}AUTH__TOKEN") as raised:
        Settings.load()
    assert "s3cr3t-value" not in str(raised.value)


def test_orchestrator_variables_with_the_prefix_are_ignored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The service-link variables an orchestrator adds for a service named like the project.
    monkeypatch.setenv(f"{ENV_PREFIX}PORT", "tcp://10.0.0.7:80")
    monkeypatch.setenv(f"{ENV_PREFIX}PORT_80_TCP_ADDR", "10.0.0.7")
    monkeypatch.setenv(f"{ENV_PREFIX}SERVICE_HOST", "10.0.0.7")
    assert Settings.load() == Settings.defaults()


def test_invalid_value_names_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}LOGGING__LEVEL", "LOUD")
    with pytest.raises(ConfigError, match=r"logging\.level"):
        Settings.load()


def test_log_level_is_case_insensitive(tmp_path: Path) -> None:
    """`debug` as the logging module reads it; the dump keeps the canonical name."""
    settings = Settings.load(environ={f"{ENV_PREFIX}LOGGING__LEVEL": "debug"})
    assert settings.logging.level == "DEBUG"
    assert yaml.safe_load(to_yaml(settings))["logging"]["level"] == "DEBUG"
    config = write_yaml(tmp_path / "c.yaml", {"logging": {"level": "Warning"}})
    assert Settings.load(config, environ={}).logging.level == "WARNING"


class ListSection(Section):
    names: tuple[str, ...] = ()
    ports: list[int] | None = None


class ListSettings(ServiceSettings):
    """A service with list settings of each kind (features' lists behave the same)."""

    lists: ListSection = ListSection()


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        ("a.com", ("a.com",)),
        ("a.com, b.com,c.com", ("a.com", "b.com", "c.com")),
        ('["a.com", "b,c"]', ("a.com", "b,c")),
        ("[]", ()),
    ],
)
def test_list_settings_take_a_value_json_or_comma_separated(
    names: str, expected: tuple[str, ...]
) -> None:
    environ = {f"{ENV_PREFIX}LISTS__NAMES": names, f"{ENV_PREFIX}LISTS__PORTS": "80,443"}
    settings = ListSettings.load(environ=environ)
    assert settings.lists.names == expected
    assert settings.lists.ports == [80, 443]


def test_a_list_of_bad_values_names_the_setting() -> None:
    with pytest.raises(ConfigError, match=r"lists\.ports\.1"):
        ListSettings.load(environ={f"{ENV_PREFIX}LISTS__PORTS": "80,http"})


def test_missing_config_file_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "absent.yaml"
    with pytest.raises(ConfigError, match="config file not found"):
        Settings.load(missing)


def test_malformed_yaml_is_an_error(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("logging: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"c\.yaml"):
        Settings.load(config)


def test_empty_yaml_file_means_defaults(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("", encoding="utf-8")
    assert Settings.load(config) == Settings.defaults()


def test_defaults_ignore_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}LOGGING__LEVEL", "ERROR")
    assert Settings.defaults().logging.level == "INFO"
    assert Settings.load().logging.level == "ERROR"


def test_settings_are_immutable() -> None:
    settings = Settings.defaults()
    with pytest.raises(ValueError, match="frozen"):
        settings.logging = settings.logging  # type: ignore[misc]


def test_example_file_lists_every_default() -> None:
    """config.example.yaml is documentation: it must match the real defaults exactly."""
    example = PROJECT_ROOT / "config.example.yaml"
    assert yaml.safe_load(example.read_text(encoding="utf-8")) == redacted(Settings.defaults())


def test_example_file_loads_as_a_config_file() -> None:
    assert Settings.load(PROJECT_ROOT / "config.example.yaml") == Settings.defaults()


def test_yaml_dump_round_trips() -> None:
    settings = Settings(logging={"level": "DEBUG", "format": "json"})
    assert yaml.safe_load(to_yaml(settings)) == redacted(settings)
{%- if cookiecutter.with_server %}


def test_secrets_are_redacted_in_every_dump(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}SERVER__AUTH__TOKEN", "s3cr3t-value")
    settings = Settings.load()
    assert settings.server.auth.token is not None
    assert settings.server.auth.token.get_secret_value() == "s3cr3t-value"
    for dump in (to_yaml(settings), str(redacted(settings)), repr(settings), str(settings)):
        assert "s3cr3t-value" not in dump
    assert redacted(settings)["server"]["auth"]["token"] == "**********"


def test_a_secret_file_is_a_redacted_secret(tmp_path: Path) -> None:
    directory = secrets_dir(tmp_path / "s", {f"{ENV_PREFIX}SERVER__AUTH__TOKEN": "f1le-t0ken\n"})
    settings = Settings.load(environ={SECRETS_DIR_ENV_VAR: str(directory)})
    assert settings.server.auth.token is not None
    assert settings.server.auth.token.get_secret_value() == "f1le-t0ken"
    assert "f1le-t0ken" not in to_yaml(settings)


def test_cors_origins_may_be_a_plain_value() -> None:
    """What a shell user writes first: one origin, or several separated by commas."""
    name = f"{ENV_PREFIX}SERVER__CORS__ALLOW_ORIGINS"
    one = Settings.load(environ={name: "http://a.com"})
    assert one.server.cors.allow_origins == ("http://a.com",)
    two = Settings.load(environ={name: "http://a.com,https://b.org"})
    assert two.server.cors.allow_origins == ("http://a.com", "https://b.org")


def test_blank_auth_token_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}SERVER__AUTH__TOKEN", " ")
    with pytest.raises(ConfigError, match=r"server\.auth\.token: .*must not be blank"):
        Settings.load()


def test_list_settings_come_from_json_in_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}SERVER__CORS__ALLOW_ORIGINS", '["https://app.example"]')
    assert Settings.load().server.cors.allow_origins == ("https://app.example",)


def test_a_section_that_is_not_json_names_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Not "cannot read settings from None": the value came from a variable, not a file."""
    monkeypatch.setenv(f"{ENV_PREFIX}SERVER__CORS", "https://app.example")
    with pytest.raises(ConfigError, match="cannot read settings from the environment"):
        Settings.load()


def test_load_reads_the_environ_it_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    """`environ` is an argument, so a caller (or a test) passes the variables it means."""
    monkeypatch.setenv(f"{ENV_PREFIX}SERVER__PORT", "9000")
    assert Settings.load(environ={f"{ENV_PREFIX}SERVER__PORT": "9100"}).server.port == 9100
    assert Settings.load(environ={}).server.port == Settings.defaults().server.port


def test_out_of_range_port_is_rejected(tmp_path: Path) -> None:
    config = write_yaml(tmp_path / "c.yaml", {"server": {"port": 70000}})
    with pytest.raises(ConfigError, match=r"server\.port"):
        Settings.load(config)
{%- endif %}
