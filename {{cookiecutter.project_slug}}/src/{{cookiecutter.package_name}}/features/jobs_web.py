"""What jobs add to the HTTP app: GET /api/v1/jobs/{id}."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .server import WebFeature

if TYPE_CHECKING:
    from fastapi import FastAPI


class JobsWebFeature(WebFeature):
    """Installs the job resource (behind the bearer token like every /api route)."""

    def install(self, app: FastAPI) -> None:
        from ..jobs.web import router

        app.include_router(router)


__all__ = ["JobsWebFeature"]
