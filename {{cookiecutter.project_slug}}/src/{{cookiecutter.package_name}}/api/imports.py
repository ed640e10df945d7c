"""POST /api/v1/objects/import: fetch a URL into storage through the SSRF-guarded DownloadClient.

The download streams into storage chunk by chunk: its size is capped by `download.max_bytes`
and `storage.max_object_bytes`, an expected sha256 is checked before the object is published,
and a source that fails halfway leaves nothing behind.
{%- if cookiecutter.with_jobs %}

With `Prefer: respond-async` the import runs as the `import_object` job (api/import_job.py)
and the route answers 202 Accepted at once (jobs/respond_async.py).
{%- endif %}
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator
{%- if cookiecutter.with_jobs %}
from starlette.responses import JSONResponse
{%- endif %}
from yarl import URL

from ..clients.download import DownloadTooLargeError, SourceNotAllowedError
from ..clients.errors import ClientError, ClientTimeoutError, HTTPStatusError
from ..features.download import DOWNLOADS
{%- if cookiecutter.with_jobs %}
from ..features.jobs import JOBS
{%- endif %}
from ..files import ChecksumMismatchError, UnsafePathError, verify_sha256
{%- if cookiecutter.with_jobs %}
from ..jobs.respond_async import PreferHeader, accepted_responses, prefers_async, submit_accepted
{%- endif %}
from ..server.errors import error_response
from ..storage import DEFAULT_CONTENT_TYPE, check_key
from ..storage.keys import KEY_PATTERN, MAX_KEY_BYTES
from .dependencies import ResourcesDep, StorageDep, StorageSettingsDep
from .errors import error_responses
from .models import StoredObject
from .objects import PREFIX

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from fastapi import FastAPI

    from ..clients.download import DownloadClient
    from ..storage import ObjectInfo, Storage

logger = logging.getLogger(__name__)

router = APIRouter(prefix=PREFIX, tags=["objects"])
{%- if cookiecutter.with_jobs %}

# The job kind that runs an import asked for with `Prefer: respond-async`.
IMPORT_JOB = "import_object"
{%- endif %}

# Called with the bytes stored so far and the source's size (None when it did not say).
Progress = Callable[[int, int | None], Awaitable[None]]


class ImportSource(BaseModel):
    """What to import and where to store it{{ " (also the input of the import_object job)" if cookiecutter.with_jobs }}."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        max_length=2048,
        description=(
            "http(s):// source, e.g. https://example.com/q1.pdf; private, loopback and "
            "link-local addresses are refused (403)"
        ),
    )
    key: str | None = Field(
        default=None,
        max_length=MAX_KEY_BYTES,
        pattern=KEY_PATTERN,
        description="Where to store it; default: the file name from the URL or the response",
    )
    sha256: str | None = Field(
        default=None, pattern=r"^[0-9a-fA-F]{64}$", description="Expected sha256 (hex)"
    )

    @field_validator("url")
    @classmethod
    def _parses(cls, value: str) -> str:
        try:
            URL(value)
        except ValueError as exc:
            raise ValueError(f"not a URL: {exc}") from None
        return value


class ImportRequest(ImportSource):
    """The body of POST /api/v1/objects/import."""
{%- if cookiecutter.with_jobs %}

    callback_url: str | None = Field(
        default=None,
        max_length=2048,
        description=(
            "With `Prefer: respond-async`: where the finished job is POSTed, signed the "
            "Standard Webhooks way (needs jobs.webhook_secret)"
        ),
    )
{%- endif %}


async def store_import(
    source: ImportSource,
    storage: Storage,
    downloads: DownloadClient,
    *,
    max_bytes: int,
    progress: Progress | None = None,
) -> ObjectInfo:
    """Download `source.url` into `storage`; the object appears only once it is complete."""
    if source.key is not None:
        check_key(source.key)  # its byte limits, before anything is fetched
    async with downloads.open(source.url) as download:
        chunks = download.chunks
        if progress is not None:
            chunks = _reporting(chunks, download.size, progress)
        if source.sha256 is not None:
            chunks = verify_sha256(chunks, source.sha256)
        return await storage.put_stream(
            source.key or download.filename,
            chunks,
            content_type=download.content_type or DEFAULT_CONTENT_TYPE,
            max_bytes=max_bytes,
        )


