"""Redis for the jobs tests, and the settings that point the service at it.

Redis comes from {{ cookiecutter.package_name | upper }}_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/0), otherwise from a
throw-away `redis-server` found on PATH, started on a free port; otherwise the Redis tests
are skipped with the reason. Every test gets its own key prefix and deletes its keys.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from redis import Redis as SyncRedis
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from {{ cookiecutter.package_name }}.config import ENV_PREFIX
from {{ cookiecutter.package_name }}.features.jobs import JobsSettings

from ..ports import unused_port
from . import kinds  # noqa: F401 - registers the test kinds (workers import them by name)

REDIS_URL_VARIABLE = f"{ENV_PREFIX}TEST_REDIS_URL"
# Read when the tests are collected: the autouse fixture removes prefixed variables per test.
REDIS_SERVER_URL = os.environ.get(REDIS_URL_VARIABLE, "")
HOW_TO_RUN = (
    f"no Redis: set {REDIS_URL_VARIABLE}=redis://HOST:PORT/0 or install redis-server "
    "to run these tests"
)
# The project root: worker subprocesses import the test job kinds (tests.jobs.kinds) from it.
PROJECT_ROOT = Path(__file__).resolve().parents[2]
TEST_KINDS = "tests.jobs.kinds"
# The tests that use Redis carry this mark (added below), for the summary line.
REDIS_PROPERTY = "uses_redis"


def start_redis_server(port: int, directory: Path) -> subprocess.Popen[bytes]:
    """`redis-server` on 127.0.0.1:`port`, without persistence, answering PING."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip(HOW_TO_RUN)
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(directory)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if SyncRedis(port=port, socket_connect_timeout=0.5).ping():
                return process
        except RedisConnectionError:
            pass  # not listening yet
        time.sleep(0.05)
    process.kill()
    pytest.fail(f"redis-server did not answer on port {port}")


def stop_redis_server(process: subprocess.Popen[bytes]) -> None:
    process.kill()
    process.wait(timeout=10)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str]:
    """The URL of a Redis server the tests may write under their own key prefixes."""
    if REDIS_SERVER_URL:
        yield REDIS_SERVER_URL
        return
    with tempfile.TemporaryDirectory(prefix="redis-test-") as directory:
        port = unused_port()
        process = start_redis_server(port, Path(directory))
        try:
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            stop_redis_server(process)


@pytest.fixture
def key_prefix() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def redis(redis_server: str, key_prefix: str) -> AsyncIterator[Redis]:
    """A client for checking what Redis holds; deletes the test's keys at the end."""
    client = Redis.from_url(redis_server)
    try:
        yield client
    finally:
        keys = [key async for key in client.scan_iter(match=f"{key_prefix}:*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


def redis_jobs(url: str, prefix: str, **overrides: Any) -> JobsSettings:
    """The redis broker on the test server, under the test's prefix, with the test kinds."""
    return JobsSettings.model_validate(
        {
            "broker": "redis",
            "redis_url": url,
            "key_prefix": prefix,
            "modules": [TEST_KINDS],
            **overrides,
        }
    )


{%- if cookiecutter.with_database %}


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file at the newest revision (the `jobs` table), made once: tests copy it."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from {{ cookiecutter.package_name }}.db import migrate
    from {{ cookiecutter.package_name }}.features.database import DatabaseSettings

    path = tmp_path_factory.mktemp("jobs-db") / "migrated.db"
    section = DatabaseSettings.model_validate({"url": f"sqlite+aiosqlite:///{path}"})
    # A loop of its own, in a thread: a session fixture may run while a test's loop does.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, migrate.upgrade(section)).result()
    return path


@pytest.fixture
def service_sections(migrated_database: Path, tmp_path: Path) -> dict[str, dict[str, Any]]:
    """The service's other sections the jobs need: a database of their own (the job store)."""
    path = tmp_path / "service.db"
    shutil.copyfile(migrated_database, path)
    return {"database": {"url": f"sqlite+aiosqlite:///{path}"}}
{%- else %}


@pytest.fixture
def service_sections() -> dict[str, dict[str, Any]]:
    """The service's other sections the jobs need: none in this service."""
    return {}
{%- endif %}


def worker_environment(
    url: str, prefix: str, sections: Mapping[str, Mapping[str, object]], **jobs: object
) -> dict[str, str]:
    """Environment for a `worker` subprocess: the redis broker, the test job kinds and
    `sections` (the service's other settings, e.g. the database the job store is in)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)}
    for section, values in sections.items():
        for name, value in values.items():
            env[f"{ENV_PREFIX}{section.upper()}__{name.upper()}"] = str(value)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    settings: Mapping[str, object] = {
        "broker": "redis",
        "redis_url": url,
        "key_prefix": prefix,
        "modules": TEST_KINDS,
        **jobs,
    }
    for name, value in settings.items():
        env[f"{ENV_PREFIX}JOBS__{name.upper()}"] = str(value)
    return env


def start_worker(env: Mapping[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`{{ cookiecutter.project_slug }} worker` as its own process, its output in `log`."""
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "{{ cookiecutter.package_name }}", "worker"],
            env=dict(env),
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests that use Redis: by fixture, or by a "redis" parameter (a store's)."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        params = callspec.params.values() if callspec is not None else ()
        if "redis_server" in getattr(item, "fixturenames", ()) or "redis" in params:
            item.user_properties.append((REDIS_PROPERTY, True))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line the template's CI checks: how many Redis tests ran."""
    counts = {
        outcome: sum(
            (REDIS_PROPERTY, True) in getattr(report, "user_properties", ())
            for report in terminalreporter.stats.get(outcome, [])
            if getattr(report, "when", "call") in ("call", "setup")
        )
        for outcome in ("passed", "skipped", "failed")
    }
    terminalreporter.write_line(
        f"redis tests: {counts['passed']} passed, {counts['skipped']} skipped, "
        f"{counts['failed']} failed"
    )
