"""Responses that carry an object: its bytes streamed, its description in headers."""

from __future__ import annotations

from datetime import UTC
from email.utils import format_datetime
from typing import TYPE_CHECKING

from starlette.responses import StreamingResponse

from ..storage import DEFAULT_CONTENT_TYPE

if TYPE_CHECKING:
    from starlette.types import Receive, Scope, Send

    from ..storage import ObjectInfo, ObjectStream


def object_headers(info: ObjectInfo) -> dict[str, str]:
    """Length, type, ETag and Last-Modified of an object, as GET and HEAD send them."""
    headers = {
        "content-length": str(info.size),
        "content-type": info.content_type or DEFAULT_CONTENT_TYPE,
        "etag": f'"{info.etag}"',
        # The content is whatever a client uploaded: browsers must not sniff it into HTML,
        # and a page served from here runs sandboxed, away from this origin.
        "x-content-type-options": "nosniff",
        "content-security-policy": "sandbox",
    }
    if info.last_modified is not None:
        headers["last-modified"] = format_datetime(info.last_modified.astimezone(UTC), usegmt=True)
    return headers


class ObjectResponse(StreamingResponse):
    """Stream an open object and close it however the response ends.

    Closing here, not in a generator's `finally`, also covers a response that never started
    (the client left first): the file or connection is released either way.
    """

    def __init__(self, stream: ObjectStream) -> None:
        super().__init__(stream.chunks, headers=object_headers(stream.info))
        self.stream = stream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self.stream.aclose()


__all__ = ["ObjectResponse", "object_headers"]
