"""What route handlers borrow from the running app: the resources its features opened."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

# Imported at runtime: FastAPI reads get_resources' annotations to inject the request.
from starlette.requests import Request

from ..resources import ReadinessCheck, Resources


async def get_resources(request: Request) -> Resources:
    """FastAPI dependency: the resources of the running app (set by the lifespan).

    `async` although it awaits nothing: FastAPI runs a plain `def` dependency in a worker
    thread, a thread hop per request and a thread pool kept alive for nothing.
    """
    resources: Resources = request.app.state.resources
    return resources


ResourcesDep = Annotated[Resources, Depends(get_resources)]

__all__ = ["ReadinessCheck", "Resources", "ResourcesDep", "get_resources"]
