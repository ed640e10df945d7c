"""The Sentry ingest endpoint the error-reporting tests send their reports to."""

from collections.abc import AsyncIterator

import pytest

from .ingest import Ingest, running_ingest


@pytest.fixture
async def ingest() -> AsyncIterator[Ingest]:
    async with running_ingest() as ingest:
        yield ingest
        assert not ingest.problems, ingest.problems
