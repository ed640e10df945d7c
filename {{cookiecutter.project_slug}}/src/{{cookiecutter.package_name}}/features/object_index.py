"""The object index: with the database, the objects API lists and describes from a table.

The storage backend stays where the bytes live; `db/object_index.py` says how the two writes
are kept in step, and `reconcile` repairs the table from storage.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import typer

from ..commands import settings_from
from . import Feature
from .database import ENGINE, SESSIONS
from .objects import STORAGE

if TYPE_CHECKING:
    from contextlib import AsyncExitStack

    from ..config import ServiceSettings
    from ..db.object_index import ReconcileReport
    from ..resources import Resources


class ObjectIndexFeature(Feature):
    """Wraps the objects API's storage in `IndexedStorage`; adds the `reconcile` command."""

    async def open(self, resources: Resources, stack: AsyncExitStack) -> None:
        backend = resources.find(STORAGE)
        if backend is None:
            return  # no backend (S3 off): the routes answer 503 without asking the index
        from ..db.object_index import IndexedStorage

        engine = resources.get(ENGINE)
        indexed = IndexedStorage(backend, resources.get(SESSIONS), dialect=engine.dialect.name)
        # Closed before the backend and the engine: index steps still running finish first.
        stack.push_async_callback(indexed.aclose)
        resources.replace(STORAGE, indexed)

    @classmethod
    def add_commands(cls, cli: typer.Typer) -> None:
        cli.command()(reconcile)


async def _reconcile(settings: ServiceSettings) -> ReconcileReport:
    from ..db.object_index import IndexedStorage
    from ..resources import open_resources

    async with open_resources(ObjectIndexFeature.of(settings)) as resources:
        storage = resources.find(STORAGE)
        if not isinstance(storage, IndexedStorage):
            raise LookupError("object storage is off: turn S3 on (s3.enabled, s3.bucket)")
        return await storage.reconcile()


def reconcile(ctx: typer.Context) -> None:
    """Repair the object index from storage: add, update and remove rows (safe to repeat)."""
    from ..storage import StorageError

    settings = settings_from(ctx)
    try:
        report = asyncio.run(_reconcile(settings))
    except (StorageError, LookupError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from exc
    typer.echo(
        f"added {report.added}, updated {report.updated}, removed {report.removed}, "
        f"unchanged {report.unchanged}"
    )


__all__ = ["ObjectIndexFeature", "reconcile"]
