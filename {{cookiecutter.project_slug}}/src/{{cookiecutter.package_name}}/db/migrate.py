"""Alembic, configured in code: the scripts live in `migrations/`, inside the package.

No alembic.ini: the `db` commands load the service's settings (file and environment, like
every command), open the engine and hand Alembic a connection (`env.py` runs on it). The
scripts ship inside the package, so an installed service (the container image) migrates
with exactly the scripts it was built with.
"""

from __future__ import annotations

import asyncio
import importlib
import pkgutil
from argparse import Namespace
from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from . import models
from .base import Base
from .engine import open_engine

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy.engine import Connection

    from ..features.database import DatabaseSettings

    # Not generic on purpose: every action answers with a revision or a path (or None), and
    # one source passes ruff on every target Python (UP047 wants PEP 695 from 3.12 on).
    Action = Callable[[Config, Connection], str | None]

MIGRATIONS = Path(__file__).with_name("migrations")


def load_models() -> None:
    """Import every module of `models`, so `Base.metadata` holds every table."""
    for found in pkgutil.iter_modules(models.__path__):
        importlib.import_module(f"{models.__name__}.{found.name}")


def alembic_config() -> Config:
    # Alembic's own progress lines are dropped: the `db` commands print one answer each.
    config = Config(cmd_opts=Namespace(quiet=True))
    config.set_main_option("script_location", str(MIGRATIONS))
    # "rev_" first: a file name must be a valid module name for mypy (ids may start with a digit).
    config.set_main_option("file_template", "rev_%%(rev)s_%%(slug)s")
    config.set_main_option("path_separator", "os")
    # Autogenerate compares the database with the models registered on this metadata.
    load_models()
    config.attributes["target_metadata"] = Base.metadata
    return config


async def _on_connection(settings: DatabaseSettings, work: Action) -> str | None:
    """Run `work` (Alembic is synchronous) on one connection, in one transaction."""
    config = alembic_config()
    async with open_engine(settings) as engine, engine.begin() as connection:

        def run(sync_connection: Connection) -> str | None:
            config.attributes["connection"] = sync_connection
            return work(config, sync_connection)

        # run_sync drives the blocking-looking Alembic code on the async driver.
        return await connection.run_sync(run)


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def head(config: Config | None = None) -> str | None:
    """The newest revision among the scripts."""
    return ScriptDirectory.from_config(config or alembic_config()).get_current_head()


async def upgrade(settings: DatabaseSettings, revision: str = "head") -> str | None:
    """Migrate up to `revision`; return the revision the database is at."""

    def work(config: Config, connection: Connection) -> str | None:
        command.upgrade(config, revision)
        return _current(connection)

    return await _on_connection(settings, work)


async def downgrade(settings: DatabaseSettings, revision: str) -> str | None:
    """Migrate down to `revision` ("base": before the first); return where the database is."""

    def work(config: Config, connection: Connection) -> str | None:
        command.downgrade(config, revision)
        return _current(connection)

    return await _on_connection(settings, work)


async def current(settings: DatabaseSettings) -> str | None:
    """The database's revision; None before the first migration."""
    return await _on_connection(settings, lambda config, connection: _current(connection))


async def describe_current(settings: DatabaseSettings) -> str:
    """`<revision> (head)`, or the revision and the head it is behind."""
    at = await current(settings)
    newest = await asyncio.to_thread(head)
    if at == newest:
        return f"{at} (head)"
    return f"{at or 'base'} (behind head {newest})"


async def revision(settings: DatabaseSettings, message: str, *, autogenerate: bool) -> str:
    """Write a new script; with `autogenerate`, what the models have and the database lacks."""

    def work(config: Config, connection: Connection | None = None) -> str:
        script = command.revision(config, message=message, autogenerate=autogenerate)
        scripts = script if isinstance(script, list) else [script]
        return ", ".join(str(one.path) for one in scripts if one is not None)

    if autogenerate:
        return await _on_connection(settings, work) or ""
    return await asyncio.to_thread(work, alembic_config())


__all__ = [
    "MIGRATIONS",
    "alembic_config",
    "current",
    "describe_current",
    "downgrade",
    "head",
    "load_models",
    "revision",
    "upgrade",
]
