"""Shared pieces of the jobs benchmarks: Redis, a worker of the service, a bare taskiq worker.

Not a benchmark itself. Redis is the one every session and CI machine of this template runs
(127.0.0.1:6379); BENCH_REDIS_URL points elsewhere. Each run works under its own key prefix
and deletes its keys at the end. When Redis cannot be reached, or the rendered project has no
jobs package, the benchmark exits with SKIP_EXIT and says why (reported as skipped).

The benchmark's job kinds are not shipped in the template: KINDS_MODULE is written to a
scratch directory and named in the `jobs.modules` setting, as a service names its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import importlib.util
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from _harness import migrate_database, note, stop_process

if TYPE_CHECKING:
    from redis.asyncio import Redis

# The exit status of a benchmark that could not run here (the same value as in run.py).
SKIP_EXIT = 77
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
KINDS_MODULE = "bench_job_kinds"
NOOP = "bench-noop"  # does nothing
STARTED = "bench-started"  # returns when it started (time.time()), for the latency figure

# The service's kinds: typed input, registered with the service's @job.
SERVICE_KINDS = """
import time

from pydantic import BaseModel

from {package}.jobs.registry import JobContext, job


class Empty(BaseModel):
    pass


@job("{noop}")
async def noop(payload: Empty, ctx: JobContext) -> None:
    return None


@job("{started}")
async def started(payload: Empty, ctx: JobContext) -> dict[str, float]:
    return {{"started": time.time()}}
"""

# Bare taskiq: RedisStreamBroker (optionally with taskiq-redis's result backend), the same two
# tasks, run by taskiq's own receiver (what `taskiq worker` runs in each worker process).
# argv: URL, key prefix, "results" or "none", max_async_tasks.
RAW_WORKER = """
import asyncio
import sys
import time

from taskiq.api import run_receiver_task

sys.path.insert(0, {here!r})
from _jobs import raw_broker

url, prefix, results, max_async_tasks = sys.argv[1:5]
broker = raw_broker(url, prefix, results == "results")


async def main() -> None:
    await broker.startup()
    await run_receiver_task(broker, max_async_tasks=int(max_async_tasks))


asyncio.run(main())
"""


def without_password(url: str) -> str:
    """`url` for messages: a password in it replaced by ***."""
    return re.sub(r"(?<=://)([^:/@]*):[^@]*@", r"\1:***@", url)


def skip(name: str, reason: str) -> None:
    print(f"{name}: SKIPPED: {reason}", file=sys.stderr, flush=True)
    raise SystemExit(SKIP_EXIT)


async def check_available(name: str, package: str) -> None:
    """Skip (exit SKIP_EXIT) without the jobs package or without a reachable Redis."""
    if importlib.util.find_spec(f"{package}.jobs") is None:
        skip(name, "the rendered project has no jobs package (with_jobs=false)")
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS_URL, socket_connect_timeout=5)
    try:
        await client.ping()
    except OSError as exc:
        skip(
            name,
            f"Redis is not reachable at {without_password(REDIS_URL)} "
            f"({type(exc).__name__}: {exc}); start it there or set BENCH_REDIS_URL",
        )
    finally:
        await client.aclose()


def new_prefix(name: str) -> str:
    return f"bench-{name}-{os.getpid()}-{secrets.token_hex(4)}"


@contextlib.asynccontextmanager
async def redis_keys(prefix: str) -> AsyncIterator[Redis]:
    """A client for REDIS_URL; every key under `prefix` is deleted at the end."""
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS_URL)
    try:
        yield client
    finally:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*", count=1000)]
        for start in range(0, len(keys), 500):
            await client.delete(*keys[start : start + 500])
        await client.aclose()


def write_kinds(directory: Path, package: str) -> None:
    """KINDS_MODULE in `directory` (to put on sys.path / PYTHONPATH)."""
    source = SERVICE_KINDS.format(package=package, noop=NOOP, started=STARTED)
    (directory / f"{KINDS_MODULE}.py").write_text(source)


def jobs_settings(prefix: str, **overrides: object) -> dict[str, object]:
    """The `jobs` section: the redis broker under `prefix`, with the benchmark's kinds."""
    return {
        "broker": "redis",
        "redis_url": REDIS_URL,
        "key_prefix": prefix,
        "modules": [KINDS_MODULE],
        **overrides,
    }


