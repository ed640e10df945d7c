"""The `sentry` section: off by default, a DSN that is checked and never shown."""

import pytest
from pydantic import ValidationError

from {{ cookiecutter.package_name }} import DISTRIBUTION, __version__
from {{ cookiecutter.package_name }}.config import ENV_PREFIX, ConfigError, redacted, to_yaml
from {{ cookiecutter.package_name }}.features.error_reporting import SentrySettings
from {{ cookiecutter.package_name }}.service import Settings

DSN = "https://0123456789abcdef@sentry.example.com/42"


def test_reports_are_off_until_a_dsn_is_set() -> None:
    sentry = Settings.defaults().sentry
    assert sentry.dsn is None
    assert sentry.environment == "production"
    assert sentry.traces_sample_rate == 0.0
    assert sentry.release_name() == f"{DISTRIBUTION}@{__version__}"
    assert SentrySettings(release="v7").release_name() == "v7"


def test_the_dsn_is_redacted_in_every_dump() -> None:
    settings = Settings(sentry=SentrySettings.model_validate({"dsn": DSN}))
    assert "0123456789abcdef" not in to_yaml(settings)
    assert "0123456789abcdef" not in str(redacted(settings))
    assert "0123456789abcdef" not in repr(settings)


@pytest.mark.parametrize(
    "dsn",
    ["not a dsn secretvalue", "ftp://key@host/1", "https://host/1", "https://key@host/project"],
)
def test_a_malformed_dsn_is_refused_without_repeating_it(dsn: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.load(environ={f"{ENV_PREFIX}SENTRY__DSN": dsn})
    assert "sentry.dsn" in str(caught.value)
    assert dsn not in str(caught.value)
    assert "secretvalue" not in str(caught.value)


@pytest.mark.parametrize("rate", [-0.1, 1.5])
def test_the_traces_sample_rate_is_a_share(rate: float) -> None:
    with pytest.raises(ValidationError):
        SentrySettings(traces_sample_rate=rate)
