"""What a job looks like to its callers: the record `GET /api/v1/jobs/{id}` returns."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class JobError(BaseModel):
    """Why a job failed: the same shape as the API error envelope's `error`."""

    code: str
    message: str


class CallbackAttempt(BaseModel):
    """One delivery of the finished record to the job's callback URL."""

    at: datetime
    # The receiver's HTTP status; None when no answer came (refused, unreachable, timeout).
    status: int | None = None
    error: str | None = None
    duration_ms: float


class JobRecord(BaseModel):
    id: str  # uuid4 hex
    kind: str
    status: JobStatus
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    progress: float | None = Field(default=None, ge=0, le=1)
    input: dict[str, Any] = Field(default_factory=dict)
    result: Any | None = None
    error: JobError | None = None
    attempts: int = 0  # runs started
    callback_url: str | None = None
    callbacks: list[CallbackAttempt] = Field(default_factory=list)


__all__ = ["CallbackAttempt", "JobError", "JobRecord", "JobStatus"]
