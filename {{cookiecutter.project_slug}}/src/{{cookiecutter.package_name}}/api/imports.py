"""POST /api/v1/objects/import: fetch a URL into storage through the SSRF-guarded DownloadClient.

The download streams into storage chunk by chunk: its size is capped by `download.max_bytes`
and `storage.max_object_bytes`, an expected sha256 is checked before the object is published,
and a source that fails halfway leaves nothing behind.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator
from yarl import URL

from ..clients.download import DownloadTooLargeError, SourceNotAllowedError
from ..clients.errors import ClientError, ClientTimeoutError, HTTPStatusError
from ..features.download import DOWNLOADS
from ..files import ChecksumMismatchError, UnsafePathError, verify_sha256
from ..server.errors import error_response
from ..storage import DEFAULT_CONTENT_TYPE, check_key
from ..storage.keys import KEY_PATTERN, MAX_KEY_BYTES
from .dependencies import ResourcesDep, StorageDep, StorageSettingsDep
from .errors import error_responses
from .models import StoredObject
from .objects import PREFIX

if TYPE_CHECKING:
    from fastapi import FastAPI

logger = logging.getLogger(__name__)

router = APIRouter(prefix=PREFIX, tags=["objects"])


class ImportRequest(BaseModel):
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


@router.post(
    "/import",
    status_code=201,
    responses=error_responses(400, 403, 409, 413, 422, 502, 503, 504),
)
async def import_object(
    body: ImportRequest,
    request: Request,
    response: Response,
    storage: StorageDep,
    resources: ResourcesDep,
    limits: StorageSettingsDep,
) -> StoredObject:
    """Download `url` into storage under `key`; the object appears only once it is complete."""
    if body.key is not None:
        check_key(body.key)  # its byte limits, before anything is fetched
    async with resources.get(DOWNLOADS).open(body.url) as download:
        chunks = download.chunks
        if body.sha256 is not None:
            chunks = verify_sha256(chunks, body.sha256)
        info = await storage.put_stream(
            body.key or download.filename,
            chunks,
            content_type=download.content_type or DEFAULT_CONTENT_TYPE,
            max_bytes=limits.max_object_bytes,
        )
    response.headers["location"] = str(request.url_for("get_object", key=quote(info.key)))
    return StoredObject.of(info)


async def source_not_allowed_handler(request: Request, exc: Exception) -> Response:
    """Refused by policy (SSRF guard, scheme, file roots): 403, like any other refusal."""
    return error_response(403, str(exc), code="source_not_allowed")


async def too_large_handler(request: Request, exc: Exception) -> Response:
    return error_response(413, str(exc), code="payload_too_large")


async def checksum_mismatch_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ChecksumMismatchError)
    details = {"expected": exc.expected, "actual": exc.actual}
    return error_response(422, "sha256 mismatch", code="checksum_mismatch", details=details)


async def upstream_error_handler(request: Request, exc: Exception) -> Response:
    """The source failed: 504 when it was too slow, else 502 (with its status, if any)."""
    assert isinstance(exc, ClientError)
    logger.info("import source failed: %s", exc)
    if isinstance(exc, ClientTimeoutError):
        return error_response(504, "The source did not answer in time")
    details = {"status": exc.status} if isinstance(exc, HTTPStatusError) else None
    return error_response(502, "The source could not be fetched", details=details)


def install_download_error_handlers(app: FastAPI) -> None:
    """Download errors in the envelope (they only come from this route)."""
    app.add_exception_handler(SourceNotAllowedError, source_not_allowed_handler)
    # A file:// path that leaves its root.
    app.add_exception_handler(UnsafePathError, source_not_allowed_handler)
    app.add_exception_handler(DownloadTooLargeError, too_large_handler)
    app.add_exception_handler(ChecksumMismatchError, checksum_mismatch_handler)
    app.add_exception_handler(ClientError, upstream_error_handler)


__all__ = ["ImportRequest", "install_download_error_handlers", "router"]
