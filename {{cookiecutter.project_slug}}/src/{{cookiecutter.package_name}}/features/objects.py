"""The /api/v1/objects example: the `storage` section, its backend, routes and upload limit."""

from __future__ import annotations

import logging
{%- if cookiecutter.with_files %}
from pathlib import Path
{%- endif %}
{%- if cookiecutter.with_files and cookiecutter.with_s3 %}
from typing import TYPE_CHECKING, Literal, Self

from pydantic import Field, model_validator
{%- elif cookiecutter.with_files %}
from typing import TYPE_CHECKING, Literal

from pydantic import Field
{%- else %}
from typing import TYPE_CHECKING

from pydantic import Field
{%- endif %}

from ..config import Section
from ..resources import ResourceKey
{%- if cookiecutter.with_s3 %}
from .s3 import S3_CLIENT{{ ", S3Feature" if cookiecutter.with_files }}
{%- endif %}
from .server import WebFeature

if TYPE_CHECKING:
    from collections.abc import Sequence
    from contextlib import AsyncExitStack

    from fastapi import FastAPI

    from ..resources import Resources
    from ..server.middleware import BodyLimit
    from ..storage import Storage

# What the objects routes use: the backend (`storage.backend`), or a layer another feature
# put over it with `resources.replace`{{ "; absent while S3 is off" if not cookiecutter.with_files }}.
STORAGE: ResourceKey[Storage] = ResourceKey("storage")
# The `storage` section, for the handlers (limits).
STORAGE_SETTINGS: ResourceKey[StorageSettings] = ResourceKey("storage_settings")

logger = logging.getLogger(__name__)


class StorageSettings(Section):
    """Where the /api/v1/objects example keeps its objects."""

{%- if cookiecutter.with_files and cookiecutter.with_s3 %}

    # local: files below `root`; s3: the bucket configured under `s3` (needs s3.enabled).
    backend: Literal["local", "s3"] = "local"
{%- elif cookiecutter.with_files %}

    backend: Literal["local"] = "local"
{%- else %}

    # Objects live in the bucket configured under `s3`; while s3.enabled is false the API
    # answers 503.
{%- endif %}
{%- if cookiecutter.with_files %}
    # The local backend's directory (relative to the working directory); created at startup.
    root: Path = Path("data")
{%- endif %}
    # The largest object an upload or an import may store; larger ones get 413. Uploads
    # stream to storage, so memory does not grow with this limit.
    max_object_bytes: int = Field(default=1024**3, ge=1)


class ObjectsApiFeature(WebFeature):
    """Opens the storage backend and installs the objects routes."""

    storage: StorageSettings = StorageSettings()
{%- if cookiecutter.with_files and cookiecutter.with_s3 %}

    @model_validator(mode="after")
    def _backend_is_available(self) -> Self:
        # A settings error rather than a failure at startup: this combination cannot work.
        if self.storage.backend == "s3" and not S3Feature.of(self).s3.enabled:
            raise ValueError("storage.backend is s3 but S3 is off: set s3.enabled and s3.bucket")
        return self
{%- endif %}

    async def open(self, resources: Resources, stack: AsyncExitStack) -> None:
        resources.provide(STORAGE_SETTINGS, self.storage)
{%- if cookiecutter.with_files %}
        if self.storage.backend == "local":
            from ..storage.local import LocalStorage

            # A directory, created here if it does not exist.
            local = await stack.enter_async_context(LocalStorage(self.storage.root))
            resources.provide(STORAGE, local)
            # Said once at startup: with S3 configured too, where uploads land is not obvious.
            logger.info(
                "objects API storage: local directory %s (storage.backend=local)",
                self.storage.root,
            )
            return
{%- endif %}
{%- if cookiecutter.with_s3 %}
        s3 = resources.find(S3_CLIENT)
        if s3 is None:
            # Without a bucket there is no backend: the routes answer 503 until S3 is on.
            logger.warning(
                "objects API storage: none (s3.enabled=false): /api/v1/objects answers 503"
            )
            return
        from ..storage.s3_storage import S3Storage

        resources.provide(STORAGE, S3Storage(s3))
        logger.info(
            "objects API storage: S3 bucket %s, key prefix %r (%s)",
            s3.bucket,
            s3.key_prefix,
{%- if cookiecutter.with_files %}
            "storage.backend=s3",
{%- else %}
            "S3 is this service's only backend",
{%- endif %}
        )
{%- endif %}

    def install(self, app: FastAPI) -> None:
        from ..api import install_api

        install_api(app)

    def body_limits(self) -> Sequence[BodyLimit]:
        from ..api.objects import upload_limit

        return (upload_limit(self.storage),)


__all__ = ["STORAGE", "STORAGE_SETTINGS", "ObjectsApiFeature", "StorageSettings"]
