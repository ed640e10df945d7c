"""The `jobs` table: one row per background job, kept by `...jobs.db_store`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base
from ..columns import UtcDateTime

# JSONB on PostgreSQL: `||` appends a callback attempt in the same UPDATE (json has no `||`).
# A Python None is SQL NULL, not the JSON value null.
JSON_TYPE = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


class JobRow(Base):
    """A job's state; `JobRecord` (jobs/models.py) is what callers see."""

    __tablename__ = "jobs"
    # Start-up finds the unfinished jobs by status; pruning finds the old finished ones.
    __table_args__ = (
        Index("ix_jobs_status_created_at", "status", "created_at"),
        Index("ix_jobs_finished_at", "finished_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    progress: Mapped[float | None] = mapped_column(Float)
    input: Mapped[dict[str, Any]] = mapped_column(JSON_TYPE)
    result: Mapped[Any | None] = mapped_column(JSON_TYPE)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON_TYPE)
    attempts: Mapped[int] = mapped_column(Integer)
    callback_url: Mapped[str | None] = mapped_column(Text)
    callbacks: Mapped[list[dict[str, Any]]] = mapped_column(JSON_TYPE)


__all__ = ["JSON_TYPE", "JobRow"]