@contextlib.asynccontextmanager
async def jobs_database(package: str, directory: Path) -> AsyncIterator[str | None]:
    """The service's database for the run (its job store lives there), migrated; None when
    the service has none. PostgreSQL (a scratch database on BENCH_POSTGRES_URL's server,
    dropped after) as deployed; an SQLite file, with a note, when no server answers."""
    if importlib.util.find_spec(f"{package}.db") is None:
        yield None
        return
    import asyncpg
    from _db import SERVER_URL, asyncpg_url

    name = f"bench_jobs_{os.getpid()}_{secrets.token_hex(4)}"
    try:
        admin = await asyncpg.connect(asyncpg_url(SERVER_URL), timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        note(f"no PostgreSQL ({exc}): the job store is an SQLite file, slower across processes")
        url = f"sqlite+aiosqlite:///{directory / 'jobs.db'}"
        await _migrate(package, directory, url)
        yield url
        return
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        base, _, _ = asyncpg_url(SERVER_URL).rpartition("/")
        url = f"{base.replace('postgresql://', 'postgresql+asyncpg://', 1)}/{name}"
        await _migrate(package, directory, url)
        yield url
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _migrate(package: str, directory: Path, url: str) -> None:
    env = {**os.environ, f"{package.upper()}_DATABASE__URL": url}
    await asyncio.to_thread(migrate_database, package, directory, env)


@contextlib.asynccontextmanager
async def service_queue(
    package: str, jobs: Mapping[str, object], database: str | None
) -> AsyncIterator[Any]:
    """The service's job queue as `serve` opens it (every feature's resources, so the same
    job store as its workers: `database`, from jobs_database, when the service has one)."""
    config: dict[str, object] = {"jobs": dict(jobs)}
    if database is not None:
        config["database"] = {"url": database}
    settings = importlib.import_module(f"{package}.service").Settings.model_validate(config)
    resources_module = importlib.import_module(f"{package}.resources")
    jobs_key = importlib.import_module(f"{package}.features.jobs").JOBS
    async with resources_module.open_resources(settings) as resources:
        yield resources.get(jobs_key)


def worker_environment(
    package: str, directory: Path, jobs: Mapping[str, object], database: str | None = None
) -> dict[str, str]:
    """The environment of a `worker` of the service: its `jobs` settings and its database."""
    env_prefix = f"{package.upper()}_"
    env = {k: v for k, v in os.environ.items() if not k.startswith(env_prefix)}
    if database is not None:
        env[f"{env_prefix}DATABASE__URL"] = database
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(directory), env.get("PYTHONPATH")]))
    for name, value in jobs.items():
        text = ",".join(value) if isinstance(value, list) else str(value)
        env[f"{env_prefix}JOBS__{name.upper()}"] = text
    return env


@contextlib.contextmanager
def service_worker(
    package: str, directory: Path, jobs: Mapping[str, object], database: str | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """`python -m <package> worker`, as its users run it; SIGTERM at the end.

    Its log goes to `directory`/worker.log, printed when the block fails.
    """
    log = directory / "worker.log"
    with log.open("ab") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", package, "worker"],
            env=worker_environment(package, directory, jobs, database),
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    except BaseException:
        note("the worker's log:\n" + log.read_text()[-5000:])
        raise
    finally:
        stop_process(process, signal_number=signal.SIGTERM, timeout=30)


def raw_broker(url: str, prefix: str, results: bool) -> Any:
    """taskiq-redis's RedisStreamBroker under `prefix`, and the benchmark's two tasks.

    The group reads from the start of the stream ("0"), as the service's does, so messages
    added before the worker's first read are not missed. With `results`, each task's outcome
    is stored by taskiq-redis's result backend (the job layer records every job's outcome).
    """
    from taskiq_redis import RedisAsyncResultBackend, RedisStreamBroker

    broker = RedisStreamBroker(
        url,
        queue_name=f"{prefix}:queue",
        consumer_group_name=f"{prefix}:workers",
        consumer_id="0",
    )
    if results:
        backend: Any = RedisAsyncResultBackend(url, result_ex_time=3600, prefix_str=prefix)
        broker = broker.with_result_backend(backend)

    async def noop() -> None:
        return None

    async def started() -> float:
        return time.time()

    broker.register_task(noop, task_name=NOOP)
    broker.register_task(started, task_name=STARTED)
    return broker


@contextlib.contextmanager
def raw_worker(
    directory: Path, prefix: str, *, results: bool, max_async_tasks: int
) -> Iterator[subprocess.Popen[bytes]]:
    """One bare taskiq worker process (taskiq's receiver on raw_broker); killed at the end."""
    script = directory / "raw_worker.py"
    script.write_text(RAW_WORKER.format(here=str(Path(__file__).resolve().parent)))
    log = directory / f"raw-worker-{prefix.rsplit('-', 1)[-1]}.log"
    argv = [REDIS_URL, prefix, "results" if results else "none", str(max_async_tasks)]
    with log.open("ab") as sink:
        process = subprocess.Popen(
            [sys.executable, str(script), *argv], stdout=sink, stderr=subprocess.STDOUT
        )
    try:
        yield process
    except BaseException:
        note("the taskiq worker's log:\n" + log.read_text()[-5000:])
        raise
    finally:
        stop_process(process, signal_number=signal.SIGTERM, timeout=10)


async def wait_drained(redis: Redis, stream: str, group: str, *, timeout: float = 300) -> None:
    """Until every entry added to `stream` so far was delivered to `group` and acknowledged.

    Both the job layer and taskiq acknowledge a message only after its outcome is recorded
    (taskiq's default ack time is "when saved"), so this is "all finished", for both.
    """
    last = (await redis.xinfo_stream(stream))["last-generated-id"]
    deadline = time.monotonic() + timeout
    while True:
        groups = await redis.xinfo_groups(stream)
        state = next((g for g in groups if g["name"].decode() == group), None)
        if state is not None and state["pending"] == 0 and state["last-delivered-id"] == last:
            return
        if time.monotonic() > deadline:
            raise SystemExit(f"{stream}: not drained after {timeout:g} s: {state}")
        await asyncio.sleep(0.002)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` so far (Linux /proc; 0 elsewhere)."""
    stat = Path(f"/proc/{pid}/stat")
    if not stat.exists():
        return 0.0
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
