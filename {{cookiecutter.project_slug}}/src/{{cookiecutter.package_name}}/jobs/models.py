"""What a job is, as the store keeps it and `GET /api/v1/jobs/{id}` shows it."""

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
    """Why a job failed, in the shape of the API error envelope's `error`."""

    code: str
    message: str


class CallbackAttempt(BaseModel):
    """One delivery of the finished job to its `callback_url`."""

    at: datetime
    # The receiver's HTTP status; None when no answer came (refused, timed out).
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
    input: dict[str, Any]
    result: Any | None = None
    error: JobError | None = None
    # Runs started: above 1 when a worker died and the job was delivered again.
    attempts: int = 0
    callback_url: str | None = None
    callbacks: list[CallbackAttempt] = Field(default_factory=list)


__all__ = ["CallbackAttempt", "JobError", "JobRecord", "JobStatus"]
