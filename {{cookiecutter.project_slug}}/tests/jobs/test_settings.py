"""The `jobs` section: defaults, the Redis URL kept secret, the `worker` command's guard."""

import pytest
import yaml
from typer.testing import CliRunner

from {{ cookiecutter.package_name }}.cli import app
from {{ cookiecutter.package_name }}.config import ENV_PREFIX, ConfigError
from {{ cookiecutter.package_name }}.features.jobs import redis_url_without_password
{%- if cookiecutter.with_http_client %}
from {{ cookiecutter.package_name }}.jobs.verify import new_webhook_secret
{%- endif %}
from {{ cookiecutter.package_name }}.service import Settings

runner = CliRunner()
PASSWORD = "pw-do-not-print-9c1e"


def test_defaults_run_jobs_in_process() -> None:
    jobs = Settings.defaults().jobs
    assert jobs.broker == "memory"
    assert jobs.key_prefix == "{{ cookiecutter.project_slug }}"
{%- if cookiecutter.with_http_client %}
    assert jobs.webhook_secret is None
{%- endif %}


def test_config_never_prints_the_redis_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}JOBS__REDIS_URL", f"redis://app:{PASSWORD}@cache:6379/2")
{%- if cookiecutter.with_http_client %}
    secret = new_webhook_secret()
    monkeypatch.setenv(f"{ENV_PREFIX}JOBS__WEBHOOK_SECRET", secret)
{%- endif %}
    result = runner.invoke(app, ["config"])
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    jobs = yaml.safe_load(result.output)["jobs"]
    assert jobs["redis_url"] == "redis://app:***@cache:6379/2"
{%- if cookiecutter.with_http_client %}
    assert secret not in result.output
    assert jobs["webhook_secret"] == "**********"


def test_a_webhook_secret_of_another_form_is_refused_without_repeating_it() -> None:
    with pytest.raises(ConfigError, match=r"jobs\.webhook_secret: .*whsec_") as raised:
        Settings.load(environ={f"{ENV_PREFIX}JOBS__WEBHOOK_SECRET": f"whsec_{PASSWORD}"})
    assert PASSWORD not in str(raised.value)
{%- endif %}


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:pw@host:6379/0", "redis://:***@host:6379/0"),
        ("rediss://user:pw@host/1", "rediss://user:***@host/1"),
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
    ],
)
def test_the_shown_url_hides_only_the_password(url: str, shown: str) -> None:
    assert redis_url_without_password(url) == shown


def test_a_url_of_another_scheme_is_refused_without_repeating_it() -> None:
    with pytest.raises(ConfigError, match=r"jobs\.redis_url: .*redis://") as raised:
        Settings.load(environ={f"{ENV_PREFIX}JOBS__REDIS_URL": f"http://x:{PASSWORD}@h/"})
    assert PASSWORD not in str(raised.value)


def test_worker_refuses_the_memory_broker() -> None:
    result = runner.invoke(app, ["worker"])
    assert result.exit_code == 1
    assert "the memory broker runs jobs inside `serve`; set jobs.broker=redis" in result.output
