"""PUT, GET, HEAD and DELETE /api/v1/objects/{key}, and GET /api/v1/objects (a paged listing).

Bodies stream in both directions: an upload goes from `request.stream()` into storage as it
arrives, a download from storage to the socket, so memory stays at a few chunks whatever the
object's size. An upload that fails, passes `storage.max_object_bytes` or is cut short by the
client leaves nothing behind.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request
from starlette.convertors import Convertor, register_url_convertor
from starlette.responses import Response

from ..server.middleware import BodyLimit
from ..storage import DEFAULT_CONTENT_TYPE, MAX_PAGE_SIZE
from ..storage.keys import CURSOR_PATTERN, KEY_PATTERN, MAX_CURSOR_CHARS, MAX_KEY_BYTES
from .dependencies import StorageDep, StorageSettingsDep
from .errors import error_responses
from .models import ObjectListing, StoredObject
from .responses import ObjectResponse, object_headers

if TYPE_CHECKING:
    from ..features.objects import StorageSettings

PREFIX = "/api/v1/objects"
# type "/" subtype, then optional parameters; printable ASCII only.
CONTENT_TYPE_PATTERN = r"^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+([ \t]*;[ -~]*)?$"


class KeyConvertor(Convertor[str]):
    """Starlette's `path` convertor, newlines included.

    `path` matches `.*`, and `.` stops at a newline: a key with "%0A" matched no route (a
    404 the API does not document) or, at the end, lost it ("a%0A" routed as "a"). Matching
    everything hands every key to `check_key`, so every bad key is a 400 `invalid_key`.
    """

    regex = "(?s:.*)"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


# Starlette keeps convertors in one registry by name; this name is ours alone.
register_url_convertor("object_key", KeyConvertor())

router = APIRouter(prefix=PREFIX, tags=["objects"])

# The rules are documented for clients (and API fuzzers) but checked by the storage layer
# (check_key), so that a bad key is a 400 `invalid_key` on every backend.
Key = Annotated[
    str,
    Path(
        description="A relative path such as reports/2025/q1.pdf (at most 1024 bytes in UTF-8)",
        json_schema_extra={"pattern": KEY_PATTERN, "maxLength": MAX_KEY_BYTES},
    ),
]

# The request body is read as a stream, so FastAPI cannot describe it by itself.
_BINARY = {"schema": {"type": "string", "format": "binary"}}
_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {"required": True, "content": {"application/octet-stream": _BINARY}}
}
_OBJECT_BODY: dict[int | str, dict[str, Any]] = {
    200: {"description": "The object's bytes", "content": {"application/octet-stream": _BINARY}}
}


def upload_limit(section: StorageSettings) -> BodyLimit:
    """Uploads may be as large as storage allows, not just `server.max_body_bytes`."""
    return BodyLimit(prefix=f"{PREFIX}/", max_bytes=section.max_object_bytes)


def _declared_bound(request: Request, limit: int) -> int:
    """The limit, or the body's Content-Length when smaller (the server reads no further).

    A smaller bound lets S3 uploads reserve less of the upload buffer budget.
    """
    declared = request.headers.get("content-length", "")
    return min(limit, int(declared)) if declared.isascii() and declared.isdigit() else limit


@router.get("", responses=error_responses(422, 503))
async def list_objects(
    storage: StorageDep,
    prefix: Annotated[str, Query(max_length=1024, description="Only keys starting with this")] = "",
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 100,
    cursor: Annotated[
        str | None,
        Query(
            max_length=MAX_CURSOR_CHARS,
            pattern=CURSOR_PATTERN,
            description="`next_cursor` of the previous page",
        ),
    ] = None,
) -> ObjectListing:
    """Objects in key order, one page at a time."""
    page = await storage.list_page(prefix, limit=limit, cursor=cursor)
    items = [StoredObject.of(info) for info in page.items]
    return ObjectListing(items=items, next_cursor=page.next_cursor)


@router.put(
    "/{key:object_key}",
    responses=error_responses(400, 409, 413, 422, 503),
    openapi_extra=_UPLOAD_BODY,
)
async def put_object(
    key: Key,
    request: Request,
    storage: StorageDep,
    limits: StorageSettingsDep,
    content_type: Annotated[
        str | None, Header(max_length=255, pattern=CONTENT_TYPE_PATTERN)
    ] = None,
) -> StoredObject:
    """Store the request body under `key`, replacing any object there."""
    info = await storage.put_stream(
        key,
        request.stream(),
        content_type=content_type or DEFAULT_CONTENT_TYPE,
        max_bytes=_declared_bound(request, limits.max_object_bytes),
    )
    return StoredObject.of(info)


@router.get(
    "/{key:object_key}",
    status_code=200,
    response_class=ObjectResponse,
    responses={**_OBJECT_BODY, **error_responses(400, 404, 422, 503)},
)
async def get_object(key: Key, storage: StorageDep) -> ObjectResponse:
    """The object's bytes, streamed, with its content type, length, ETag and Last-Modified."""
    return ObjectResponse(await storage.get_stream(key))


@router.head(
    "/{key:object_key}", response_class=Response, responses=error_responses(400, 404, 422, 503)
)
async def head_object(key: Key, storage: StorageDep) -> Response:
    """The headers GET would send, without the body."""
    return Response(headers=object_headers(await storage.head(key)))


@router.delete(
    "/{key:object_key}",
    status_code=204,
    response_class=Response,
    responses=error_responses(400, 422, 503),
)
async def delete_object(key: Key, storage: StorageDep) -> Response:
    """Delete the object; deleting a key that does not exist succeeds too (as in S3)."""
    await storage.delete(key)
    return Response(status_code=204)


__all__ = ["CONTENT_TYPE_PATTERN", "PREFIX", "Key", "KeyConvertor", "router", "upload_limit"]
