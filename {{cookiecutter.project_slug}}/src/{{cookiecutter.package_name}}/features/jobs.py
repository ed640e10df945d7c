"""Background jobs: the `jobs` section (a placeholder: the jobs core replaces this module)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr

from ..config import Section
from . import Feature


class JobsSettings(Section):
    # memory: jobs run inside `serve`; redis: `worker` processes run them off a Redis stream.
    broker: Literal["memory", "redis"] = "memory"
    redis_url: SecretStr = SecretStr("redis://127.0.0.1:6379/0")
    # Seconds a finished job stays readable.
    result_retention: float = Field(default=86400, gt=0)
    # Seconds a stopping worker gives its running jobs (below the pod's termination grace).
    drain_seconds: float = Field(default=20, ge=0)


class JobsFeature(Feature):
    jobs: JobsSettings = JobsSettings()


__all__ = ["JobsFeature", "JobsSettings"]
