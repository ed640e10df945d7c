"""The job queue: submit a job (validated, recorded, enqueued), read its record.

    queue = resources.get(JOBS)
    record = await queue.submit("digest", {"text": "hello"})
    later = await queue.get(record.id)

Only the job's id travels through the broker; the record in the job store holds the input
and the state. On the memory broker the jobs run in this process (inside `serve`); on the
redis broker `worker` processes run them.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING, Annotated, Any, Protocol

from pydantic import BaseModel
from redis.asyncio import Redis
from taskiq import Context, TaskiqDepends

from .broker import TASK_NAME, JobStreamBroker, make_broker
from .models import CallbackAttempt, JobError, JobRecord, new_job_id, now
from .observer import NoObserver
from .registry import REGISTRY, load_kinds
from .runner import JobRunner, OnFinished
from .store import open_store

if TYPE_CHECKING:
    from taskiq import AsyncBroker
    from taskiq.decor import AsyncTaskiqDecoratedTask

    from ..features.jobs import JobsSettings
    from ..resources import Resources
    from .observer import JobObserver
    from .registry import Registry
    from .store import JobStore

logger = logging.getLogger(__name__)


class CallbackURLRefused(ValueError):
    """A callback_url the service will not call (or callbacks are off); the API answers 400."""


class CallbackHooks(Protocol):
    """Callback delivery as the queue uses it (jobs/callbacks.py `Callbacks`)."""

    def check(self, url: str) -> None:
        """Raise ValueError saying why callbacks may not go to `url`."""

    def sender(
        self, record_attempt: Callable[[str, CallbackAttempt], Awaitable[None]]
    ) -> OnFinished:
        """The hook that delivers a finished job, recording each attempt."""


class JobQueue:
    def __init__(
        self,
        settings: JobsSettings,
        store: JobStore,
        registry: Registry,
        broker: AsyncBroker,
        runner: JobRunner,
        task: AsyncTaskiqDecoratedTask[..., Any],
        callbacks: CallbackHooks | None = None,
        observer: JobObserver | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.registry = registry
        self.broker = broker
        self.runner = runner
        self._task = task
        self._callbacks = callbacks
        self._observer = observer or NoObserver()

    async def submit(
        self,
        kind: str,
        payload: BaseModel | Mapping[str, Any],
        *,
        callback_url: str | None = None,
    ) -> JobRecord:
        """Validate `payload` with the kind's input model, record the job, enqueue it.

        Raises UnknownJobKind, pydantic's ValidationError or CallbackURLRefused before
        anything is stored.
        """
        job_kind = self.registry.get(kind)
        if callback_url is not None:
            self._check_callback_url(callback_url)
        data = payload.model_dump() if isinstance(payload, BaseModel) else payload
        validated = job_kind.input_model.model_validate(data)
        record = JobRecord(
            id=new_job_id(),
            kind=kind,
            created_at=now(),
            input=validated.model_dump(mode="json"),
            callback_url=callback_url,
        )
        await self.store.create(record)
        try:
            with self._observer.queueing(kind) as labels:
                await self._task.kicker().with_labels(**labels).kiq(record.id)
        except Exception:
            # Recorded but never queued: say so on the record rather than leave it queued.
            error = JobError(code="enqueue_failed", message="the job could not be queued")
            await self.store.finish(record.id, error=error)
            raise
        logger.info("job %s (%s) queued", record.id, kind)
        return record

    def _check_callback_url(self, url: str) -> None:
        if self._callbacks is None:
            raise CallbackURLRefused(
                "callbacks are off: set jobs.webhook_secret (and the service needs its HTTP client)"
            )
        try:
            self._callbacks.check(url)
        except ValueError as exc:
            raise CallbackURLRefused(str(exc)) from None

    async def get(self, job_id: str) -> JobRecord | None:
        return await self.store.get(job_id)

    async def check(self) -> None:
        """Readiness: the broker answers (always, in-process)."""
        if isinstance(self.broker, JobStreamBroker):
            async with Redis(connection_pool=self.broker.connection_pool) as redis:
                await redis.ping()


async def _fail_jobs_of_an_earlier_run(store: JobStore) -> None:
    """A store that outlives the process (the database) holds jobs nothing will run any more.

    The service starts even when that store cannot be reached or is not migrated yet: /ready
    reports it, and the jobs stay as they are until the next start.
    """
    try:
        lost = await store.fail_unfinished("the service stopped before the job ended")
    except Exception as exc:  # the store's driver errors differ: none may stop the start
        # Only the type: a driver's message may name the server or its user.
        reason = type(exc).__name__
        logger.warning("jobs of an earlier run not checked: the job store failed (%s)", reason)
        return
    if lost:
        logger.warning("%d jobs of an earlier run were failed: it stopped", lost)


@asynccontextmanager
async def open_queue(
    settings: JobsSettings,
    resources: Resources,
    *,
    registry: Registry = REGISTRY,
    store: JobStore | None = None,
    callbacks: CallbackHooks | None = None,
    on_finished: OnFinished | None = None,
    observer: JobObserver | None = None,
) -> AsyncIterator[JobQueue]:
    """The queue for `settings.broker`; on the memory broker, jobs drain when it closes.

    `store` is where records live (default: Redis on the redis broker, else memory);
    `callbacks` delivers finished jobs that name a callback_url; without it, `on_finished`
    (if any) is called with every finished record. `observer` (tracing) sees each job
    queued and run.
    """
    load_kinds(settings.modules)
    in_process = settings.broker == "memory"
    async with AsyncExitStack() as stack:
        if store is None:
            store = await stack.enter_async_context(open_store(settings))
        if callbacks is not None:
            on_finished = callbacks.sender(store.add_callback_attempt)
        if in_process:
            await _fail_jobs_of_an_earlier_run(store)
        runner = JobRunner(
            settings,
            store,
            registry,
            resources,
            on_finished=on_finished,
            requeue_on_shutdown=not in_process,
            observer=observer,
        )
        broker = make_broker(settings)

        async def run_job(job_id: str, context: Annotated[Context, TaskiqDepends()]) -> None:
            await runner.run(job_id, context.message.labels)

        task = broker.register_task(run_job, task_name=TASK_NAME)
        await broker.startup()
        try:
            yield JobQueue(settings, store, registry, broker, runner, task, callbacks, observer)
        finally:
            if in_process:
                await runner.drain(settings.drain_seconds)
            await broker.shutdown()


__all__ = ["CallbackHooks", "CallbackURLRefused", "JobQueue", "open_queue"]
