"""The taskiq brokers behind the job queue: in-process (memory) or a Redis stream (redis).

Messages carry a job id only; the record (input, state) lives in the job store.

On Redis, `JobStreamBroker` is taskiq-redis's `RedisStreamBroker` (consumer group, XADD,
acknowledgement) with its reading replaced, for three reasons seen in taskiq-redis 1.2:
- it reclaims a dead worker's messages only after a new message arrives, and behind a lock
  that a SIGKILLed worker can leave set for ever (taskiq-redis issue #131);
- an acknowledged entry stays in the stream for ever (memory grows with every job);
- there is no way to hand a message back when a shutdown cuts its job short.
Here a read first reclaims entries idle longer than the job timeout (XAUTOCLAIM is atomic,
no lock), an acknowledgement deletes the entry, and `requeue` puts it back at the end.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError
from taskiq import AckableMessage, AsyncBroker, InMemoryBroker
from taskiq_redis import RedisStreamBroker

if TYPE_CHECKING:
    from ..features.jobs import JobsSettings

logger = logging.getLogger(__name__)

# The one taskiq task: run the job whose id the message carries.
TASK_NAME = "run_job"
# A message whose job has not finished is taken over after the job timeout plus this
# (seconds): its worker died, since a live one finishes (or fails) the job by then.
REDELIVERY_GRACE = 5.0
# How long one read waits for a message (ms): also how soon a worker notices SIGTERM.
READ_BLOCK_MS = 1000
# Pause after Redis could not be reached, doubled up to the maximum (seconds).
RETRY_PAUSE = 0.5
RETRY_PAUSE_MAX = 5.0

REDIS_ERRORS = (RedisConnectionError, RedisTimeoutError, OSError)


@dataclass(frozen=True)
class StreamEntry:
    """One delivered message: its stream entry id and the taskiq message bytes."""

    entry_id: bytes
    data: bytes


class JobStreamBroker(RedisStreamBroker):
    """A Redis stream and its consumer group, read by `worker` processes."""

    def __init__(self, settings: JobsSettings) -> None:
        super().__init__(
            settings.redis_url.get_secret_value(),
            queue_name=f"{settings.key_prefix}:queue",
            consumer_group_name=f"{settings.key_prefix}:workers",
            # A group created after messages were added must still see them: acknowledged
            # entries are deleted, so the stream holds only work to do.
            consumer_id="0",
            idle_timeout=int((settings.timeout + REDELIVERY_GRACE) * 1000),
            xread_block=READ_BLOCK_MS,
            socket_connect_timeout=5,
            # A blocking read waits READ_BLOCK_MS: the socket must wait longer.
            socket_timeout=READ_BLOCK_MS / 1000 + 10,
        )
        self._claim_cursor: str | bytes = "0-0"
        self._group_ready = False
        self._retry_pause = RETRY_PAUSE

    async def startup(self) -> None:
        # Not RedisStreamBroker.startup: that creates the consumer group, which needs Redis
        # up; the API must start without it (/ready says what is wrong). Workers create the
        # group on their first read.
        await AsyncBroker.startup(self)

    def _redis(self) -> Redis:
        return Redis(connection_pool=self.connection_pool)

    async def read(self) -> list[StreamEntry]:
        """At most one message: a dead worker's first, else a new one (waits READ_BLOCK_MS).

        Redis being unreachable is waited out here (a pause, then an empty answer), so the
        worker keeps running through a Redis restart.
        """
        try:
            async with self._redis() as redis:
                if not self._group_ready:
                    await self._declare_consumer_group()
                    self._group_ready = True
                entries = await self._reclaim(redis) or await self._read_new(redis)
            self._retry_pause = RETRY_PAUSE
            return entries
        except ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            # Redis lost the stream (restarted without persistence): make it again.
            self._group_ready = False
            return []
        except REDIS_ERRORS as exc:
            logger.warning("cannot read jobs from Redis (%s); retrying", type(exc).__name__)
            await asyncio.sleep(self._retry_pause)
            self._retry_pause = min(self._retry_pause * 2, RETRY_PAUSE_MAX)
            return []

    async def _reclaim(self, redis: Redis) -> list[StreamEntry]:
        # The cursor walks the pending list across calls, so entries of live workers at
        # its head never hide a dead worker's entry behind them.
        answer = await redis.xautoclaim(
            self.queue_name,
            self.consumer_group_name,
            self.consumer_name,
            min_idle_time=self.idle_timeout,
            start_id=self._claim_cursor,
            count=1,
        )
        # [next cursor, [(entry id, fields)...], ids of deleted entries]
        self._claim_cursor = answer[0]
        entries = [StreamEntry(entry_id, data[b"data"]) for entry_id, data in answer[1] if data]
        for entry in entries:
            logger.warning("took over message %s of a worker that stopped", entry.entry_id)
        return entries

    async def _read_new(self, redis: Redis) -> list[StreamEntry]:
        # RESP2 (the client's default protocol): [[stream, [(entry id, fields), ...]]].
        answer: Any = await redis.xreadgroup(
            self.consumer_group_name,
            self.consumer_name,
            {self.queue_name: ">"},
            count=1,
            block=self.block,
        )
        return [
            StreamEntry(entry_id, fields[b"data"])
            for _stream, messages in answer or []
            for entry_id, fields in messages
        ]

    async def ack(self, entry: StreamEntry) -> None:
        """Done with the message: acknowledge it and delete its entry."""
        async with self._redis() as redis, redis.pipeline(transaction=True) as pipe:
            pipe.xack(self.queue_name, self.consumer_group_name, entry.entry_id)
            pipe.xdel(self.queue_name, entry.entry_id)
            await pipe.execute()

    async def requeue(self, entry: StreamEntry) -> None:
        """Hand the message back now (a shutdown cut its job short): to the end of the stream."""
        async with self._redis() as redis, redis.pipeline(transaction=True) as pipe:
            pipe.xadd(self.queue_name, {b"data": entry.data})
            pipe.xack(self.queue_name, self.consumer_group_name, entry.entry_id)
            pipe.xdel(self.queue_name, entry.entry_id)
            await pipe.execute()

    async def listen(self) -> AsyncGenerator[AckableMessage, None]:{{ "  # noqa: UP043 - taskiq's signature, one spelling for every Python" if cookiecutter.python_version not in ["3.11", "3.12"] }}
        """taskiq's reading interface, for taskiq's own tools (the worker uses `read`)."""
        while True:
            for entry in await self.read():
                yield AckableMessage(data=entry.data, ack=partial(self.ack, entry))


def make_broker(settings: JobsSettings) -> AsyncBroker:
    if settings.broker == "redis":
        return JobStreamBroker(settings)
    # Runs each message as a task of this process's event loop.
    return InMemoryBroker(max_stored_results=1)


def job_of(broker: AsyncBroker, data: bytes) -> tuple[str, dict[str, str]] | None:
    """The job id and labels a message carries, or None for a message that is not our job."""
    try:
        message = broker.formatter.loads(data)
    except Exception:  # a foreign or corrupt message: nothing to run
        return None
    args: list[Any] = list(message.args)
    if message.task_name != TASK_NAME or len(args) != 1 or not isinstance(args[0], str):
        return None
    return args[0], {str(key): str(value) for key, value in message.labels.items()}


__all__ = [
    "REDELIVERY_GRACE",
    "TASK_NAME",
    "JobStreamBroker",
    "StreamEntry",
    "job_of",
    "make_broker",
]
