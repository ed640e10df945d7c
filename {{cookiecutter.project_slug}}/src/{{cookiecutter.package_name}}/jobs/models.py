"""What the service keeps about a job, and what GET /api/v1/jobs/{id} answers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"


FINISHED = frozenset({JobStatus.succeeded, JobStatus.failed})


class JobError(BaseModel):
    """Why a job failed, in the shape of the API error envelope's `error`."""

    code: str
    message: str


class CallbackAttempt(BaseModel):
    """One delivery of the finished job to its callback_url."""

    at: datetime
    status: int | None = None
    error: str | None = None
    duration_ms: float


class JobRecord(BaseModel):
    id: str
    kind: str
    status: JobStatus = JobStatus.queued
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    # 0..1, as the handler reports it (`await ctx.progress(0.5)`).
    progress: float | None = Field(default=None, ge=0, le=1)
    input: dict[str, Any]
    result: Any | None = None
    error: JobError | None = None
    # Runs started: more than one when a worker died mid-job and another took it over.
    attempts: int = 0
    callback_url: str | None = None
    callbacks: list[CallbackAttempt] = Field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


def new_job_id() -> str:
    return uuid.uuid4().hex


def now() -> datetime:
    return datetime.now(UTC)


__all__ = [
    "FINISHED",
    "CallbackAttempt",
    "JobError",
    "JobRecord",
    "JobStatus",
    "new_job_id",
    "now",
]
