"""Liveness, readiness and version endpoints (always public, never behind auth)."""

import asyncio
import logging
from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from starlette.responses import JSONResponse

from .. import DISTRIBUTION, __version__
from ..resources import NotReady
from .errors import ErrorEnvelope, error_response
from .resources import ReadinessCheck, Resources, get_resources

logger = logging.getLogger(__name__)

# A dependency that does not answer within this budget counts as unavailable.
CHECK_TIMEOUT_SECONDS = 2.0
# The longest reason a log line repeats from a failing check's exception.
REASON_CHARS = 200

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ready"] = "ready"
    checks: dict[str, str]


class VersionInfo(BaseModel):
    name: str
    version: str


@router.get("/health")
async def health() -> Health:
    """Liveness: the process answers; dependencies are not consulted."""
    return Health()


@router.get(
    "/ready",
    response_model=Readiness,
    responses={503: {"model": ErrorEnvelope, "description": "A dependency is unavailable"}},
)
async def ready(
    resources: Annotated[Resources, Depends(get_resources)],
) -> Readiness | JSONResponse:
    """Readiness: every dependency check passes and the app is not shutting down."""
    names = sorted(resources.readiness_checks)
    results = await asyncio.gather(
        *(
            _run(name, resources.readiness_checks[name], resources.readiness_states)
            for name in names
        )
    )
    checks = dict(zip(names, results, strict=True))
    if resources.shutting_down:
        checks["lifespan"] = "shutting down"
    if all(state == "ok" for state in checks.values()):
        return Readiness(checks=checks)
    return error_response(503, "Service not ready", details={"checks": checks})


@router.get("/version")
async def version() -> VersionInfo:
    return VersionInfo(name=DISTRIBUTION, version=__version__)


async def _run(name: str, check: ReadinessCheck, previous: dict[str, str]) -> str:
    """Run one check; log a line when its state changes, not on every probe.

    Orchestrators probe every few seconds: a traceback per probe would flood the logs while a
    dependency is down. The reason goes to the log, not to the unauthenticated caller; the
    traceback only at DEBUG.
    """
    reason = ""
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            await check()
        state = "ok"
    except TimeoutError:
        state, reason = "timeout", f"no answer within {CHECK_TIMEOUT_SECONDS} s"
    except NotReady as exc:
        # The dependency answered: its own state says it all, no traceback.
        state = str(exc)[:REASON_CHARS]
    except Exception as exc:
        logger.debug("readiness check %s failed", name, exc_info=True)
        state, reason = "unavailable", f"{type(exc).__name__}: {exc}"[:REASON_CHARS]
    if previous.get(name, "ok") != state:
        if state == "ok":
            logger.info("readiness check %s: ok again", name)
        else:
            because = f" ({reason})" if reason else ""
            logger.warning("readiness check %s: %s%s", name, state, because)
    previous[name] = state
    return state


__all__ = ["router"]
