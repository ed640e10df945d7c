"""The object index: one row per object of the /api/v1/objects example, kept by `..object_index`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from ..base import Base

# Keys sort by code point, as both storage backends list them (S3: UTF-8 bytes, the same
# order): PostgreSQL's "C" collation compares bytes, SQLite's default (BINARY) does too.
# Keys are at most 1024 UTF-8 bytes (storage.keys), so at most 1024 characters.
KEY_TYPE = String(1024).with_variant(String(1024, collation="C"), "postgresql")


class UtcDateTime(TypeDecorator[datetime]):
    """A moment in UTC: aware datetimes in and out on every database.

    PostgreSQL keeps the offset (timestamptz); SQLite has no type for it, so the value is
    stored as naive UTC and read back as UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UtcDateTime needs an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = value
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


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


__all__ = ["KEY_TYPE", "ObjectRecord", "UtcDateTime"]
