"""GET /api/v1/jobs/{id}: a job's record (state, progress, result or error, callbacks)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from starlette.responses import JSONResponse

from ..features.jobs import JOBS
from ..server.errors import ErrorEnvelope, error_response
from ..server.resources import ResourcesDep
from .models import JobRecord

PREFIX = "/api/v1/jobs"

router = APIRouter(prefix=PREFIX, tags=["jobs"])


@router.get(
    "/{job_id}",
    response_model=JobRecord,
    responses={404: {"model": ErrorEnvelope, "description": "No such job (or past retention)"}},
)
async def get_job(
    job_id: Annotated[str, Path(max_length=64)], resources: ResourcesDep
) -> JobRecord | JSONResponse:
    """The job's record; a finished job stays readable for `jobs.result_retention` seconds."""
    record = await resources.get(JOBS).get(job_id)
    if record is None:
        return error_response(404, "No such job", code="job_not_found")
    return record


__all__ = ["PREFIX", "router"]
