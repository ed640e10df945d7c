"""Job records in the service's database (the `jobs` table), so every process shares them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import Feature
from .database import SESSIONS
from .jobs import JOB_STORE, JobsFeature

if TYPE_CHECKING:
    from contextlib import AsyncExitStack

    from ..resources import Resources


class JobStoreDatabaseFeature(Feature):
    """Publishes the database job store, which the job queue then uses over Redis or memory."""

    async def open(self, resources: Resources, stack: AsyncExitStack) -> None:
        from ..jobs.db_store import DatabaseJobStore

        retention = JobsFeature.of(self).jobs.result_retention
        resources.provide(JOB_STORE, DatabaseJobStore(resources.get(SESSIONS), retention=retention))


__all__ = ["JobStoreDatabaseFeature"]
