"""Real databases for the database tests: an SQLite file, and PostgreSQL when there is one.

PostgreSQL comes from {{ cookiecutter.package_name | upper }}_TEST_POSTGRES_URL (a server URL, e.g. what a CI service container
gives: postgresql+asyncpg://postgres@127.0.0.1:5432/postgres), otherwise from a throw-away
server started with the `initdb`/`pg_ctl` found on PATH or under /usr/lib/postgresql/*/bin;
otherwise those tests are skipped with the reason. Each run creates its own database and
drops it at the end.
"""

import asyncio
import os
import pwd
import shutil
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from {{ cookiecutter.package_name }}.config import ENV_PREFIX
from {{ cookiecutter.package_name }}.features.database import DatabaseSettings

from ..ports import unused_port

POSTGRES_URL_VARIABLE = f"{ENV_PREFIX}TEST_POSTGRES_URL"
# Read when the tests are collected: the autouse fixture removes prefixed variables per test.
POSTGRES_SERVER_URL = os.environ.get(POSTGRES_URL_VARIABLE, "")
HOW_TO_RUN = (
    f"no PostgreSQL: set {POSTGRES_URL_VARIABLE}=postgresql+asyncpg://USER@HOST:PORT/postgres "
    "or install the server binaries (initdb, pg_ctl) to run these tests"
)


def run_async(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run `coroutine` on a loop of its own, in a thread: session fixtures are synchronous."""
    failures: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(coroutine)
        except BaseException as exc:
            failures.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if failures:
        raise failures[0]


def postgres_binaries() -> Path | None:
    """The directory holding initdb and pg_ctl: PATH first, then Debian's versioned dirs."""
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).parent
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
            return candidate
    return None


@contextmanager
def throwaway_server(binaries: Path) -> Iterator[str]:
    """A PostgreSQL server in a temporary directory on a free port, stopped at the end."""
    run_as: list[str] = []
    owner: pwd.struct_passwd | None = None
    if os.geteuid() == 0:
        # PostgreSQL refuses to run as root: run it as the `postgres` account.
        runuser = shutil.which("runuser", path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin")
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip(f"running as root and no `postgres` user; {HOW_TO_RUN}")
        if runuser is None:
            pytest.skip(f"running as root and no runuser; {HOW_TO_RUN}")
        run_as = [runuser, "-u", owner.pw_name, "--"]
    with tempfile.TemporaryDirectory(prefix="pg-test-") as directory:
        if owner is not None:
            os.chown(directory, owner.pw_uid, owner.pw_gid)
        data = Path(directory) / "data"
        port = unused_port()
        subprocess.run(
            [*run_as, str(binaries / "initdb"), "-D", str(data), "-U", "postgres",
             "--auth=trust", "--no-sync", "-E", "UTF8"],
            check=True, capture_output=True,
        )  # fmt: skip
        options = f"-p {port} -h 127.0.0.1 -k {directory} -F"
        pg_ctl = [*run_as, str(binaries / "pg_ctl"), "-D", str(data)]
        log = str(Path(directory) / "server.log")
        subprocess.run([*pg_ctl, "-o", options, "-l", log, "-w", "start"], check=True)
        try:
            yield f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres"
        finally:
            subprocess.run([*pg_ctl, "-m", "immediate", "stop"], check=False)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a PostgreSQL server the tests may create databases on."""
    if POSTGRES_SERVER_URL:
        yield POSTGRES_SERVER_URL
        return
    binaries = postgres_binaries()
    if binaries is None:
        pytest.skip(HOW_TO_RUN)
    with throwaway_server(binaries) as url:
        yield url


async def _admin(server_url: str, statement: str) -> None:
    # CREATE/DROP DATABASE cannot run inside a transaction.
    engine = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A database of this test run's own (random name), dropped at the end."""
    name = f"test_{uuid.uuid4().hex[:16]}"
    run_async(_admin(postgres_server, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(postgres_server).set(database=name).render_as_string(hide_password=False)
    finally:
        run_async(_admin(postgres_server, f'DROP DATABASE "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each database test runs on an SQLite file and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def database(database_url: str) -> DatabaseSettings:
    return DatabaseSettings(url=database_url)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line the template's CI checks: how many PostgreSQL tests ran."""
    counts = {
        outcome: sum(
            "postgresql" in getattr(report, "nodeid", "")
            for report in terminalreporter.stats.get(outcome, [])
            if getattr(report, "when", "call") in ("call", "setup")
        )
        for outcome in ("passed", "skipped", "failed")
    }
    terminalreporter.write_line(
        f"postgresql tests: {counts['passed']} passed, {counts['skipped']} skipped, "
        f"{counts['failed']} failed"
    )
