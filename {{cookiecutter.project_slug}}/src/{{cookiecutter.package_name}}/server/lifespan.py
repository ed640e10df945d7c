"""The application lifespan: every feature opens its resources once, all close on shutdown."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from ..resources import open_resources

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable
    from contextlib import AbstractAsyncContextManager

    from fastapi import FastAPI

    from ..features import Feature

logger = logging.getLogger(__name__)


def lifespan_for(settings: Feature) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The lifespan of an app built from `settings`."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_resources(settings) as resources:
            app.state.resources = resources
            logger.info("application started")
            yield

    return lifespan


__all__ = ["lifespan_for"]
