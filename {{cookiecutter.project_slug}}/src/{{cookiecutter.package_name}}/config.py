"""Settings: defaults, overridden by a YAML file, overridden by environment variables.

    {{ cookiecutter.package_name | upper }}_CONFIG=config.yaml {{ cookiecutter.package_name | upper }}_LOGGING__LEVEL=DEBUG {{ cookiecutter.project_slug }} config

Environment variables use the `{{ cookiecutter.package_name | upper }}_` prefix and `__` between nested keys. Unknown keys
are an error (a typo must not silently fall back to a default), secrets are `SecretStr`
(redacted in every dump), and a config file that is named but missing is an error.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
{%- if cookiecutter.with_s3 %}
from typing import Any, Literal, Self
{%- else %}
from typing import Any, Literal
{%- endif %}

import yaml
{%- set example_api = cookiecutter.with_example_api and cookiecutter.with_server and (cookiecutter.with_files or cookiecutter.with_s3) %}
{%- set any_section = cookiecutter.with_server or cookiecutter.with_http_client or cookiecutter.with_s3 %}
from pydantic import (
    BaseModel,
    ConfigDict,
{%- if any_section %}
    Field,
{%- endif %}
{%- if cookiecutter.with_http_client and cookiecutter.with_files %}
    IPvAnyNetwork,
{%- endif %}
{%- if any_section %}
    SecretStr,
{%- endif %}
    ValidationError,
{%- if cookiecutter.with_server or cookiecutter.with_s3 %}
    field_validator,
{%- endif %}
{%- if cookiecutter.with_s3 %}
    model_validator,
{%- endif %}
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    YamlConfigSettingsSource,
)

ENV_PREFIX = "{{ cookiecutter.package_name | upper }}_"
CONFIG_ENV_VAR = f"{ENV_PREFIX}CONFIG"


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
{%- if cookiecutter.with_server %}


class AuthSettings(Section):
    # No token: authentication is off. With a token, every path except `public_paths`
    # needs `Authorization: Bearer <token>`.
    token: SecretStr | None = None
    public_paths: tuple[str, ...] = (
        "/health",
        "/ready",
        "/docs",
        "/docs/oauth2-redirect",
        "/docs/static/favicon.png",
        "/docs/static/redoc.standalone.js",
        "/docs/static/swagger-ui-bundle.js",
        "/docs/static/swagger-ui.css",
        "/redoc",
        "/openapi.json",
    )

    @field_validator("token")
    @classmethod
    def _token_is_not_blank(cls, value: SecretStr | None) -> SecretStr | None:
        # A blank token (an unfilled Secret, say) must not pass for "configured": unset is
        # the one way to turn authentication off.
        if value is not None and not value.get_secret_value().strip():
            raise ValueError("must not be blank (leave it unset to turn authentication off)")
        return value


class CorsSettings(Section):
    # No origins: CORS is off and browsers on other origins are refused.
    allow_origins: tuple[str, ...] = ()
    allow_methods: tuple[str, ...] = ("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS")
    allow_headers: tuple[str, ...] = ("Authorization", "Content-Type", "X-Request-ID")
    allow_credentials: bool = False
    max_age: int = Field(default=600, ge=0)


class ServerSettings(Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    root_path: str = ""
    # Proxies whose X-Forwarded-For/-Proto headers are trusted ("*" trusts every peer).
    forwarded_allow_ips: tuple[str, ...] = ("127.0.0.1",)
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=0)
    # Seconds in-flight requests get after SIGTERM before they are cancelled; with the S3
    # client's wait for pending aborts it stays within a usual 30 s termination grace period.
    shutdown_timeout: int = Field(default=15, ge=1)
    docs: bool = True
    auth: AuthSettings = AuthSettings()
    cors: CorsSettings = CorsSettings()
{%- endif %}
{%- if cookiecutter.with_http_client %}


class HttpClientSettings(Section):
    """Defaults for every outgoing HTTP client (BaseClient.from_settings, the shared session)."""

    connect_timeout: float = Field(default=5.0, gt=0)
    read_timeout: float = Field(default=15.0, gt=0)
    total_timeout: float = Field(default=30.0, gt=0)
    # Attempts per request (1 = no retries); only idempotent methods are retried.
    max_attempts: int = Field(default=3, ge=1, le=10)
    backoff_base: float = Field(default=0.2, ge=0)
    backoff_max: float = Field(default=5.0, ge=0)
    max_retry_after: float = Field(default=30.0, ge=0)
    pool_size: int = Field(default=100, ge=1)
    pool_size_per_host: int = Field(default=20, ge=0)
    verify_tls: bool = True
    # May carry credentials (http://user:pass@proxy:3128), hence secret.
    proxy: SecretStr | None = None
    user_agent: str = "{{ cookiecutter.project_slug }}"
{%- endif %}
{%- if cookiecutter.with_http_client and cookiecutter.with_files %}


class DownloadSettings(Section):
    """Limits of DownloadClient (the import endpoint and the `download` command)."""

    allowed_schemes: tuple[Literal["https", "http"{{ ', "s3"' if cookiecutter.with_s3 }}], ...] = ("https", "http"{{ ', "s3"' if cookiecutter.with_s3 }})
    # Private, loopback and link-local targets are refused unless allowed here (SSRF guard).
    allow_private_networks: bool = False
    allowed_networks: tuple[IPvAnyNetwork, ...] = ()
    # file:// sources are read only below these directories; none: file:// is refused.
    file_roots: tuple[str, ...] = ()
    max_bytes: int = Field(default=1024**3, ge=1)
    max_redirects: int = Field(default=5, ge=0, le=20)
    chunk_size: int = Field(default=1024 * 1024, ge=1024)
    connect_timeout: float = Field(default=10.0, gt=0)
    # Longest wait for the next bytes (also for the response to start); a download has no
    # total timeout, so a large file on a slow link can finish.
    read_timeout: float = Field(default=60.0, gt=0)
    # Attempts to start the download (1 = no retries), with full-jitter backoff in between.
    max_attempts: int = Field(default=3, ge=1, le=10)
    backoff_base: float = Field(default=0.5, ge=0)
    backoff_max: float = Field(default=10.0, ge=0)
    pool_size: int = Field(default=20, ge=1)
{%- endif %}
{%- if cookiecutter.with_s3 %}


_MIB = 1024 * 1024


class S3Settings(Section):
{%- if cookiecutter.with_server %}
    # Off by default so the service runs without a cloud account; when on, the app opens one
    # client at startup and /ready checks the bucket.
{%- else %}
    # Off by default: nothing needs a cloud account until a bucket is configured.
{%- endif %}
    enabled: bool = False
    bucket: str = ""
    # Prepended to every key (a trailing "/" is added); listed keys come back without it.
    key_prefix: str = ""
    # None: AWS itself. An S3-compatible server (MinIO, Ceph, R2) needs its URL here.
    endpoint_url: str | None = None
    # None: AWS_REGION / ~/.aws/config decide.
    region: str | None = None
    # MinIO and most S3-compatible servers need "path".
    addressing_style: Literal["auto", "path", "virtual"] = "auto"
    # No keys: the standard AWS credential chain (environment, ~/.aws, container or instance role).
    access_key_id: SecretStr | None = None
    secret_access_key: SecretStr | None = None
    session_token: SecretStr | None = None
    max_pool_connections: int = Field(default=10, ge=1)
    connect_timeout: float = Field(default=5.0, gt=0)
    read_timeout: float = Field(default=60.0, gt=0)
    # Attempts per request, the first included; botocore retries with backoff and jitter.
    max_attempts: int = Field(default=3, ge=1, le=10)
    # Streams larger than the threshold are uploaded in parts (up to the threshold is held to
    # decide). S3 needs parts of at least 5 MiB, except the last; an upload holds about one.
    multipart_threshold: int = Field(default=8 * _MIB, ge=5 * _MIB)
    multipart_part_size: int = Field(default=8 * _MIB, ge=5 * _MIB, le=5 * 1024 * _MIB)
    # A failed upload is aborted; while S3 is unreachable the abort is retried in the
    # background for this long (then a lifecycle rule has to remove the parts).
    abort_retry_seconds: float = Field(default=60.0, ge=0)

    @field_validator("key_prefix")
    @classmethod
    def _prefix_is_a_folder(cls, value: str) -> str:
        # "tenant" must not also match "tenant-2/...": the prefix always ends in "/".
        value = value.strip("/")
        return f"{value}/" if value else ""

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if self.enabled and not self.bucket:
            raise ValueError("bucket is required when s3 is enabled")
        if (self.access_key_id is None) != (self.secret_access_key is None):
            raise ValueError("access_key_id and secret_access_key go together")
        return self
{%- endif %}
{%- if example_api %}


class StorageSettings(Section):
    """Where the /api/v1/objects example keeps its objects."""
{%- if cookiecutter.with_files and cookiecutter.with_s3 %}

    # local: files below `root`; s3: the bucket configured under `s3` (needs s3.enabled).
    backend: Literal["local", "s3"] = "local"
{%- elif cookiecutter.with_files %}

    backend: Literal["local"] = "local"
{%- else %}

    # Objects live in the bucket configured under `s3`; while s3.enabled is false the API
    # answers 503.
{%- endif %}
{%- if cookiecutter.with_files %}
    # The local backend's directory (relative to the working directory); created at startup.
    root: Path = Path("data")
{%- endif %}
    # The largest object an upload or an import may store; larger ones get 413. Uploads
    # stream to storage, so memory does not grow with this limit.
    max_object_bytes: int = Field(default=1024**3, ge=1)
{%- endif %}


@dataclass(frozen=True)
class _Sources:
    config_file: Path | None
    environment: bool


_DEFAULT_SOURCES = _Sources(config_file=None, environment=True)
# Which sources the next Settings() reads; set only for the duration of one load.
_sources: ContextVar[_Sources | None] = ContextVar("settings_sources", default=None)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    logging: LoggingSettings = LoggingSettings()
{%- if cookiecutter.with_server %}
    server: ServerSettings = ServerSettings()
{%- endif %}
{%- if cookiecutter.with_http_client %}
    http_client: HttpClientSettings = HttpClientSettings()
{%- endif %}
{%- if cookiecutter.with_http_client and cookiecutter.with_files %}
    download: DownloadSettings = DownloadSettings()
{%- endif %}
{%- if cookiecutter.with_s3 %}
    s3: S3Settings = S3Settings()
{%- endif %}
{%- if example_api %}
    storage: StorageSettings = StorageSettings()
{%- endif %}
{%- if example_api and cookiecutter.with_files and cookiecutter.with_s3 %}

    @model_validator(mode="after")
    def _storage_backend_is_available(self) -> Self:
        if self.storage.backend == "s3" and not self.s3.enabled:
            raise ValueError("storage.backend is s3 but S3 is off: set s3.enabled and s3.bucket")
        return self
{%- endif %}

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Earlier sources win: init arguments, then the environment, then the YAML file.
        selected = _sources.get() or _DEFAULT_SOURCES
        sources = [init_settings]
        if selected.environment:
            sources.append(env_settings)
        if selected.config_file is not None:
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=selected.config_file))
        return tuple(sources)


def load_settings(config_file: Path | None = None) -> Settings:
    """Build the effective settings from the defaults, `config_file` and the environment."""
    if config_file is not None and not config_file.is_file():
        raise ConfigError(f"config file not found: {config_file}")
    unknown = unknown_environment_sections(os.environ)
    if unknown:
        sections = ", ".join(sorted(Settings.model_fields))
        raise ConfigError(
            f"unknown settings section in the environment: {', '.join(unknown)} "
            f"(sections: {sections})"
        )
    return _build(_Sources(config_file=config_file, environment=True))


def unknown_environment_sections(environ: Mapping[str, str]) -> list[str]:
    """Prefixed variables in the nested `SECTION__KEY` form whose section does not exist.

    pydantic-settings ignores a prefixed variable that matches no field, so a typo in the
    section name would silently leave a default (an auth token, say) in force. Only the
    `__` form is checked: orchestrators add prefixed variables of their own without it
    (the service links of a service named like the project: `<PREFIX>PORT`,
    `<PREFIX>SERVICE_HOST`, ...).
    """
    sections = {name.upper() for name in Settings.model_fields}
    unknown = []
    for name in environ:
        rest = name.upper().removeprefix(ENV_PREFIX)
        if rest != name.upper() and "__" in rest and rest.split("__", 1)[0] not in sections:
            unknown.append(name)
    return sorted(unknown)


def default_settings() -> Settings:
    """The built-in defaults, ignoring any config file and the environment."""
    return _build(_Sources(config_file=None, environment=False))


def redacted(settings: Settings) -> dict[str, Any]:
    """Settings as plain data with every secret replaced by asterisks."""
    return settings.model_dump(mode="json")


def to_yaml(settings: Settings) -> str:
    return yaml.safe_dump(redacted(settings), sort_keys=False, allow_unicode=True)


def _build(sources: _Sources) -> Settings:
    token = _sources.set(sources)
    try:
        return Settings()
    except ValidationError as exc:
        raise ConfigError(_describe(exc, sources.config_file)) from exc
    except (yaml.YAMLError, SettingsError) as exc:
        raise ConfigError(f"cannot read settings from {sources.config_file}: {exc}") from exc
    finally:
        _sources.reset(token)


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
{%- if cookiecutter.with_server %}
    "AuthSettings",
{%- endif %}
    "ConfigError",
{%- if cookiecutter.with_server %}
    "CorsSettings",
{%- endif %}
{%- if cookiecutter.with_http_client and cookiecutter.with_files %}
    "DownloadSettings",
{%- endif %}
{%- if cookiecutter.with_http_client %}
    "HttpClientSettings",
{%- endif %}
    "LoggingSettings",
{%- if cookiecutter.with_s3 %}
    "S3Settings",
{%- endif %}
{%- if cookiecutter.with_server %}
    "ServerSettings",
{%- endif %}
    "Settings",
{%- if example_api %}
    "StorageSettings",
{%- endif %}
    "default_settings",
    "load_settings",
    "redacted",
    "to_yaml",
    "unknown_environment_sections",
]
