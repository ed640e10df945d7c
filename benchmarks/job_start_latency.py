"""job_start_latency: enqueue to handler start on the redis broker, one worker, light load.

JOBS jobs, one every SPACING seconds, through `queue.submit` to one `<package> worker` on
Redis (see _jobs.py); the handler returns the time it started, which the job's record keeps.
A job's latency is that time less the time just before `submit` was called: validation, the
record, the enqueue, the worker's read, the start of the record and the call. Workers and
this process are on one machine, so time.time() is one clock for all of them.

The same is measured for bare taskiq (RedisStreamBroker, taskiq's receiver, the result backend
holding the start time) as a reference: `job_start_latency_raw_taskiq_*`. The two sides
alternate in blocks of BLOCK jobs.

Run by benchmarks/run.py with the interpreter of a rendered project:
    .venv/bin/python benchmarks/job_start_latency.py <package>
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from _harness import emit, note, percentile
from _jobs import (
    REDIS_URL,
    STARTED,
    check_available,
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

NAME = "job_start_latency"
JOBS = 200  # per side
BLOCK = 50
SPACING = 0.010
WARMUP = 20

# Enqueue one job; returns a coroutine function that gives its start time (after the run).
Enqueue = Callable[[], Awaitable[Callable[[], Awaitable[float]]]]


async def latencies(enqueue: Enqueue, count: int) -> list[float]:
    """Milliseconds from each enqueue to its handler's start, `count` jobs SPACING apart."""
    sent: list[tuple[float, Callable[[], Awaitable[float]]]] = []
    for _ in range(count):
        before = time.time()
        sent.append((before, await enqueue()))
        await asyncio.sleep(SPACING)
    return [1000 * (await started() - before) for before, started in sent]


async def measure(package: str, directory: Path) -> dict[str, list[float]]:
    jobs_module = importlib.import_module(f"{package}.features.jobs")
    write_kinds(directory, package)
    sys.path.insert(0, str(directory))
    prefix = new_prefix(NAME)
    service_prefix, raw_prefix = f"{prefix}:service", f"{prefix}:raw"
    jobs_module.JobsSettings.model_validate(jobs_settings(service_prefix))  # fails early
    async with contextlib.AsyncExitStack() as stack:
        redis = await stack.enter_async_context(redis_keys(prefix))
        database = await stack.enter_async_context(jobs_database(package, directory))
        queue = await stack.enter_async_context(
            service_queue(package, jobs_settings(service_prefix), database)
        )
        stack.enter_context(
            service_worker(package, directory, jobs_settings(service_prefix), database)
        )
        broker = raw_broker(REDIS_URL, raw_prefix, results=True)
        await broker.startup()
        stack.push_async_callback(broker.shutdown)
        stack.enter_context(raw_worker(directory, raw_prefix, results=True, max_async_tasks=100))
        task = broker.find_task(STARTED)

        async def submit() -> Callable[[], Awaitable[float]]:
            record = await queue.submit(STARTED, {})

            async def started() -> float:
                for _ in range(500):
                    finished = await queue.get(record.id)
                    if finished is not None and finished.finished:
                        result: Any = finished.result
                        return float(result["started"])
                    await asyncio.sleep(0.02)
                raise SystemExit(f"{NAME}: job {record.id} did not finish: {finished}")

            return started

        async def kiq() -> Callable[[], Awaitable[float]]:
            kicked = await task.kiq()

            async def started() -> float:
                result = await kicked.wait_result(timeout=10)
                return float(result.return_value)

            return started

        sides: dict[str, Enqueue] = {"service": submit, "raw": kiq}
        # Both workers up (first reads done) before anything is timed.
        for side, name in ((submit, service_prefix), (kiq, raw_prefix)):
            await latencies(side, WARMUP)
            await wait_drained(redis, f"{name}:queue", f"{name}:workers")
        figures: dict[str, list[float]] = {"service": [], "raw": []}
        for index in range(JOBS // BLOCK):
            order = list(sides) if index % 2 == 0 else list(reversed(sides))
            for name in order:
                figures[name] += await latencies(sides[name], BLOCK)
        return figures


def report(figures: dict[str, list[float]]) -> None:
    for name, values in figures.items():
        note(
            f"{NAME} {name}: {len(values)} jobs, p50 {percentile(values, 0.5):.2f} ms, "
            f"p99 {percentile(values, 0.99):.2f} ms, max {max(values):.2f} ms"
        )
    service, raw = figures["service"], figures["raw"]
    emit(
        {
            "job_start_latency_p50_ms": percentile(service, 0.5),
            "job_start_latency_p99_ms": percentile(service, 0.99),
            "job_start_latency_raw_taskiq_p50_ms": percentile(raw, 0.5),
            "job_start_latency_raw_taskiq_p99_ms": percentile(raw, 0.99),
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
            figures = runner.run(measure(package, Path(directory)))
    report(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
