"""`worker`: run jobs from the Redis stream until SIGTERM, then drain.

A worker takes a message only when it has a free slot (`jobs.concurrency`), so what it
holds is what it runs. On SIGTERM (or Ctrl-C) it takes no more, gives running jobs
`jobs.drain_seconds` to end, and hands the rest back to the stream for another worker. A
worker killed outright (SIGKILL, OOM) leaves its messages pending: another worker takes
them over once they are idle past the job timeout (see jobs/broker.py).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import TYPE_CHECKING, Any

from ..features.jobs import JOBS
from ..resources import open_resources
from .broker import REDIS_ERRORS, JobStreamBroker, job_of

if TYPE_CHECKING:
    from ..features.jobs import JobsFeature
    from .broker import StreamEntry
    from .queue import JobQueue

logger = logging.getLogger(__name__)


async def run_worker(settings: JobsFeature) -> None:
    """Open the service's resources, consume jobs until SIGTERM or SIGINT, close them."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        async with open_resources(settings) as resources:
            await consume(resources.get(JOBS), stop)
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)


async def consume(queue: JobQueue, stop: asyncio.Event) -> None:
    """Run messages as they come, `jobs.concurrency` at once, until `stop` is set."""
    broker = queue.broker
    if not isinstance(broker, JobStreamBroker):
        raise TypeError("a worker needs the redis broker (jobs.broker=redis)")
    runner = queue.runner
    handlers: set[asyncio.Task[Any]] = set()
    logger.info(
        "worker %s taking jobs from %s (%d at once)",
        broker.consumer_name,
        broker.queue_name,
        queue.settings.concurrency,
    )
    while not stop.is_set():
        await _acquire_or_stop(runner.slots, stop)
        if stop.is_set():
            break
        entries = await broker.read()
        if not entries:
            runner.slots.release()
            continue
        for entry in entries:
            handler = asyncio.create_task(_handle(queue, broker, entry))
            handlers.add(handler)
            handler.add_done_callback(handlers.discard)
    logger.info("worker stopping: no new jobs taken")
    await runner.drain(queue.settings.drain_seconds)
    if handlers:
        await asyncio.wait(set(handlers))
    logger.info("worker stopped")


async def _acquire_or_stop(slots: asyncio.Semaphore, stop: asyncio.Event) -> None:
    """Take a slot, unless `stop` is set first (then no slot is held)."""
    acquire = asyncio.ensure_future(slots.acquire())
    stopped = asyncio.ensure_future(stop.wait())
    await asyncio.wait({acquire, stopped}, return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    if stop.is_set():
        if acquire.done() and not acquire.cancelled():
            slots.release()
        else:
            acquire.cancel()


async def _handle(queue: JobQueue, broker: JobStreamBroker, entry: StreamEntry) -> None:
    """Run one message's job, then acknowledge it (or requeue it when cut short)."""
    runner = queue.runner
    try:
        async with runner.tracked():
            job = job_of(broker, entry.data)
            if job is None:
                logger.warning("message %s is no job of this service: dropped", entry.entry_id)
            else:
                await runner.execute(*job)
            await broker.ack(entry)
    except asyncio.CancelledError:
        # The drain ran out: give the message back now rather than after the idle timeout.
        await asyncio.shield(_requeue(broker, entry))
    except REDIS_ERRORS as exc:
        # Not acknowledged: the message stays pending and is taken over later.
        logger.warning("message %s left pending: Redis failed (%s)", entry.entry_id, exc)
    except Exception:
        logger.exception("message %s left pending", entry.entry_id)
    finally:
        runner.slots.release()


async def _requeue(broker: JobStreamBroker, entry: StreamEntry) -> None:
    try:
        await broker.requeue(entry)
    except REDIS_ERRORS:
        logger.warning("message %s left pending: Redis failed while requeueing", entry.entry_id)


__all__ = ["consume", "run_worker"]
