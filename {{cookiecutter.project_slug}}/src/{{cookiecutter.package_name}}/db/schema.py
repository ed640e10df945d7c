"""Readiness: the database answers, and its schema is the one this release's code expects.

The revision is read from Alembic's version table with two plain queries per probe; the
scripts' head is read once (in a thread: Alembic parses the files) on the first probe.

- at head: ready.
- behind head (an older revision, or never migrated: "base"): not ready, and /ready names
  both revisions, e.g. `schema behind head (database at base, head 0001)`. The code would
  fail on tables it expects; run `db upgrade` first (a step of every deployment).
- a revision these scripts do not know (a newer release migrated the database, or this one
  was rolled back after it did): ready, and one warning in the log. Migrations are written
  to keep the previous release working (add first, remove a release later), so the old
  version keeps serving during a rolling update and a rollback does not take it down.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text

from ..resources import NotReady

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.ext.asyncio import AsyncEngine

    from ..resources import ReadinessCheck

logger = logging.getLogger(__name__)

VERSION_TABLE = "alembic_version"


def database_revisions(connection: Connection) -> tuple[str, ...]:
    """The revisions the database is at; () before the first migration."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return ()
    rows = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))  # noqa: S608
    return tuple(sorted(str(row[0]) for row in rows))


def script_revisions() -> tuple[str, frozenset[str]]:
    """The head of the migration scripts shipped with this release, and every revision."""
    from alembic.script import ScriptDirectory

    from .migrate import alembic_config

    scripts = ScriptDirectory.from_config(alembic_config())
    known = frozenset(script.revision for script in scripts.walk_revisions())
    return ",".join(scripts.get_heads()), known


def readiness_check(engine: AsyncEngine) -> ReadinessCheck:
    """The /ready check of the database: connect, then compare its revision with the head."""
    scripts: list[tuple[str, frozenset[str]]] = []
    unknown_logged: list[str] = []

    async def database() -> None:
        async with engine.connect() as connection:
            revisions = await connection.run_sync(database_revisions)
        if not scripts:
            scripts.append(await asyncio.to_thread(script_revisions))
        head, known = scripts[0]
        at = ",".join(revisions) or "base"
        if at == head:
            return
        if all(revision in known for revision in revisions):
            raise NotReady(f"schema behind head (database at {at}, head {head})")
        if unknown_logged != [at]:
            unknown_logged[:] = [at]
            logger.warning(
                "database at revision %s, which this release does not know (head %s): "
                "a newer release migrated it; serving on (migrations keep old code working)",
                at,
                head,
            )

    return database


__all__ = ["VERSION_TABLE", "database_revisions", "readiness_check", "script_revisions"]
