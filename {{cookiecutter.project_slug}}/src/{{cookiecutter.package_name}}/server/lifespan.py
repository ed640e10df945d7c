"""The application lifespan: every feature opens its resources once, all close on shutdown."""

from __future__ import annotations

import gc
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


def lifespan_for(
    settings: Feature, *, freeze_startup_objects: bool = False
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The lifespan of an app built from `settings`.

    With `freeze_startup_objects` (the process serves this one app: `serve` sets it), what
    start-up made (modules, settings, open clients) moves to the garbage collector's permanent
    generation once every feature is open. Objects kept across requests (a span waiting for
    its batch, a pooled connection) set off full collections, and each of those would walk
    the whole start-up heap again: about 15 µs per traced request
    (benchmarks/http_stack_otel.py).
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_resources(settings) as resources:
            app.state.resources = resources
            if freeze_startup_objects:
                gc.freeze()
            logger.info("application started")
            yield

    return lifespan


__all__ = ["lifespan_for"]
