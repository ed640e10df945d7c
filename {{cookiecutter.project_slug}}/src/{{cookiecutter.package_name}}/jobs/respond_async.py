"""`Prefer: respond-async` (RFC 7240): a client asks for a job instead of waiting.

    async def route(..., prefer: PreferHeader = None) -> ...:
        if prefers_async(prefer):
            return await submit_accepted(request, queue, "kind", payload)
        ...  # the synchronous answer

The route answers 202 Accepted with the job's record, `Location` (its GET /api/v1/jobs/{id})
and `Preference-Applied: respond-async`. Without the preference it answers as it always did:
a server may ignore a preference, so a client that did not ask gets no surprise.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Header
from pydantic import BaseModel
from starlette.responses import JSONResponse

from ..server.errors import error_response
from .models import JobRecord
from .queue import CallbackURLRefused

if TYPE_CHECKING:
    from collections.abc import Mapping

    from starlette.requests import Request

    from .queue import JobQueue

RESPOND_ASYNC = "respond-async"

# A route parameter: the Prefer header(s) as sent (the header may appear more than once).
PreferHeader = Annotated[
    list[str] | None,
    Header(
        description=(
            "RFC 7240 preferences; `respond-async` asks for 202 Accepted and a job to poll "
            "instead of waiting for the result"
        ),
        examples=[["respond-async"]],
    ),
]


def preference_names(values: Iterable[str]) -> set[str]:
    """The preferences named in Prefer header values, lower-cased, without values or parameters.

    `respond-async, wait=10;foo="a,b"` names {"respond-async", "wait"}: a comma inside a
    quoted string does not start a new preference (RFC 7240 section 2).
    """
    names: set[str] = set()
    for value in values:
        for preference in _split_outside_quotes(value):
            name = preference.split(";", 1)[0].split("=", 1)[0].strip().lower()
            if name:
                names.add(name)
    return names


def _split_outside_quotes(value: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in value:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def prefers_async(values: Iterable[str] | None) -> bool:
    """Whether the Prefer header values ask for `respond-async` (other preferences ignored)."""
    return values is not None and RESPOND_ASYNC in preference_names(values)


async def submit_accepted(
    request: Request,
    queue: JobQueue,
    kind: str,
    payload: BaseModel | Mapping[str, Any],
    *,
    callback_url: str | None = None,
) -> JSONResponse:
    """Submit the job and answer 202 with its record; a refused callback_url is a 400."""
    try:
        record = await queue.submit(kind, payload, callback_url=callback_url)
    except CallbackURLRefused as exc:
        # The queue refuses a callback_url it will not call (scheme, address, callbacks off).
        return error_response(400, str(exc), code="invalid_callback_url")
    return accepted(record, str(request.url_for("get_job", job_id=record.id)))


def accepted(record: JobRecord, location: str) -> JSONResponse:
    """202 Accepted: the record as the body, where to poll it, and the applied preference."""
    headers = {"Location": location, "Preference-Applied": RESPOND_ASYNC}
    return JSONResponse(record.model_dump(mode="json"), status_code=202, headers=headers)


def accepted_responses(description: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entry for a route that may answer with a job (202)."""
    return {
        202: {
            "model": JobRecord,
            "description": description,
            "headers": {
                "Location": {
                    "description": "The job: GET it until its status is succeeded or failed",
                    "schema": {"type": "string"},
                },
                "Preference-Applied": {
                    "description": "respond-async",
                    "schema": {"type": "string"},
                },
            },
        },
    }


__all__ = [
    "RESPOND_ASYNC",
    "PreferHeader",
    "accepted",
    "accepted_responses",
    "preference_names",
    "prefers_async",
    "submit_accepted",
]
