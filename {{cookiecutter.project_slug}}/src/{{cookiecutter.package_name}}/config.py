"""Settings: defaults, overridden by a YAML file, by a secrets directory, by environment variables.

    {{ cookiecutter.package_name | upper }}_CONFIG=config.yaml {{ cookiecutter.package_name | upper }}_LOGGING__LEVEL=DEBUG {{ cookiecutter.project_slug }} config

Environment variables use the `{{ cookiecutter.package_name | upper }}_` prefix and `__` between nested keys. Unknown keys
are an error (a typo must not silently fall back to a default), secrets are `SecretStr`
(redacted in every dump), and a config file that is named but missing is an error. A list
of plain values is JSON (`["a", "b"]`) or comma-separated (`a,b`) in a variable.

Secrets may come as files instead: the variable
    {{ cookiecutter.package_name | upper }}_SECRETS_DIR
names a directory (a mounted secret volume, say) where each file is named like the
variable it stands for (`<PREFIX>SECTION__KEY`) and holds its value. A variable that is set
overrides the file of the same name.

This module holds the machinery and the core `logging` section; every feature brings its
own sections, and `service.Settings` puts them together. `Settings.load(...)` is the one
way settings are read: its sources are built there, in plain sight.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from types import NoneType, UnionType
from typing import TYPE_CHECKING, Any, Literal, Self, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    YamlConfigSettingsSource,
)

if TYPE_CHECKING:
    from pydantic.fields import FieldInfo

ENV_PREFIX = "{{ cookiecutter.package_name | upper }}_"
CONFIG_ENV_VAR = f"{ENV_PREFIX}CONFIG"
SECRETS_DIR_ENV_VAR = f"{ENV_PREFIX}SECRETS_DIR"


class ConfigError(Exception):
    """The settings could not be loaded; the message names the file or the key at fault."""


class Section(BaseModel):
    """Base of every settings group: unknown keys are rejected, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class LoggingSettings(Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    format: Literal["text", "json"] = "text"
{%- if cookiecutter.with_server %}
    access_log: bool = True
{%- endif %}

    @field_validator("level", mode="before")
    @classmethod
    def _level_in_any_case(cls, value: object) -> object:
        # `debug` is DEBUG, as the logging module reads it; dumps keep the upper-case name.
        return value.upper() if isinstance(value, str) else value


class ServiceSettings(BaseSettings):
    """The settings every service has; `service.Settings` adds one section per feature."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    logging: LoggingSettings = LoggingSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Constructing settings reads nothing: `load` gathers the file and the environment
        # and passes them in, so a test's Settings(...) is exactly what it says.
        return (init_settings,)

    @classmethod
    def load(
        cls, config_file: Path | None = None, environ: Mapping[str, str] | None = None
    ) -> Self:
        """The effective settings: the defaults, then `config_file`, then the files of the
        directory named by `<PREFIX>SECRETS_DIR` (if set), then `environ`."""
        environ = os.environ if environ is None else environ
        if config_file is not None and not config_file.is_file():
            raise ConfigError(f"config file not found: {config_file}")
        secrets_dir = environ.get(SECRETS_DIR_ENV_VAR)
        # The secret files read as variables of the same names, under the ones actually set.
        environ = {**_read_secrets_dir(Path(secrets_dir)), **environ} if secrets_dir else environ
        unknown = cls.unknown_environment_sections(environ)
        if unknown:
            sections = ", ".join(sorted(cls.model_fields))
            raise ConfigError(
                f"unknown settings section in the environment: {', '.join(unknown)} "
                f"(sections: {sections})"
            )
        from_file = _read_file(cls, config_file) if config_file else {}
        try:
            from_environment = _EnvironmentSource(cls, environ)()
        except SettingsError as exc:
            raise ConfigError(f"cannot read settings from the environment: {exc}") from exc
        try:
            return cls(**_merged(from_file, from_environment))
        except ValidationError as exc:
            raise ConfigError(_describe(exc, config_file)) from exc

    @classmethod
    def defaults(cls) -> Self:
        """The built-in defaults, ignoring any config file and the environment."""
        return cls()

    @classmethod
    def unknown_environment_sections(cls, environ: Mapping[str, str]) -> list[str]:
        """Prefixed variables in the nested `SECTION__KEY` form whose section does not exist.

        pydantic-settings ignores a prefixed variable that matches no field, so a typo in the
        section name would silently leave a default (an auth token, say) in force. Only the
        `__` form is checked: orchestrators add prefixed variables of their own without it
        (the service links of a service named like the project: `<PREFIX>PORT`,
        `<PREFIX>SERVICE_HOST`, ...).
        """
        sections = {name.upper() for name in cls.model_fields}
        unknown = []
        for name in environ:
            rest = name.upper().removeprefix(ENV_PREFIX)
            if rest != name.upper() and "__" in rest and rest.split("__", 1)[0] not in sections:
                unknown.append(name)
        return sorted(unknown)


class _EnvironmentSource(EnvSettingsSource):
    """pydantic-settings' environment source, reading a given mapping instead of os.environ."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ  # read by _load_env_vars, which the base __init__ calls
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        # Names are matched case-insensitively, as pydantic-settings does for os.environ.
        return {name.lower(): value for name, value in self._environ.items()}

    def decode_complex_value(self, field_name: str, field: FieldInfo, value: Any) -> Any:
        # A list of plain values reads as JSON or, what a shell user writes first, as
        # comma-separated values: `a.com` and `a.com,b.com` as well as `["a.com"]`.
        annotation = getattr(field, "annotation", None)  # None for a dict's values
        if (
            isinstance(value, str)
            and not value.lstrip().startswith("[")
            and _is_list_of_plain_values(annotation)
        ):
            return [item.strip() for item in value.split(",") if item.strip()]
        return super().decode_complex_value(field_name, field, value)


_SEQUENCES = (tuple, list, set, frozenset)
_COLLECTIONS = (*_SEQUENCES, dict)


def _is_list_of_plain_values(annotation: Any) -> bool:
    """`tuple[str, ...]`, `list[IPvAnyNetwork]` and the like, optional too; no nested data."""
    if get_origin(annotation) in (Union, UnionType):
        members = [arg for arg in get_args(annotation) if arg is not NoneType]
        return len(members) == 1 and _is_list_of_plain_values(members[0])
    if get_origin(annotation) not in _SEQUENCES:
        return False
    items = [arg for arg in get_args(annotation) if arg is not Ellipsis]
    return all(
        get_origin(item) not in _COLLECTIONS
        and item not in _COLLECTIONS
        and not (isinstance(item, type) and issubclass(item, BaseModel))
        for item in items
    )


def _read_file(settings_cls: type[BaseSettings], config_file: Path) -> dict[str, Any]:
    # yaml is imported only when there is a file to read: it adds to every start-up.
    import yaml

    try:
        return YamlConfigSettingsSource(settings_cls, yaml_file=config_file)()
    except (yaml.YAMLError, SettingsError) as exc:
        raise ConfigError(f"cannot read settings from {config_file}: {exc}") from exc


def _read_secrets_dir(directory: Path) -> dict[str, str]:
    """Each file of `directory` as a variable: its name is the file's, its value the content.

    Names starting with a dot are skipped (a mounted Secret's `..data` links); a file whose
    name lacks the prefix is an error, as it would otherwise be ignored without a word.
    """
    if not directory.is_dir():
        raise ConfigError(f"secrets directory not found ({SECRETS_DIR_ENV_VAR}): {directory}")
    values = {}
    for path in sorted(directory.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        if not path.name.upper().startswith(ENV_PREFIX):
            raise ConfigError(
                f"{path}: a secret file is named like its variable ({ENV_PREFIX}SECTION__KEY)"
            )
        try:
            # A trailing newline (`echo token > file`) is not part of the secret.
            values[path.name] = path.read_text(encoding="utf-8").rstrip("\r\n")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read the secret file {path}: {exc}") from exc
    return values


def _merged(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """`override` on top of `base`, section by section (a variable keeps the file's others)."""
    merged = dict(base)
    for key, value in override.items():
        below = merged.get(key)
        if isinstance(value, Mapping) and isinstance(below, Mapping):
            merged[key] = _merged(below, value)
        else:
            merged[key] = value
    return merged


def redacted(settings: BaseModel) -> dict[str, Any]:
    """Settings as plain data with every secret replaced by asterisks."""
    return settings.model_dump(mode="json")


def to_yaml(settings: BaseModel) -> str:
    import yaml

    return yaml.safe_dump(redacted(settings), sort_keys=False, allow_unicode=True)


def _describe(exc: ValidationError, config_file: Path | None) -> str:
    origin = f" (config file {config_file} or {ENV_PREFIX}* variables)" if config_file else ""
    # A check across sections (an empty location) reads as its message alone.
    problems = "; ".join(
        f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}".removeprefix(": ")
        for error in exc.errors()
    )
    return f"invalid settings{origin}: {problems}"


__all__ = [
    "CONFIG_ENV_VAR",
    "ENV_PREFIX",
    "SECRETS_DIR_ENV_VAR",
    "ConfigError",
    "LoggingSettings",
    "Section",
    "ServiceSettings",
    "redacted",
    "to_yaml",
]
