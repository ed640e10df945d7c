"""The application lifespan: opens shared resources once, closes them on shutdown."""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING
{%- if cookiecutter.with_s3 %}

from ..storage import S3Client
from .resources import Resources
{%- else %}

from .resources import Resources
{%- endif %}

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from fastapi import FastAPI

logger = logging.getLogger(__name__)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open every long-lived client on one exit stack; it closes them in reverse order."""
    resources = Resources(settings=app.state.settings)
    async with AsyncExitStack(){{ " as stack" if cookiecutter.with_s3 }}:
{%- if cookiecutter.with_s3 %}
        if resources.settings.s3.enabled:
            resources.s3 = await stack.enter_async_context(S3Client(resources.settings.s3))
            resources.readiness_checks["s3"] = resources.s3.check_bucket
{%- endif %}
        app.state.resources = resources
        logger.info("application started")
        try:
            yield
        finally:
            # /ready answers 503 from here on, so load balancers stop sending traffic.
            resources.shutting_down = True
            logger.info("application stopping")


__all__ = ["lifespan"]
