"""The application lifespan: opens shared resources once, closes them on shutdown."""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING

{% if cookiecutter.with_http_client -%}
from ..clients import create_session
{% endif -%}
from .resources import Resources

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from fastapi import FastAPI

logger = logging.getLogger(__name__)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open every long-lived client on one exit stack; it closes them in reverse order."""
    settings = app.state.settings
    async with AsyncExitStack() as stack:
        resources = Resources(
            settings=settings,
{%- if cookiecutter.with_http_client %}
            http_session=await stack.enter_async_context(create_session(settings.http_client)),
{%- endif %}
        )
        # Registered last, so it runs first at shutdown: /ready answers 503 (load balancers
        # stop sending traffic) before any client above is closed.
        stack.callback(resources.begin_shutdown)
        app.state.resources = resources
        logger.info("application started")
        yield


__all__ = ["lifespan"]
