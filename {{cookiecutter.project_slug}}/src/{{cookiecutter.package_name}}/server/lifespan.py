"""The application lifespan: opens shared resources once, closes them on shutdown."""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING

{% if cookiecutter.with_http_client -%}
from ..clients import create_session
{% endif -%}
{% if cookiecutter.with_http_client and cookiecutter.with_files -%}
from ..clients.download import DownloadClient
{% endif -%}
{% set example_api = cookiecutter.with_example_api and (cookiecutter.with_files or cookiecutter.with_s3) -%}
{% set storage_names = (["LocalStorage"] if example_api and cookiecutter.with_files else []) + (["S3Client"] if cookiecutter.with_s3 else []) + (["S3Storage"] if example_api and cookiecutter.with_s3 else []) -%}
{% if storage_names -%}
from ..storage import {{ storage_names | join(", ") }}
{% endif -%}
from .resources import Resources

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from fastapi import FastAPI

    from ..config import Settings
{%- if example_api and cookiecutter.with_files and cookiecutter.with_s3 %}
    from ..storage import Storage
{%- endif %}

logger = logging.getLogger(__name__)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open every long-lived client on one exit stack; it closes them in reverse order."""
    settings: Settings = app.state.settings
    async with AsyncExitStack() as stack:
{%- if cookiecutter.with_http_client %}
        http_session = create_session(settings.http_client)
        await stack.enter_async_context(http_session)
{%- endif %}
{%- if cookiecutter.with_s3 %}
        s3 = None
        if settings.s3.enabled:
            s3 = await stack.enter_async_context(S3Client(settings.s3))
{%- endif %}
{%- if cookiecutter.with_http_client and cookiecutter.with_files %}
        # A pool of its own: every download connection goes through the SSRF guard.
        download_session = DownloadClient.create_session(settings.download)
        await stack.enter_async_context(download_session)
{%- endif %}
{%- if example_api and cookiecutter.with_files and cookiecutter.with_s3 %}
        # The objects API's backend (a local directory is created if it does not exist).
        storage: Storage | None = None
        if settings.storage.backend == "local":
            storage = await stack.enter_async_context(LocalStorage(settings.storage.root))
        elif s3 is not None:  # always, for Settings refuse backend s3 while S3 is off
            storage = S3Storage(s3)
{%- elif example_api and cookiecutter.with_files %}
        # The objects API's backend: a directory, created here if it does not exist.
        storage = await stack.enter_async_context(LocalStorage(settings.storage.root))
{%- elif example_api %}
        # The objects API's backend; without S3 there is none and the API answers 503.
        storage = S3Storage(s3) if s3 is not None else None
        if storage is None:
            logger.warning("object storage is off: /api/v1/objects answers 503 until S3 is on")
{%- endif %}
        resources = Resources(
            settings=settings,
{%- if cookiecutter.with_http_client %}
            http_session=http_session,
{%- endif %}
{%- if cookiecutter.with_http_client and cookiecutter.with_files %}
            downloads=DownloadClient(settings.download, session=download_session{{ ", s3=s3" if cookiecutter.with_s3 }}),
{%- endif %}
{%- if cookiecutter.with_s3 %}
            s3=s3,
{%- endif %}
{%- if example_api %}
            storage=storage,
{%- endif %}
        )
{%- if cookiecutter.with_s3 %}
        if s3 is not None:
            resources.readiness_checks["s3"] = s3.check_bucket
{%- endif %}
        # Registered last, so it runs first at shutdown: /ready answers 503 (load balancers
        # stop sending traffic) before any client above is closed.
        stack.callback(resources.begin_shutdown)
        app.state.resources = resources
        logger.info("application started")
        yield


__all__ = ["lifespan"]