async def _reporting(
    chunks: AsyncIterator[bytes], total: int | None, progress: Progress
) -> AsyncIterator[bytes]:
    done = 0
    async for chunk in chunks:
        done += len(chunk)
        await progress(done, total)
        yield chunk


@router.post(
    "/import",
    status_code=201,
    response_model=StoredObject,
{%- if cookiecutter.with_jobs %}
    responses={
        **accepted_responses(
            f"With `Prefer: respond-async`: the import runs as the {IMPORT_JOB} job; "
            "GET the Location until it succeeds (its result is the stored object) or fails"
        ),
        **error_responses(400, 403, 409, 413, 422, 502, 503, 504),
    },
{%- else %}
    responses=error_responses(400, 403, 409, 413, 422, 502, 503, 504),
{%- endif %}
)
async def import_object(
    body: ImportRequest,
    request: Request,
    response: Response,
    storage: StorageDep,
    resources: ResourcesDep,
    limits: StorageSettingsDep,
{%- if cookiecutter.with_jobs %}
    prefer: PreferHeader = None,
) -> StoredObject | JSONResponse:
    """Download `url` into storage under `key`; the object appears only once it is complete.

    With `Prefer: respond-async` the download runs as a job: 202 Accepted, and the job's
    record (GET its Location) ends with the stored object as its result.
    """
    if body.key is not None:
        check_key(body.key)  # refused now rather than by the job
    if prefers_async(prefer):
        source = ImportSource.model_validate(body.model_dump(exclude={"callback_url"}))
        queue = resources.get(JOBS)
        return await submit_accepted(
            request, queue, IMPORT_JOB, source, callback_url=body.callback_url
        )
    if body.callback_url is not None:
        return error_response(
            400,
            "callback_url needs `Prefer: respond-async`: only a job calls back",
            code="callback_needs_respond_async",
        )
{%- else %}
) -> StoredObject:
    """Download `url` into storage under `key`; the object appears only once it is complete."""
{%- endif %}
    info = await store_import(
        body, storage, resources.get(DOWNLOADS), max_bytes=limits.max_object_bytes
    )
    response.headers["location"] = str(request.url_for("get_object", key=quote(info.key)))
    return StoredObject.of(info)


@dataclass(frozen=True)
class ImportFailure:
    """How a failed import is answered: the route's error envelope{{ ", the job's error" if cookiecutter.with_jobs }}."""

    status: int
    code: str
    message: str
    details: dict[str, Any] | None = None


def import_failure(exc: Exception) -> ImportFailure | None:
    """The answer to a download error; None for any other exception."""
    if isinstance(exc, SourceNotAllowedError | UnsafePathError):
        # Refused by policy (SSRF guard, scheme, a file:// path that leaves its root).
        return ImportFailure(403, "source_not_allowed", str(exc))
    if isinstance(exc, DownloadTooLargeError):
        return ImportFailure(413, "payload_too_large", str(exc))
    if isinstance(exc, ChecksumMismatchError):
        checksums = {"expected": exc.expected, "actual": exc.actual}
        return ImportFailure(422, "checksum_mismatch", "sha256 mismatch", checksums)
    if isinstance(exc, ClientTimeoutError):
        return ImportFailure(504, "gateway_timeout", "The source did not answer in time")
    if isinstance(exc, ClientError):
        # The source failed: its status, if any (the message may hold the URL's secrets).
        details = {"status": exc.status} if isinstance(exc, HTTPStatusError) else None
        return ImportFailure(502, "bad_gateway", "The source could not be fetched", details)
    return None


async def download_error_handler(request: Request, exc: Exception) -> Response:
    failure = import_failure(exc)
    assert failure is not None  # installed for the download errors only
    if failure.status >= 500:
        logger.info("import source failed: %s", exc)
    return error_response(
        failure.status, failure.message, code=failure.code, details=failure.details
    )


def install_download_error_handlers(app: FastAPI) -> None:
    """Download errors in the envelope (they only come from this route)."""
    for error in (
        SourceNotAllowedError,
        UnsafePathError,
        DownloadTooLargeError,
        ChecksumMismatchError,
        ClientError,
    ):
        app.add_exception_handler(error, download_error_handler)


__all__ = [
{%- if cookiecutter.with_jobs %}
    "IMPORT_JOB",
{%- endif %}
    "ImportFailure",
    "ImportRequest",
    "ImportSource",
    "Progress",
    "import_failure",
    "install_download_error_handlers",
    "router",
    "store_import",
]
