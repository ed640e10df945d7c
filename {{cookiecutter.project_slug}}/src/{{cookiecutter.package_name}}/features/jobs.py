"""Background jobs: the `jobs` section, the job queue of the service, the `worker` command."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit, urlunsplit

import typer
from pydantic import {{ "Field, IPvAnyNetwork, SecretStr" if cookiecutter.with_http_client else "Field, SecretStr" }}, field_serializer, field_validator

from ..commands import ConfigFile, settings_from
from ..config import Section
from ..resources import ResourceKey
from . import Feature

if TYPE_CHECKING:
    from contextlib import AsyncExitStack

    from ..jobs.observer import JobObserver
    from ..jobs.queue import CallbackHooks, JobQueue
    from ..jobs.store import JobStore
    from ..resources import Resources

# The one job queue of the running service: submit jobs and read their records.
JOBS: ResourceKey[JobQueue] = ResourceKey("jobs")
# Where job records live when a feature provides it before the queue opens (the database);
# otherwise Redis (redis broker) or the process's memory (memory broker).
JOB_STORE: ResourceKey[JobStore] = ResourceKey("job_store")
# Callback delivery, when a feature provides it (features/job_callbacks.py, with a secret);
# otherwise a job submitted with a callback_url is refused.
JOB_CALLBACKS: ResourceKey[CallbackHooks] = ResourceKey("job_callbacks")
# Sees every job queued and run, when a feature provides it (tracing).
JOB_OBSERVER: ResourceKey[JobObserver] = ResourceKey("job_observer")

REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def redis_url_without_password(url: str) -> str:
    """`url` with its password replaced by ***, for `config` output and messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}{port}"))


class JobsSettings(Section):
    # memory: jobs run inside `serve`, nothing else to run (lost when the process stops).
    # redis: `worker` processes run them (scale by running more). Job records live in the
    # database when the service has one (features/job_store_db.py), else in Redis or memory.
    broker: Literal["memory", "redis"] = "memory"
    # Secret: it may hold a password (redis://:password@host:6379/0).
    redis_url: SecretStr = SecretStr("redis://127.0.0.1:6379/0")
    # Every Redis key and stream of this service starts with it: services may share a server.
    key_prefix: str = Field(default="{{ cookiecutter.project_slug }}", min_length=1)
    # Jobs one process runs at once.
    concurrency: int = Field(default=4, ge=1)
    # Seconds a job may run before it is stopped and failed with "timeout".
    timeout: float = Field(default=300.0, gt=0)
    # Runs a job gets when its worker dies mid-job before it is failed for good.
    max_attempts: int = Field(default=3, ge=1)
    # Seconds a finished job stays readable at GET /api/v1/jobs/{id}.
    result_retention: float = Field(default=86400.0, gt=0)
    # Seconds running jobs get to finish after SIGTERM; the rest are requeued (redis) or
    # failed with "shutdown" (memory).
    drain_seconds: float = Field(default=20.0, ge=0)
    # Modules imported at start-up that register job kinds with @job (jobs.kinds always is).
    modules: tuple[str, ...] = ()
{%- if cookiecutter.with_http_client %}
    # Standard Webhooks secret (whsec_...) that signs callbacks; without one, a job
    # submitted with a callback_url is refused.
    webhook_secret: SecretStr | None = None
    # Deliveries tried per finished job, seconds each may take, and the first backoff.
    callback_attempts: int = Field(default=5, ge=1)
    callback_timeout: float = Field(default=10.0, gt=0)
    callback_backoff: float = Field(default=1.0, ge=0)
    # Private, loopback and link-local receivers are refused unless allowed here (SSRF guard).
    callback_allow_private_networks: bool = False
    callback_allowed_networks: tuple[IPvAnyNetwork, ...] = ()

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret_form(cls, value: SecretStr | None) -> SecretStr | None:
        from ..jobs.verify import check_webhook_secret

        if value is not None:
            check_webhook_secret(value.get_secret_value())
        return value
{%- endif %}

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: SecretStr) -> SecretStr:
        # The message never repeats the value: it may hold a password.
        if not value.get_secret_value().startswith(REDIS_SCHEMES):
            raise ValueError(f"must start with one of {', '.join(REDIS_SCHEMES)}")
        return value

    @field_serializer("redis_url", when_used="json")
    def _url_without_password(self, value: SecretStr) -> str:
        # `config` shows which server, never the password.
        return redis_url_without_password(value.get_secret_value())


class JobsFeature(Feature):
    """Opens the job queue (and, on the memory broker, the in-process worker)."""

    jobs: JobsSettings = JobsSettings()

    async def open(self, resources: Resources, stack: AsyncExitStack) -> None:
        from ..jobs.queue import open_queue

        queue = await stack.enter_async_context(
            open_queue(
                self.jobs,
                resources,
                store=resources.find(JOB_STORE),
                callbacks=resources.find(JOB_CALLBACKS),
                observer=resources.find(JOB_OBSERVER),
            )
        )
        resources.provide(JOBS, queue)
        resources.readiness_checks["jobs"] = queue.check

    @classmethod
    def add_commands(cls, cli: typer.Typer) -> None:
        cli.command()(worker)


def worker(ctx: typer.Context, config: ConfigFile = None) -> None:
    """Run jobs from Redis until SIGTERM (jobs.broker=redis); run more of them to scale."""
    from ..logging import configure_logging

    settings = settings_from(ctx, config)
    if JobsFeature.of(settings).jobs.broker == "memory":
        typer.echo(
            "error: the memory broker runs jobs inside `serve`; set jobs.broker=redis", err=True
        )
        raise typer.Exit(code=1)
    from ..jobs.worker import run_worker

    configure_logging(settings.logging)
    asyncio.run(run_worker(JobsFeature.of(settings)))


__all__ = [
    "JOBS",
    "JOB_CALLBACKS",
    "JOB_OBSERVER",
    "JOB_STORE",
    "JobsFeature",
    "JobsSettings",
    "redis_url_without_password",
    "worker",
]
