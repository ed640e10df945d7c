"""Job state in the service's database: the `jobs` table (db/models/jobs.py).

Every process of the service (API replicas, workers) reads and changes the same rows, and the
state survives a restart of any of them. Each change is one statement, `UPDATE … WHERE id = …
AND status IN (…) RETURNING …`, so the database orders concurrent changes of one job (a
PostgreSQL row lock, SQLite's single writer) and every change sees the one before it:

- `start` moves a queued or running job to running and counts the attempt. Running → running
  is allowed on purpose: a redelivered job whose worker died starts again. Two concurrent
  starts both succeed, with attempts n+1 and n+2 (no start is lost); a finished job never
  starts again (`start` returns it as it is, and the runner skips it).
- `finish` changes only an unfinished job, so the first finish wins: a second one (a
  redelivered run finishing late) leaves the stored outcome and returns it.
- `progress` changes only an unfinished job: a late report never touches a finished one.
- `add_callback_attempt` appends inside the same UPDATE (jsonb `||` on PostgreSQL,
  `json_insert` on SQLite), so concurrent attempts are all kept.

A finished job stays readable for `retention` seconds. `prune` deletes the older ones; `create`
calls it every `prune_every` seconds, so the table holds about a retention's worth of jobs
without a scheduler.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic_core import to_jsonable_python
from sqlalchemy import bindparam, cast, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import JSONB

from ..db.models.jobs import JSON_TYPE, JobRow
from .models import CallbackAttempt, JobError, JobRecord, JobStatus, now
from .store import JobNotFound

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
    from sqlalchemy.sql.elements import ColumnElement

UNFINISHED = (JobStatus.queued.value, JobStatus.running.value)
FINISHED = (JobStatus.succeeded.value, JobStatus.failed.value)
# The error code of a job that a stopped process left unfinished (as the runner's).
SHUTDOWN = "shutdown"


def _record(row: JobRow) -> JobRecord:
    return JobRecord.model_validate(row, from_attributes=True)


def _row(record: JobRecord) -> JobRow:
    # The JSON columns take what JSON can hold: datetimes as ISO strings, models as dicts.
    documents = record.model_dump(mode="json", include={"input", "result", "error", "callbacks"})
    return JobRow(
        id=record.id,
        kind=record.kind,
        status=record.status.value,
        created_at=record.created_at,
        started_at=record.started_at,
        finished_at=record.finished_at,
        progress=record.progress,
        attempts=record.attempts,
        callback_url=record.callback_url,
        **documents,
    )


def _appended(attempt: CallbackAttempt, dialect: str) -> ColumnElement[Any]:
    """`callbacks` with `attempt` added at the end, computed by the database."""
    document = attempt.model_dump(mode="json")
    if dialect == "postgresql":
        as_array = cast(bindparam("attempt", [document], type_=JSONB), JSONB)
        return JobRow.callbacks.op("||", return_type=JSONB)(as_array)
    # SQLite: `$[#]` is the position after the last element.
    parsed = func.json(bindparam("attempt", document, type_=JSON_TYPE))
    return func.json_insert(JobRow.callbacks, "$[#]", parsed)


class DatabaseJobStore:
    """The `JobStore` of jobs/store.py on the service's session factory (features/database.py)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        retention: float,
        prune_every: float = 300.0,
    ) -> None:
        self._sessions = sessions
        self._retention = timedelta(seconds=retention)
        self._prune_every = prune_every
        self._next_prune = time.monotonic() + prune_every

    async def create(self, record: JobRecord) -> None:
        async with self._sessions.begin() as session:
            session.add(_row(record))
        if time.monotonic() >= self._next_prune:
            self._next_prune = time.monotonic() + self._prune_every
            await self.prune()

    async def get(self, job_id: str) -> JobRecord | None:
        """The job; None when unknown or finished longer than the retention ago."""
        kept = or_(JobRow.finished_at.is_(None), JobRow.finished_at >= now() - self._retention)
        async with self._sessions() as session:
            row = await session.scalar(select(JobRow).where(JobRow.id == job_id, kept))
            return None if row is None else _record(row)

    async def start(self, job_id: str) -> JobRecord | None:
        """Queued or running → running, one more attempt; a finished job as it is.

        None when there is no such job.
        """
        statement = (
            update(JobRow)
            .where(JobRow.id == job_id, JobRow.status.in_(UNFINISHED))
            .values(
                status=JobStatus.running.value,
                attempts=JobRow.attempts + 1,
                started_at=now(),
            )
            .returning(JobRow)
        )
        async with self._sessions.begin() as session:
            row = await session.scalar(statement)
            if row is None:
                row = await session.get(JobRow, job_id)
            return None if row is None else _record(row)

    async def finish(
        self, job_id: str, *, result: Any = None, error: JobError | None = None
    ) -> JobRecord:
        """Succeeded (or failed, with `error`) unless already finished: the first finish wins."""
        statement = (
            update(JobRow)
            .where(JobRow.id == job_id, JobRow.status.in_(UNFINISHED))
            .values(
                status=(JobStatus.failed if error else JobStatus.succeeded).value,
                finished_at=now(),
                result=None if error else to_jsonable_python(result),
                error=None if error is None else error.model_dump(mode="json"),
            )
            .returning(JobRow)
        )
        async with self._sessions.begin() as session:
            row = await session.scalar(statement)
            if row is None:
                row = await session.get(JobRow, job_id)
            if row is None:
                raise JobNotFound(job_id)
            return _record(row)

    async def progress(self, job_id: str, value: float) -> None:
        """Record how far an unfinished job is (0 to 1); a finished job keeps its value."""
        if not 0 <= value <= 1:
            raise ValueError(f"progress must be between 0 and 1, not {value}")
        statement = (
            update(JobRow)
            .where(JobRow.id == job_id, JobRow.status.in_(UNFINISHED))
            .values(progress=value)
            .returning(JobRow.id)
        )
        async with self._sessions.begin() as session:
            updated = await session.scalar(statement)
            if updated is None and await session.get(JobRow, job_id) is None:
                raise JobNotFound(job_id)

    async def add_callback_attempt(self, job_id: str, attempt: CallbackAttempt) -> None:
        async with self._sessions.begin() as session:
            dialect = session.get_bind().dialect.name
            statement = (
                update(JobRow)
                .where(JobRow.id == job_id)
                .values(callbacks=_appended(attempt, dialect))
                .returning(JobRow.id)
            )
            if await session.scalar(statement) is None:
                raise JobNotFound(job_id)

    async def fail_unfinished(self, reason: str) -> int:
        """Mark every queued or running job failed with `reason`; how many there were."""
        error = JobError(code=SHUTDOWN, message=reason)
        statement = (
            update(JobRow)
            .where(JobRow.status.in_(UNFINISHED))
            .values(
                status=JobStatus.failed.value,
                finished_at=now(),
                error=error.model_dump(mode="json"),
            )
            .returning(JobRow.id)
        )
        async with self._sessions.begin() as session:
            return len((await session.scalars(statement)).all())

    async def prune(self, older_than: datetime | None = None) -> int:
        """Delete jobs finished before `older_than` (default: the retention ago); how many."""
        cutoff = older_than or now() - self._retention
        statement = (
            delete(JobRow)
            .where(JobRow.status.in_(FINISHED), JobRow.finished_at < cutoff)
            .returning(JobRow.id)
        )
        async with self._sessions.begin() as session:
            return len((await session.scalars(statement)).all())


__all__ = ["SHUTDOWN", "DatabaseJobStore"]
