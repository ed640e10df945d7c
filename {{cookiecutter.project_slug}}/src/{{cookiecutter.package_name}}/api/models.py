"""What the object routes answer with (JSON)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from ..storage import ObjectInfo


class StoredObject(BaseModel):
    """One object: its key, size, ETag and, where known, content type and modification time."""

    key: str = Field(examples=["reports/2025/q1.pdf"])
    size: int = Field(ge=0)
    etag: str
    content_type: str | None = None
    last_modified: datetime | None = None

    @classmethod
    def of(cls, info: ObjectInfo) -> StoredObject:
        return cls(
            key=info.key,
            size=info.size,
            etag=info.etag,
            content_type=info.content_type,
            last_modified=info.last_modified,
        )


class ObjectListing(BaseModel):
    """One page of objects in key order; pass `next_cursor` back as `cursor` for the next."""

    items: list[StoredObject]
    next_cursor: str | None = None


__all__ = ["ObjectListing", "StoredObject"]
