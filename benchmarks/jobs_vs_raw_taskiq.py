"""jobs_vs_raw_taskiq: no-op jobs per second through the service's job layer vs bare taskiq.

Both sides push JOBS no-op jobs through one worker process on the same Redis (see _jobs.py)
and time the whole trip: the first enqueue to the moment every message was delivered and
acknowledged (both acknowledge only after the outcome is recorded). The producers run in
this process, PRODUCERS enqueues in flight, on the loop the server runs on.

  service          `queue.submit(kind, {})` (validate, record, enqueue) to one
                   `<package> worker` (concurrency as configured, logging as configured) that
                   starts the record, runs the handler, finishes the record, acknowledges
  raw              bare taskiq: `task.kiq()` to taskiq-redis's RedisStreamBroker, run by
                   taskiq's receiver with its defaults (100 tasks at once, 100 messages a
                   read, no result backend): the baseline; the headline figure
                   `jobs_vs_raw_taskiq` is service ÷ raw
  raw_results      the same with taskiq-redis's result backend (stores every outcome, as the
                   job layer records every job)
  raw_concurrency  raw with at most `jobs.concurrency` tasks at once, as the service runs

Variants run in interleaved rounds, each worker kept running throughout; each figure is the
median of the per-round ratios. CPU per job of the worker, of this process (the producer)
and of redis-server say where the time goes.

Run by benchmarks/run.py with the interpreter of a rendered project:
    .venv/bin/python benchmarks/jobs_vs_raw_taskiq.py <package>
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from _harness import emit, median_ratio, note
from _jobs import (
    NOOP,
    REDIS_URL,
    check_available,
    cpu_seconds,
    jobs_database,
    jobs_settings,
    new_prefix,
    raw_broker,
    raw_worker,
    redis_keys,
    service_queue,
    service_worker,
    wait_drained,
    write_kinds,
)

if TYPE_CHECKING:
    import subprocess

    from redis.asyncio import Redis

NAME = "jobs_vs_raw_taskiq"
JOBS = 2000  # per variant and round
WARMUP = 100
ROUNDS = 5
PRODUCERS = 16
VARIANTS = ("service", "raw", "raw_results", "raw_concurrency")

Enqueue = Callable[[], Awaitable[object]]


async def produce(enqueue: Enqueue, count: int) -> None:
    """`enqueue` `count` times, PRODUCERS at once."""
    pending = iter(range(count))

    async def producer() -> None:
        for _ in pending:
            await enqueue()

    async with asyncio.TaskGroup() as group:
        for _ in range(PRODUCERS):
            group.create_task(producer())


async def redis_cpu(redis: Redis) -> float:
    info = await redis.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


class Variant:
    """One side: how to enqueue a job, its stream and group, its worker process."""

    def __init__(
        self, enqueue: Enqueue, prefix: str, worker: subprocess.Popen[bytes], redis: Redis
    ) -> None:
        self.enqueue = enqueue
        self.stream = f"{prefix}:queue"
        self.group = f"{prefix}:workers"
        self.worker = worker
        self.redis = redis

    async def run(self, count: int) -> dict[str, float]:
        """Jobs per second over `count` jobs, and CPU µs per job of each process."""
        worker_cpu, own_cpu = cpu_seconds(self.worker.pid), time.process_time()
        server_cpu = await redis_cpu(self.redis)
        started = time.perf_counter()
        await produce(self.enqueue, count)
        await wait_drained(self.redis, self.stream, self.group)
        elapsed = time.perf_counter() - started
        if self.worker.poll() is not None:
            raise SystemExit(f"{NAME}: a worker exited ({self.worker.returncode})")
        return {
            "rate": count / elapsed,
            "worker": 1e6 * (cpu_seconds(self.worker.pid) - worker_cpu) / count,
            "producer": 1e6 * (time.process_time() - own_cpu) / count,
            "redis": 1e6 * (await redis_cpu(self.redis) - server_cpu) / count,
        }


async def measure(package: str, directory: Path) -> dict[str, list[dict[str, float]]]:
    jobs_module = importlib.import_module(f"{package}.features.jobs")
    write_kinds(directory, package)
    sys.path.insert(0, str(directory))
    prefix = new_prefix(NAME)
    service_prefix = f"{prefix}:service"
    settings = jobs_module.JobsSettings.model_validate(jobs_settings(service_prefix))
    concurrency = settings.concurrency
    note(f"{NAME}: service jobs.concurrency={concurrency}, {JOBS} jobs a round, {ROUNDS} rounds")
    async with contextlib.AsyncExitStack() as stack:
        redis = await stack.enter_async_context(redis_keys(prefix))
        database = await stack.enter_async_context(jobs_database(package, directory))
        enter = stack.enter_context
        queue = await stack.enter_async_context(
            service_queue(package, jobs_settings(service_prefix), database)
        )
        variants: dict[str, Variant] = {}

        async def submit() -> object:
            return await queue.submit(NOOP, {})

        worker = enter(service_worker(package, directory, jobs_settings(service_prefix), database))
        variants["service"] = Variant(submit, service_prefix, worker, redis)
        raw_setups = {
            "raw": (False, 100),
            "raw_results": (True, 100),
            "raw_concurrency": (False, concurrency),
        }
        for name, (results, max_async_tasks) in raw_setups.items():
            raw_prefix = f"{prefix}:{name}"
            broker = raw_broker(REDIS_URL, raw_prefix, results=False)
            await broker.startup()
            stack.push_async_callback(broker.shutdown)
            task = broker.find_task(NOOP)
            worker = enter(
                raw_worker(directory, raw_prefix, results=results, max_async_tasks=max_async_tasks)
            )
            variants[name] = Variant(task.kiq, raw_prefix, worker, redis)
        for name, variant in variants.items():
            note(f"{NAME}: warming up {name}")
            await variant.run(WARMUP)
        rounds: dict[str, list[dict[str, float]]] = {name: [] for name in VARIANTS}
        for index in range(ROUNDS):
            shift = index % len(VARIANTS)
            for name in VARIANTS[shift:] + VARIANTS[:shift]:
                rounds[name].append(await variants[name].run(JOBS))
        return rounds


def report(rounds: dict[str, list[dict[str, Any]]]) -> None:
    """The figures on stdout (median per-round ratios), where the time goes on stderr."""
    rates = {name: [r["rate"] for r in values] for name, values in rounds.items()}
    for name in VARIANTS:
        note(f"{NAME} {name}: {', '.join(f'{v:.0f}' for v in rates[name])} jobs/s")
    note(f"{NAME}: CPU µs per job (median): worker / producer (this process) / redis-server")
    for name in VARIANTS:
        cpu = {
            part: statistics.median(r[part] for r in rounds[name])
            for part in ("worker", "producer", "redis")
        }
        note(f"  {name:16} {cpu['worker']:6.0f} / {cpu['producer']:6.0f} / {cpu['redis']:6.0f}")
    emit(
        {
            "jobs_vs_raw_taskiq": median_ratio(rates["service"], rates["raw"]),
            "jobs_vs_raw_taskiq_results": median_ratio(rates["service"], rates["raw_results"]),
            "jobs_vs_raw_taskiq_same_concurrency": median_ratio(
                rates["service"], rates["raw_concurrency"]
            ),
        }
    )


def main() -> int:
    package = sys.argv[1]
    try:
        from uvloop import new_event_loop
    except ImportError:  # the server's loop; without it, asyncio's
        from asyncio import new_event_loop
    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        runner.run(check_available(NAME, package))
        with tempfile.TemporaryDirectory(prefix="bench-jobs-") as directory:
            rounds = runner.run(measure(package, Path(directory)))
    report(rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
