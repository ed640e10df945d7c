"""The application lifespan: opens shared resources once, closes them on shutdown."""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING

from .resources import Resources

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from fastapi import FastAPI

logger = logging.getLogger(__name__)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open every long-lived client on one exit stack; it closes them in reverse order."""
    resources = Resources(settings=app.state.settings)
    async with AsyncExitStack():
        app.state.resources = resources
        logger.info("application started")
        try:
            yield
        finally:
            # /ready answers 503 from here on, so load balancers stop sending traffic.
            resources.shutting_down = True
            logger.info("application stopping")


__all__ = ["lifespan"]
