"""S3: the `s3` section and, once `s3.enabled`, one S3Client for the whole service."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator

from ..config import Section
from ..resources import ResourceKey
from . import Feature

if TYPE_CHECKING:
    from contextlib import AsyncExitStack

    from ..resources import Resources
    from ..storage.s3_client import S3Client

# Open while the service runs with `s3.enabled`; absent otherwise (`resources.find`).
S3_CLIENT: ResourceKey[S3Client] = ResourceKey("s3")

_MIB = 1024 * 1024


class S3Settings(Section):
    # Off by default so the service runs without a cloud account (and without importing
    # aioboto3); when on, one client is opened at startup and /ready checks the bucket.
    enabled: bool = False
    bucket: str = ""
    # Prepended to every key (a trailing "/" is added); listed keys come back without it.
    key_prefix: str = ""
    # None: AWS itself. An S3-compatible server (MinIO, Ceph, R2) needs its URL here.
    endpoint_url: str | None = None
    # None: AWS_REGION / ~/.aws/config decide.
    region: str | None = None
    # MinIO and most S3-compatible servers need "path".
    addressing_style: Literal["auto", "path", "virtual"] = "auto"
    # No keys: the standard AWS credential chain (environment, ~/.aws, container or instance role).
    access_key_id: SecretStr | None = None
    secret_access_key: SecretStr | None = None
    session_token: SecretStr | None = None
    max_pool_connections: int = Field(default=10, ge=1)
    connect_timeout: float = Field(default=5.0, gt=0)
    read_timeout: float = Field(default=60.0, gt=0)
    # Attempts per request, the first included; botocore retries with backoff and jitter.
    max_attempts: int = Field(default=3, ge=1, le=10)
    # Streams larger than the threshold are uploaded in parts (up to the threshold is held to
    # decide). S3 needs parts of at least 5 MiB, except the last; an upload holds about one.
    multipart_threshold: int = Field(default=8 * _MIB, ge=5 * _MIB)
    multipart_part_size: int = Field(default=8 * _MIB, ge=5 * _MIB, le=5 * 1024 * _MIB)
    # A failed upload is aborted; while S3 is unreachable the abort is retried in the
    # background for this long (then a lifecycle rule has to remove the parts).
    abort_retry_seconds: float = Field(default=60.0, ge=0)
    # Upload bytes held in memory at once, all uploads through the client together. Before
    # it reads, an upload reserves `buffer_per_upload` (the larger of multipart_threshold and
    # multipart_part_size; its size, when known and smaller); once the budget is spent,
    # uploads wait up to upload_buffer_wait_seconds and then get 503 with Retry-After. The
    # default leaves room in a 256 MiB container memory limit; raise the two together.
    upload_buffer_bytes: int = Field(default=64 * _MIB, ge=5 * _MIB)
    upload_buffer_wait_seconds: float = Field(default=10.0, ge=0)

    @field_validator("key_prefix")
    @classmethod
    def _prefix_is_a_folder(cls, value: str) -> str:
        # "tenant" must not also match "tenant-2/...": the prefix always ends in "/".
        value = value.strip("/")
        return f"{value}/" if value else ""

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if self.enabled and not self.bucket:
            raise ValueError("bucket is required when s3 is enabled")
        if (self.access_key_id is None) != (self.secret_access_key is None):
            raise ValueError("access_key_id and secret_access_key go together")
        if self.upload_buffer_bytes < self.buffer_per_upload:
            raise ValueError(
                f"upload_buffer_bytes ({self.upload_buffer_bytes}) must hold one upload's buffer: "
                f"at least {self.buffer_per_upload} with these multipart settings"
            )
        return self

    @property
    def buffer_per_upload(self) -> int:
        """What one upload of unknown size may hold: its buffer (the threshold, or a part if
        larger) and, with a threshold above the part size, the excess carried to part two."""
        threshold, part = self.multipart_threshold, self.multipart_part_size
        return max(threshold, part) + max(0, threshold - part)


class S3Feature(Feature):
    """Opens the S3 client when S3 is on, and adds the bucket to the readiness checks."""

    s3: S3Settings = S3Settings()

    async def open(self, resources: Resources, stack: AsyncExitStack) -> None:
        if not self.s3.enabled:
            return
        from ..storage.s3_client import S3Client

        client = await stack.enter_async_context(S3Client(self.s3))
        resources.provide(S3_CLIENT, client)
        resources.readiness_checks["s3"] = client.check_bucket


__all__ = ["S3_CLIENT", "S3Feature", "S3Settings"]
