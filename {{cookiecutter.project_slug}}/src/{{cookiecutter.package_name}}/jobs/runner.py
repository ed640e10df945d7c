"""Running one job: start its record, call its handler under the timeout, record the end.

Delivery is at least once: a message may come again after its worker died, or after the job
finished but before the message was acknowledged. So a finished job is never run again, a
job that keeps losing its worker is failed after `jobs.max_attempts` runs, and handlers are
written to be idempotent (running twice does what running once does).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from .models import JobError, JobRecord
from .observer import NoObserver
from .registry import JobContext, UnknownJobKind

if TYPE_CHECKING:
    from ..features.jobs import JobsSettings
    from ..resources import Resources
    from .observer import JobObserver
    from .registry import Registry
    from .store import JobStore

logger = logging.getLogger(__name__)

# Called with every finished record, at least once (again when a message is redelivered
# after the job finished): e.g. to deliver its callback, skipping delivered ones.
OnFinished = Callable[[JobRecord], Awaitable[None]]
EMPTY: Mapping[str, str] = MappingProxyType({})

# A memory-broker job the shutdown cut short: nothing would ever run it again.
SHUTDOWN = JobError(code="shutdown", message="the service stopped before the job ended")


class JobFailed(Exception):
    """Raised by a handler to fail its job with this code and message (shown to clients)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class JobRunner:
    """Runs jobs by id, at most `jobs.concurrency` at once, and drains them on shutdown."""

    def __init__(
        self,
        settings: JobsSettings,
        store: JobStore,
        registry: Registry,
        resources: Resources,
        *,
        on_finished: OnFinished | None = None,
        requeue_on_shutdown: bool,
        observer: JobObserver | None = None,
    ) -> None:
        self._settings = settings
        self._store = store
        self._registry = registry
        self._resources = resources
        self._on_finished = on_finished
        # redis: a job cut short by a shutdown goes back to the queue (its record stays
        # running until the next run); memory: nothing would run it again, so it fails.
        self._requeue_on_shutdown = requeue_on_shutdown
        self._observer = observer or NoObserver()
        self.slots = asyncio.Semaphore(settings.concurrency)
        self._running: set[asyncio.Task[Any]] = set()

    @asynccontextmanager
    async def tracked(self) -> AsyncIterator[None]:
        """Count the current task among the running ones, for `drain`."""
        task = asyncio.current_task()
        assert task is not None
        self._running.add(task)
        try:
            yield
        finally:
            self._running.discard(task)

    async def run(self, job_id: str, labels: Mapping[str, str] = EMPTY) -> JobRecord | None:
        """In-process (memory broker): wait for a free slot, then execute."""
        async with self.tracked():
            try:
                async with self.slots:
                    return await self.execute(job_id, labels)
            except asyncio.CancelledError:
                # Cancelled by the shutdown while waiting for a slot: it never started.
                await asyncio.shield(self._store.finish(job_id, error=SHUTDOWN))
                return None

    async def execute(self, job_id: str, labels: Mapping[str, str] = EMPTY) -> JobRecord | None:
        """Run the job once; its finished record, or None when it has no record.

        `labels` are its message's (what the observer carried from where it was queued).

        Raises CancelledError when cancelled by a shutdown on the redis broker (the caller
        requeues the message); on the memory broker the job is failed with "shutdown".
        """
        record = await self._store.start(job_id)
        if record is None:
            logger.warning("job %s has no record (past its retention?): skipped", job_id)
            return None
        if record.finished:
            logger.info("job %s already finished: not run again", job_id)
            await self._notify(record)
            return record
        if record.attempts > self._settings.max_attempts:
            lost = record.attempts - 1
            error = JobError(
                code="worker_lost", message=f"the job's worker stopped {lost} times mid-job"
            )
            return await self._finish(job_id, error=error)
        try:
            with self._observer.running(record, labels):
                result = await self._call(record)
        except JobFailed as exc:
            return await self._finish(job_id, error=JobError(code=exc.code, message=exc.message))
        except _Refused as exc:
            return await self._finish(job_id, error=exc.error)
        except asyncio.CancelledError:
            if self._requeue_on_shutdown:
                logger.warning("job %s stopped by the shutdown: requeued", job_id)
                raise
            logger.warning("job %s stopped by the shutdown: failed", job_id)
            await asyncio.shield(self._store.finish(job_id, error=SHUTDOWN))
            return None
        except Exception as exc:
            # The message may hold anything (a URL with a token): only its type is shown.
            logger.exception("job %s (%s) failed", job_id, record.kind)
            error = JobError(code="job_error", message=f"the job raised {type(exc).__name__}")
            return await self._finish(job_id, error=error)
        return await self._finish(job_id, result=result)

    async def _call(self, record: JobRecord) -> object:
        try:
            kind = self._registry.get(record.kind)
        except UnknownJobKind as exc:
            raise _Refused("unknown_kind", str(exc)) from None
        try:
            payload = kind.input_model.model_validate(record.input)
        except ValidationError as exc:
            raise _Refused("invalid_input", f"{exc.error_count()} invalid input fields") from None
        context = JobContext(
            job_id=record.id,
            resources=self._resources,
            attempt=record.attempts,
            _report=lambda value: self._store.progress(record.id, value),
        )
        try:
            async with asyncio.timeout(self._settings.timeout) as deadline:
                output = await kind.handler(payload, context)
        except TimeoutError:
            if not deadline.expired():
                raise  # the handler's own timeout, not ours
            seconds = f"{self._settings.timeout:g}"
            raise _Refused("timeout", f"the job ran longer than {seconds} s") from None
        if isinstance(output, BaseModel):
            return output.model_dump(mode="json")
        return output

    async def _finish(
        self, job_id: str, *, result: object = None, error: JobError | None = None
    ) -> JobRecord:
        record = await self._store.finish(job_id, result=result, error=error)
        logger.info("job %s %s", job_id, record.status)
        await self._notify(record)
        return record

    async def _notify(self, record: JobRecord) -> None:
        if self._on_finished is None:
            return
        try:
            await self._on_finished(record)
        except Exception:
            logger.exception("job %s: the finished-job hook failed", record.id)

    async def drain(self, seconds: float) -> None:
        """Let running jobs end within `seconds`, then cancel the rest (see `execute`)."""
        running = set(self._running)
        if running:
            logger.info("waiting up to %g s for %d running jobs", seconds, len(running))
            _, late = await asyncio.wait(running, timeout=seconds)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late)


class _Refused(Exception):
    """The job cannot run or ran out of time: fail it with this error."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.error = JobError(code=code, message=message)


__all__ = ["JobFailed", "JobRunner", "OnFinished"]
