"""What the storage API returns about an object."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class ObjectInfo:
    """One object. `key` is relative to the client's key prefix.

    Listings carry no content type or metadata (S3 does not return them there); `head` does.
    """

    key: str
    size: int
    etag: str
    last_modified: datetime | None = None
    content_type: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)


__all__ = ["ObjectInfo"]
