"""Error reports (Sentry): the `sentry` section; off until a DSN is set."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator

from .. import DISTRIBUTION, __version__
from ..config import Section
from . import Feature

if TYPE_CHECKING:
    from contextlib import AsyncExitStack

    from ..resources import Resources


class SentrySettings(Section):
    # The project's DSN (https://<key>@<host>/<project id>); null: no reports, and the
    # Sentry SDK is not even imported.
    dsn: SecretStr | None = None
    # Sentry's own default: the DSN is normally set in deployments; staging says so here.
    environment: str = Field(default="production", min_length=1)
    # null: "{{ cookiecutter.project_slug }}@<installed version>" (Sentry releases are per organisation).
    release: str | None = Field(default=None, min_length=1)
    # Share of traces whose spans started with the Sentry SDK's own API are sent; 0: errors
    # only. Request, database and client spans are OpenTelemetry's job: the SDK's framework
    # integrations stay off (they would report errors twice).
    traces_sample_rate: float = Field(default=0.0, ge=0.0, le=1.0)

    @field_validator("dsn")
    @classmethod
    def _dsn_form(cls, value: SecretStr | None) -> SecretStr | None:
        # The message never repeats the value: a DSN is a credential.
        if value is not None:
            parts = urlsplit(value.get_secret_value())
            if parts.scheme not in ("http", "https") or not parts.username or not parts.hostname:
                raise ValueError("must look like https://<key>@<host>/<project id>")
            if not parts.path.rstrip("/").rpartition("/")[2].isdigit():
                raise ValueError("must end with the numeric project id: https://<key>@<host>/<id>")
        return value

    def release_name(self) -> str:
        return self.release or f"{DISTRIBUTION}@{__version__}"


class ErrorReportingFeature(Feature):
    """Opens first and closes last, so the errors of every other feature are reported."""

    sentry: SentrySettings = SentrySettings()

    async def open(self, resources: Resources, stack: AsyncExitStack) -> None:
        if self.sentry.dsn is None:
            return
        from ..error_reporting.scrub import secret_values
        from ..error_reporting.sentry import reporting

        # `self` is the whole settings object: the secrets of every section are scrubbed.
        secrets = secret_values(self)
        await stack.enter_async_context(reporting(self.sentry, self.sentry.release_name(), secrets))


__all__ = ["ErrorReportingFeature", "SentrySettings"]
