"""The object index: one row per object of the /api/v1/objects example, kept by `..object_index`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base
from ..columns import UtcDateTime

# Keys sort by code point, as both storage backends list them (S3: UTF-8 bytes, the same
# order): PostgreSQL's "C" collation compares bytes, SQLite's default (BINARY) does too.
# Keys are at most 1024 UTF-8 bytes (storage.keys), so at most 1024 characters.
KEY_TYPE = String(1024).with_variant(String(1024, collation="C"), "postgresql")


class ObjectRecord(Base):
    """What the API reports about one stored object, the same on every backend."""

    __tablename__ = "object_index"

    key: Mapped[str] = mapped_column(KEY_TYPE, primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    # Of the content, computed while it streamed in: the API's ETag on every backend.
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(Text)
    # The backend's own ETag (S3: an MD5 or a multipart tag), so `reconcile` can tell an
    # unchanged object from a changed one without reading it.
    storage_etag: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


__all__ = ["KEY_TYPE", "ObjectRecord"]
